"""Ledger rules: who sees which claims, the rate in force, the award cap, and whether a case may be claimed."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import ColumnElement, or_
from sqlmodel import Session, col, select

from models import Agreement, Case, CaseEvent, CaseStatus, ConfigVersion, FollowUp, Organisation, Party, SubsidyRate
from models.ledger import ClaimStatus, SubsidyClaim
from models.org import OrgKind
from services.access.authz import Actor, require
from services.access.permissions import P
from services.access.scope import actor_area
from services.assessment import dossier_gate
from services.cases import states
from services.core import clock
from services.core.errors import NotFound, ValidationFailed
from services.core.reference import AWARD_CAP_FEN

SPLIT_WINDOW = timedelta(days=30)
BUREAU_PARENTS = frozenset({OrgKind.COUNTY, OrgKind.CITY})
LIVE_STATUSES = tuple(s for s in ClaimStatus if s not in (ClaimStatus.REJECTED, ClaimStatus.REVERSED))
MAX_YUAN = Decimal("100000000")
# A per-case rate outside 10–3,000 yuan (or 0) is most likely a typing slip: saved only with a second confirmation.
RATE_USUAL_FEN = (1_000, 300_000)


def orgs_under(path: str):  # type: ignore[no-untyped-def]
    return select(Organisation.id).where(col(Organisation.path).startswith(path))


def claim_scope_clause(session: Session, actor: Actor) -> ColumnElement[bool]:
    return col(SubsidyClaim.org_id).in_(orgs_under(actor_area(session, actor=actor).path))


def is_bureau(session: Session, actor: Actor) -> bool:
    """A county (or city) justice bureau, which alone approves special awards."""
    org = session.get(Organisation, actor.org_id)
    if org is None or org.kind != OrgKind.JUSTICE_OFFICE:
        return False
    parent = session.get(Organisation, org.parent_id) if org.parent_id else None
    return parent is None or parent.kind in BUREAU_PARENTS


def case_for_ledger(session: Session, actor: Actor, case_id: int, *, for_update: bool = False) -> Case:
    """A case in the actor's ledger area, locked for the rest of the transaction when asked (PostgreSQL)."""
    require(actor, P.CASE_VIEW)
    stmt = select(Case).where(Case.id == case_id)
    case = session.exec(stmt.with_for_update() if for_update else stmt).first()
    org = session.get(Organisation, case.org_id) if case else None
    if case is None or org is None or not org.path.startswith(actor_area(session, actor=actor).path):
        raise NotFound("error.case_not_found")
    return case


def claim_for_ledger(session: Session, actor: Actor, claim_id: int, *, for_update: bool = False) -> SubsidyClaim:
    """A claim in the actor's area (same refusal for a missing and a foreign id)."""
    stmt = select(SubsidyClaim).where(SubsidyClaim.id == claim_id, claim_scope_clause(session, actor))
    claim = session.exec(stmt.with_for_update() if for_update else stmt).first()
    if claim is None:
        raise NotFound("error.ledger_claim_not_found")
    return claim


def rate_in_force(session: Session, *, grade: str, org: Organisation, on: date) -> SubsidyRate | None:
    """The rate for `grade` on date `on` that fits `org` best.

    Most specific wins: a rate for the organisation's kind beats a general one, then a rate for the
    nearest region above the organisation, then the latest start date."""
    ancestors = [int(p) for p in org.path.strip("/").split("/") if p]
    depth = {oid: i for i, oid in enumerate(ancestors)}
    stmt = select(SubsidyRate).where(
        SubsidyRate.grade == grade,
        col(SubsidyRate.valid_from) <= on,
        or_(col(SubsidyRate.valid_to).is_(None), col(SubsidyRate.valid_to) >= on),
        or_(col(SubsidyRate.org_kind).is_(None), col(SubsidyRate.org_kind) == org.kind),
        or_(col(SubsidyRate.region_org_id).is_(None), col(SubsidyRate.region_org_id).in_(ancestors)),
    )
    rates = session.exec(stmt).all()
    if not rates:
        return None
    return max(
        rates, key=lambda r: (r.org_kind is not None, depth.get(r.region_org_id or -1, -1), r.valid_from, r.id or 0)
    )


def award_cap_fen(session: Session) -> int:
    """The cap of a one-off award (一事一奖) from the newest `award_cap` rule."""
    row = session.exec(
        select(ConfigVersion).where(ConfigVersion.key == "award_cap").order_by(col(ConfigVersion.version).desc())
    ).first()
    value = row.value.get("fen") if row else None
    return int(value) if isinstance(value, int) and value >= 0 else AWARD_CAP_FEN


@dataclass
class Eligibility:
    """What a claim for this case would be: kind, grade, amount, the rate used, and any reasons to hold it."""

    kind: str
    grade: str
    amount_fen: int
    rate_id: int | None
    closing_date: date
    holds: list[str] = field(default_factory=list)

    @property
    def hold_reason(self) -> str:
        return "; ".join(self.holds)


def succeeded(session: Session, case: Case) -> bool:
    """Succeeded, followed up, or archived after succeeding (the last conclusion was a success)."""
    if case.status not in states.SUCCEEDED:
        return False
    if case.status != CaseStatus.ARCHIVED:
        return True
    last = session.exec(
        select(CaseEvent.to_status)
        .where(CaseEvent.case_id == case.id, col(CaseEvent.to_status).in_(states.CONCLUDED_OR_REJECTED))
        .order_by(col(CaseEvent.at).desc(), col(CaseEvent.id).desc())
    ).first()
    return last == CaseStatus.SUCCEEDED


