"""Payout batches: gather approved claims, total them per mediator and organisation, pay once, publish a notice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import Case, LedgerEntry, Mediator, Organisation, PayoutBatch, SubsidyClaim
from models.base import utc_now
from models.ledger import ClaimStatus, LedgerAction
from services.access.authz import Actor, require, require_any
from services.access.permissions import P
from services.access.scope import actor_area, area_of
from services.core import audit, clock
from services.core.errors import Conflict, NotFound, OutOfScope, ValidationFailed
from services.ledger import duties
from services.ledger.claims import record_step
from services.ledger.policy import orgs_under

S = ClaimStatus
NOTICE_DAYS = (1, 30)


@dataclass(frozen=True)
class PayoutLine:
    claim_id: int
    case_no: str
    mediator_id: int | None
    mediator_name: str
    org_name: str
    kind: str
    grade: str
    amount_fen: int
    status: str


@dataclass(frozen=True)
class PayeeTotal:
    """What one mediator is paid in a batch."""

    mediator_name: str
    org_name: str
    cases: int
    subsidy_fen: int
    award_fen: int

    @property
    def total_fen(self) -> int:
        return self.subsidy_fen + self.award_fen


@dataclass(frozen=True)
class BatchSummary:
    id: int
    code: str
    region_name: str
    status: str
    total_fen: int
    created_at: datetime
    paid_at: datetime | None
    notice_from: date | None
    notice_until: date | None
    lines: list[PayoutLine]

    def payees(self) -> list[PayeeTotal]:
        """Totals per mediator, in the order of the sheet (organisation, then name)."""
        acc: dict[tuple[str, str, int | None], list[int]] = {}
        for ln in self.lines:
            row = acc.setdefault((ln.org_name, ln.mediator_name, ln.mediator_id), [0, 0, 0])
            row[0] += 1
            row[1 if ln.kind == "subsidy" else 2] += ln.amount_fen
        return [
            PayeeTotal(name, org, n, sub, award)
            for (org, name, _), (n, sub, award) in sorted(
                acc.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or 0)
            )
        ]

    def orgs(self) -> list[tuple[str, int, int]]:
        """(organisation, cases, total fen) per organisation."""
        acc: dict[str, list[int]] = {}
        for ln in self.lines:
            row = acc.setdefault(ln.org_name, [0, 0])
            row[0] += 1
            row[1] += ln.amount_fen
        return [(org, n, fen) for org, (n, fen) in sorted(acc.items())]


@dataclass(frozen=True)
class PayResult:
    code: str
    paid_claims: int
    paid_fen: int
    replayed: bool


@dataclass(frozen=True)
class NoticeLine:
    mediator_name: str
    org_name: str
    cases: int
    amount_fen: int


@dataclass(frozen=True)
class Notice:
    """A paid batch on the public board: mediators, case counts and amounts; no party data at all."""

    code: str
    region_name: str
    paid_on: date
    notice_until: date
    lines: list[NoticeLine]
    total_fen: int


def _batch_in_scope(session: Session, actor: Actor, batch_id: int, *, for_update: bool = False) -> PayoutBatch:
    stmt = select(PayoutBatch).where(PayoutBatch.id == batch_id)
    batch = session.exec(stmt.with_for_update() if for_update else stmt).first()
    region = session.get(Organisation, batch.region_org_id) if batch else None
    if batch is None or region is None:
        raise NotFound("error.ledger_batch_not_found")
    if not area_of(session, org=region).path.startswith(actor_area(session, actor=actor).path):
        raise NotFound("error.ledger_batch_not_found")
    return batch


def create_batch(
    session: Session, *, actor: Actor, region_org_id: int, claim_ids: list[int] | None = None
) -> PayoutBatch:
    """Put the approved, unbatched claims of a region (or the chosen ones) into a new numbered batch."""
    require(actor, P.LEDGER_PAY)
    org = session.get(Organisation, region_org_id)
    if org is None:
        raise NotFound("error.not_found")
    region = area_of(session, org=org)
    if not region.path.startswith(actor_area(session, actor=actor).path):
        raise OutOfScope("error.out_of_scope")
    stmt = select(SubsidyClaim).where(
        SubsidyClaim.status == S.APPROVED,
        col(SubsidyClaim.batch_id).is_(None),
        col(SubsidyClaim.org_id).in_(orgs_under(region.path)),
    )
    if claim_ids is not None:
        stmt = stmt.where(col(SubsidyClaim.id).in_(claim_ids))
    claims = session.exec(stmt.order_by(col(SubsidyClaim.id)).with_for_update()).all()
    if not claims:
        raise ValidationFailed("error.ledger_batch_empty")
    prefix = f"PB-{region.code}-{clock.today():%Y%m%d}-"
    n = session.exec(
        select(func.count()).select_from(PayoutBatch).where(col(PayoutBatch.code).startswith(prefix))
    ).one()
    batch = PayoutBatch(
        code=f"{prefix}{n + 1:02d}",
        region_org_id=region.id or 0,
        total_fen=sum(c.amount_fen for c in claims),
        created_by=actor.user_id,
    )
    session.add(batch)
    try:
        with session.begin_nested():
            session.flush()
            for claim in claims:
                claim.batch_id = batch.id
                session.add(claim)
            session.flush()
    except IntegrityError:
        raise Conflict("error.conflict") from None
    audit.record(
        session,
        action="ledger.batch",
        actor_id=actor.user_id,
        entity="payoutbatch",
        entity_id=batch.id,
        code=batch.code,
        claims=len(claims),
        fen=batch.total_fen,
    )
    return batch


def cancel_batch(session: Session, *, actor: Actor, batch_id: int) -> PayoutBatch:
    """Dissolve an unpaid batch; its claims go back to the approved pool."""
    require(actor, P.LEDGER_PAY)
    batch = _batch_in_scope(session, actor, batch_id, for_update=True)
    if batch.status != "open":
        raise Conflict("error.ledger_batch_not_open")
    for claim in session.exec(select(SubsidyClaim).where(SubsidyClaim.batch_id == batch.id)).all():
        claim.batch_id = None
        session.add(claim)
    batch.status = "cancelled"
    session.add(batch)
    audit.record(
        session, action="ledger.batch_cancel", actor_id=actor.user_id, entity="payoutbatch", entity_id=batch.id
    )
    return batch


def mark_batch_paid(session: Session, *, actor: Actor, batch_id: int) -> PayResult:
    """Pay every claim of the batch once; replaying it (double click, retry, restart) pays nothing again."""
    require(actor, P.LEDGER_PAY)
    batch = _batch_in_scope(session, actor, batch_id, for_update=True)
    if batch.status == "paid":
        return PayResult(batch.code, 0, 0, replayed=True)
    if batch.status != "open":
        raise Conflict("error.ledger_batch_not_open")
    claims = session.exec(
        select(SubsidyClaim).where(SubsidyClaim.batch_id == batch.id).order_by(col(SubsidyClaim.id)).with_for_update()
    ).all()
    if any(c.status != S.APPROVED for c in claims) or sum(c.amount_fen for c in claims) != batch.total_fen:
        raise Conflict("error.ledger_batch_mismatch")
    rule = duties.rule_for(session)
    for claim in claims:  # the payer did no step the office keeps apart from paying, on any claim of the batch
        duties.enforce(session, claim, actor, "pay", rule=rule)
    for claim in claims:
        record_step(
            session,
            claim,
            actor,
            LedgerAction.PAY,
            S.PAID,
            amount_fen=claim.amount_fen,
            batch_id=batch.id,
            note=batch.code,
        )
    batch.status, batch.paid_at, batch.paid_by = "paid", utc_now(), actor.user_id
    session.add(batch)
    audit.record(
        session,
        action="ledger.batch_paid",
        actor_id=actor.user_id,
        entity="payoutbatch",
        entity_id=batch.id,
        claims=len(claims),
        fen=batch.total_fen,
    )
    return PayResult(batch.code, len(claims), batch.total_fen, replayed=False)


def publish_notice(session: Session, *, actor: Actor, batch_id: int, days: int = 7) -> PayoutBatch:
    """Show a paid batch on the public board from today for `days` days (公示期)."""
    require(actor, P.LEDGER_PAY)
    if not NOTICE_DAYS[0] <= days <= NOTICE_DAYS[1]:
        raise ValidationFailed("error.ledger_notice_days", low=NOTICE_DAYS[0], high=NOTICE_DAYS[1])
    batch = _batch_in_scope(session, actor, batch_id, for_update=True)
    if batch.status != "paid":
        raise Conflict("error.ledger_notice_unpaid")
    today = clock.today()
    batch.notice_from, batch.notice_until, batch.published_by = today, today + timedelta(days=days - 1), actor.user_id
    session.add(batch)
    audit.record(
        session,
        action="ledger.notice",
        actor_id=actor.user_id,
        entity="payoutbatch",
        entity_id=batch.id,
        until=batch.notice_until.isoformat(),
    )
    return batch


def _lines(session: Session, batch_id: int) -> list[PayoutLine]:
    rows = session.exec(
        select(SubsidyClaim, Case.case_no, Mediator.name, Organisation.name)
        .join(Case, col(Case.id) == col(SubsidyClaim.case_id))
        .join(Organisation, col(Organisation.id) == col(SubsidyClaim.org_id))
        .join(Mediator, col(Mediator.id) == col(SubsidyClaim.mediator_id), isouter=True)
        .where(SubsidyClaim.batch_id == batch_id)
        .order_by(col(Organisation.name), col(Mediator.name), col(Case.case_no))
    ).all()
    return [
        PayoutLine(c.id or 0, no, c.mediator_id, name or "", org, c.kind, c.grade, c.amount_fen, c.status)
        for c, no, name, org in rows
    ]


def batch_summary(session: Session, *, actor: Actor, batch_id: int) -> BatchSummary:
    """A batch with every line, for the office and for the payout sheet."""
    require_any(actor, P.LEDGER_AUDIT, P.LEDGER_PAY)
    batch = _batch_in_scope(session, actor, batch_id)
    region = session.get(Organisation, batch.region_org_id)
    region_name = area_of(session, org=region).name if region else ""
    return BatchSummary(
        batch.id or 0,
        batch.code,
        region_name,
        batch.status,
        batch.total_fen,
        batch.created_at,
        batch.paid_at,
        batch.notice_from,
        batch.notice_until,
        _lines(session, batch.id or 0),
    )


def published_notices(session: Session, today: date) -> list[Notice]:
    """Paid batches inside their notice period today, for the public board: names, counts, amounts only.

    Claims reversed after payment drop out of the notice."""
    batches = session.exec(
        select(PayoutBatch)
        .where(
            PayoutBatch.status == "paid",
            col(PayoutBatch.notice_until).is_not(None),
            col(PayoutBatch.notice_until) >= today,
        )
        .order_by(col(PayoutBatch.paid_at).desc())
    ).all()
    out = []
    for batch in batches:
        paid_on = clock.local_date(batch.paid_at) if batch.paid_at else None
        if paid_on is None or batch.notice_until is None or (batch.notice_from or paid_on) > today:
            continue
        acc: dict[tuple[str, str], list[int]] = {}
        for ln in _lines(session, batch.id or 0):
            if ln.status == S.PAID:
                row = acc.setdefault((ln.org_name, ln.mediator_name), [0, 0])
                row[0] += 1
                row[1] += ln.amount_fen
        lines = [NoticeLine(name, org, n, fen) for (org, name), (n, fen) in sorted(acc.items())]
        region = session.get(Organisation, batch.region_org_id)
        out.append(
            Notice(
                batch.code,
                area_of(session, org=region).name if region else "",
                paid_on,
                batch.notice_until,
                lines,
                sum(ln.amount_fen for ln in lines),
            )
        )
    return out


def paid_entries(session: Session, batch_id: int) -> list[LedgerEntry]:
    """The pay rows of a batch (for checks and tests)."""
    return list(
        session.exec(
            select(LedgerEntry).where(LedgerEntry.batch_id == batch_id, LedgerEntry.action == LedgerAction.PAY)
        ).all()
    )