def agreement_broken(session: Session, case: Case) -> bool:
    """The latest follow-up says the agreement does not hold, or the agreement is marked breached."""
    follow = session.exec(
        select(FollowUp.agreement_holds)
        .where(FollowUp.case_id == case.id, col(FollowUp.agreement_holds).is_not(None))
        .order_by(col(FollowUp.done_at).desc(), col(FollowUp.id).desc())
    ).first()
    agreement = session.exec(
        select(Agreement.performance).where(Agreement.case_id == case.id).order_by(col(Agreement.version).desc())
    ).first()
    return follow is False or agreement == "breached"


def splitting_suspects(session: Session, case: Case) -> list[str]:
    """Numbers of other cases with the same parties (blind indexes) and category within 30 days."""
    mine = session.exec(select(Party.id_number_index, Party.phone_index).where(Party.case_id == case.id)).all()
    people = [(i, p) for i, p in mine if i or p]
    ids = {i for i, _ in people if i}
    phones = {p for _, p in people if p}
    if not people:
        return []
    claimed = select(SubsidyClaim.case_id).where(col(SubsidyClaim.status).in_(LIVE_STATUSES))
    stmt = (
        select(Case.id, Case.case_no, Party.id_number_index, Party.phone_index)
        .join(Party, col(Party.case_id) == col(Case.id))
        .where(
            Case.category == case.category,
            Case.id != case.id,
            col(Case.received_at) >= case.received_at - SPLIT_WINDOW,
            col(Case.received_at) <= case.received_at + SPLIT_WINDOW,
            or_(col(Case.status).in_(states.SUCCEEDED), col(Case.id).in_(claimed)),
            or_(col(Party.id_number_index).in_(ids), col(Party.phone_index).in_(phones)),
        )
    )
    matched: dict[tuple[int | None, str], set[int]] = {}
    for cid, case_no, idx, phone in session.exec(stmt).all():
        hits = {n for n, (i, p) in enumerate(people) if (i and i == idx) or (p and p == phone)}
        matched.setdefault((cid, case_no), set()).update(hits)
    needed = min(2, len(people))
    return sorted(no for (_, no), hits in matched.items() if len(hits) >= needed)


def eligibility(session: Session, case: Case, *, kind: str, award_fen: int | None = None) -> Eligibility:
    """Refuse a case that cannot be claimed; otherwise say what the claim is and why it must be held."""
    if not succeeded(session, case):
        raise ValidationFailed("error.ledger_not_succeeded")
    if not case.grade_audited:
        raise ValidationFailed("error.ledger_grade_not_audited")
    if case.concluded_at is None:
        raise ValidationFailed("error.ledger_no_closing_date")
    closing = clock.local_date(case.concluded_at)
    grade = "simple" if case.on_the_spot and case.grade_audited != "major" else case.grade_audited
    if kind == "award":
        if grade != "major":
            raise ValidationFailed("error.ledger_award_needs_major")
        cap = award_cap_fen(session)
        if award_fen is None or not 0 < award_fen <= cap:
            raise ValidationFailed("error.ledger_award_amount", cap=format_yuan(cap))
        elig = Eligibility("award", grade, award_fen, None, closing)
    else:
        if grade == "major":
            raise ValidationFailed("error.ledger_major_needs_award")
        org = session.get(Organisation, case.org_id)
        rate = rate_in_force(session, grade=grade, org=org, on=closing) if org else None
        if rate is None:
            raise ValidationFailed("error.ledger_no_rate", grade=grade, date=closing.isoformat())
        elig = Eligibility("subsidy", grade, rate.amount_fen, rate.id, closing)
    if agreement_broken(session, case):
        elig.holds.append("agreement_broken")
    if (review := dossier_gate.failing_review(session, case.id or 0)) is not None:  # 卷宗评查 (issue 19)
        elig.holds.append(dossier_gate.hold_reason(review))
    suspects = splitting_suspects(session, case)
    if suspects:
        elig.holds.append("splitting=" + ",".join(suspects[:5]))
    return elig


def parse_hold_reason(text: str) -> list[tuple[str, str]]:
    """(code, detail) pairs from a stored hold reason; free text (older or imported rows) becomes ("text", it)."""
    out = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        code, _, detail = part.partition("=")
        out.append(
            (code, detail) if code in ("agreement_broken", "splitting", dossier_gate.HOLD_CODE) else ("text", part)
        )
    return out


def unusual_rate(fen: int) -> bool:
    """A rate of 0 or outside the usual range, which an editor confirms a second time before saving."""
    return not RATE_USUAL_FEN[0] <= fen <= RATE_USUAL_FEN[1]


def format_yuan(fen: int) -> str:
    """Integer fen as yuan with two decimals and thousands separators: 150000 → "1,500.00"."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def parse_yuan(text: str) -> int:
    """A typed yuan amount ("1500", "1,500.5", full-width digits) as integer fen; refuse anything else."""
    cleaned = unicodedata.normalize("NFKC", text).strip().replace(",", "").replace("¥", "").replace("元", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValidationFailed("error.ledger_amount_invalid") from None
    if not value.is_finite() or value <= 0 or value > MAX_YUAN or value != value.quantize(Decimal("0.01")):
        raise ValidationFailed("error.ledger_amount_invalid")
    return int(value * 100)
