"""Staff intake (walk-ins, calls, screening visits and every hand-over source) and 随手调 in one step."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from models import Case, MediationSession, Organisation, OrgKind, Referral
from models.base import utc_now
from services.access.authz import Actor, org_in_scope, require
from services.access.permissions import P
from services.board import consent
from services.cases import outcomes, warnings, workflow
from services.cases.create import CaseInput, PartyInput, create_case, find_by_token, insert_once
from services.cases.deadlines import due_after, rules_for
from services.core.errors import Conflict, ValidationFailed
from services.lowcode.custom_fields import staff_custom
from services.lowcode.dictionaries import labels, resolve_code
from services.lowcode.text_checks import Problem, check_text

HANDOVER_KINDS = {
    "dispatch_110": "police_handover",
    "police_referral": "police_handover",
    "court_entrust": "court_entrust",
    "petition": "petition",
}
SENDER_KINDS = {
    "dispatch_110": (OrgKind.POLICE_STATION, OrgKind.POLICE_ROOM),
    "police_referral": (OrgKind.POLICE_STATION, OrgKind.POLICE_ROOM),
    "court_entrust": (OrgKind.COURT, OrgKind.COURT_ROOM),
    "petition": (OrgKind.PETITION_ROOM, OrgKind.COORDINATION),
}
STAFF_SOURCES = ("walk_in", "phone", "screening", *HANDOVER_KINDS)
SIDES = ("applicant", "respondent", "third")
PARTY_KINDS = ("person", "organisation")
MAX_PARTIES = 20
MAX_AMOUNT_FEN = 10**12
ORG_SUFFIXES = (
    "公司",
    "厂",
    "店",
    "局",
    "委员会",
    "村委会",
    "居委会",
    "合作社",
    "医院",
    "学校",
    "中心",
    "集团",
    "工地",
)
_SPLIT = re.compile(r"[、,，;；/\s]+|与|诉")


@dataclass
class StaffCaseInput:
    """A dispute registered by staff; `referring_org_id` names who handed it over, for hand-over sources."""

    source: str
    category: str
    description: str
    parties: list[PartyInput]
    org_id: int | None = None
    title: str = ""
    place: str = ""
    request: str = ""
    amount_fen: int = 0
    group_size: int = 0
    risk_flags: list[str] = field(default_factory=list)
    referring_org_id: int | None = None
    referral_ref: str = ""
    accept_now: bool = True
    form_token: str | None = None
    custom: dict[str, Any] = field(default_factory=dict)
    publication_consent: bool = False  # the parties agree to publication as a de-identified typical case


@dataclass(frozen=True)
class SavedCase:
    """A case a staff form saved: what the page says instead of showing the form again."""

    id: int
    case_no: str


@dataclass
class QuickCaseInput:
    """随手调: who (two or more names in one line), what was agreed, and the category."""

    parties_text: str
    terms: str
    category: str = "neighbour"
    amount_fen: int = 0
    place: str = ""
    form_token: str | None = None
    custom: dict[str, Any] = field(default_factory=dict)


TEXT_LIMITS = {
    "title": 120,
    "description": 5000,
    "request": 2000,
    "place": 200,
    "referral_ref": 200,
    "terms": 5000,
    "parties_text": 200,
    "name": 80,
    "address": 200,
}


def check_lengths(**texts: str) -> None:
    """Refuse text that is too long or has control characters, never cut it (a widget's max_chars is no control)."""
    for name, text in texts.items():
        problems: list[Problem] = []
        check_text(text, name, TEXT_LIMITS[name], problems, multiline=name in ("description", "request", "terms"))
        if problems:
            raise ValidationFailed(problems[0].key, field=name, **problems[0].params)


def check_parties(parties: list[PartyInput]) -> None:
    """At least one applicant, known sides and kinds, not too many."""
    if not parties or not any(p.side == "applicant" for p in parties):
        raise ValidationFailed("error.applicant_required")
    if len(parties) > MAX_PARTIES:
        raise ValidationFailed("error.too_many_parties", max=MAX_PARTIES)
    for p in parties:
        if p.side not in SIDES or p.kind not in PARTY_KINDS:
            raise ValidationFailed("error.party_side_invalid")
        check_lengths(name=p.name, address=p.address)


def check_amounts(amount_fen: int, group_size: int) -> None:
    if not 0 <= amount_fen <= MAX_AMOUNT_FEN:
        raise ValidationFailed("error.amount_invalid")
    if not 0 <= group_size <= 100_000:
        raise ValidationFailed("error.group_size_invalid")


def code_of(session: Session, dictionary: str, value: str, allowed: tuple[str, ...] | None = None) -> str:
    """An active dictionary code from a code or a Chinese/English label, or a clear refusal (retired: refused)."""
    code = resolve_code(session, dictionary, value or "", active_only=True)
    if code is None or (allowed is not None and code not in allowed):
        raise ValidationFailed(f"error.{dictionary}_invalid")
    return code


def set_deadlines(session: Session, case: Case) -> None:
    """Accept and conclude deadlines from the rules of the case's category."""
    rules = rules_for(session, case.category)
    case.accept_due = due_after(case.received_at, rules["accept_days"])
    case.conclude_due = due_after(case.accept_due, rules["conclude_days"])
    session.add(case)


def _existing(session: Session, actor: Actor, token: str | None) -> Case | None:
    case = find_by_token(session, Case, token)
    if case is not None and case.created_by != actor.user_id:
        raise Conflict("error.conflict")
    return case


def create_once(session: Session, data: CaseInput, actor: Actor) -> tuple[Case, bool]:
    """Create the case, or (its form token already used: a second tap) return the one saved with it; True = new."""
    case, new = insert_once(
        session, Case, data.form_token, lambda: create_case(session, data=data, actor_id=actor.user_id)
    )
    if not new:
        if case.created_by != actor.user_id:
            raise Conflict("error.conflict")
        return case, False
    set_deadlines(session, case)
    return case, True


def find_saved_case(session: Session, *, actor: Actor, token: str) -> SavedCase | None:
    """What this actor's staff form with this token saved (the page shows it instead of the form), or None."""
    case = find_by_token(session, Case, token)
    if case is None or case.created_by != actor.user_id:
        return None
    return SavedCase(case.id or 0, case.case_no)


def register_case(session: Session, *, actor: Actor, data: StaffCaseInput) -> Case:
    """Register a dispute brought in person, by phone, from a screening visit or handed over on paper."""
    require(actor, P.CASE_CREATE)
    if (done := _existing(session, actor, data.form_token)) is not None:
        return done
    check_lengths(
        title=data.title.strip(),
        description=data.description.strip(),
        request=data.request.strip(),
        place=data.place.strip(),
        referral_ref=data.referral_ref.strip(),
    )
    org = org_in_scope(session, actor, data.org_id or actor.org_id)
    source = code_of(session, "source", data.source, STAFF_SOURCES)
    category = code_of(session, "category", data.category)
    check_parties(data.parties)
    check_amounts(data.amount_fen, data.group_size)
    flags = [f for f in data.risk_flags if f in warnings.MANUAL_FLAGS]
    referring = _referring_org(session, source, data.referring_org_id)
    custom = staff_custom(session, data.custom)
    case, new = create_once(
        session,
        CaseInput(
            org_id=org.id or 0,
            source=source,
            category=category,
            description=data.description.strip(),
            parties=data.parties,
            title=data.title.strip()[:120],
            place=data.place.strip(),
            request=data.request.strip(),
            amount_fen=data.amount_fen,
            group_size=data.group_size,
            risk_flags=flags,
            pre_litigation=source == "court_entrust",
            custom=custom,
            form_token=data.form_token,
        ),
        actor,
    )
    if not new:
        return case
    if referring is not None:
        session.add(
            Referral(
                case_id=case.id or 0,
                from_org_id=referring.id or 0,
                to_org_id=org.id or 0,
                kind=HANDOVER_KINDS[source],
                note=data.referral_ref.strip()[:200],
                status="accepted",
                sent_by=None,
                decided_by=actor.user_id,
                decided_at=utc_now(),
            )
        )
    if data.publication_consent is True:
        consent.mark_at_intake(session, case, how="intake", actor_id=actor.user_id)
    if data.accept_now and actor.can(P.CASE_ACCEPT):
        workflow.transition(session, actor=actor, case_id=case.id or 0, action="accept")
    warnings.check_case(session, case, actor_id=actor.user_id)
    return case


def _referring_org(session: Session, source: str, org_id: int | None) -> Organisation | None:
    if org_id is None:
        return None
    if source not in HANDOVER_KINDS:
        raise ValidationFailed("error.referring_org_needs_handover")
    org = session.get(Organisation, org_id)
    if org is None or not org.active or org.kind not in SENDER_KINDS[source]:
        raise ValidationFailed("error.referring_org_invalid")
    return org


def parse_parties(text: str) -> list[PartyInput]:
    """'张三、李四' → applicant 张三, respondent 李四 (an organisation when the name says so)."""
    check_lengths(parties_text=(text or "").strip())
    names = [n.strip() for n in _SPLIT.split(text or "") if n.strip()]
    if len(names) < 2:
        raise ValidationFailed("error.quick_two_parties")
    if len(names) > 10:
        raise ValidationFailed("error.too_many_parties", max=10)
    return [
        PartyInput(
            side="applicant" if i == 0 else "respondent",
            name=n,
            kind="organisation" if n.endswith(ORG_SUFFIXES) else "person",
        )
        for i, n in enumerate(names)
    ]


def quick_case(session: Session, *, actor: Actor, data: QuickCaseInput) -> Case:
    """随手调: register, mediate and close a small dispute with an oral agreement in one transaction."""
    for permission in (P.CASE_CREATE, P.CASE_ACCEPT, P.CASE_MEDIATE):
        require(actor, permission)
    if (done := _existing(session, actor, data.form_token)) is not None:
        return done
    parties = parse_parties(data.parties_text)
    terms = data.terms.strip()
    check_lengths(terms=terms, place=data.place.strip())
    if not terms:
        raise ValidationFailed("error.terms_required")
    category = code_of(session, "category", data.category)
    check_amounts(data.amount_fen, 0)
    custom = staff_custom(session, data.custom)
    org = org_in_scope(session, actor, actor.org_id)
    label = labels(session, "category", "zh-CN").get(category, category)
    place = data.place.strip() or org.name
    case, new = create_once(
        session,
        CaseInput(
            org_id=org.id or 0,
            source="on_the_spot",
            category=category,
            description=terms[:5000],
            parties=parties,
            title=f"{parties[0].name[0]}某与{parties[1].name[0]}某{label}"[:120],
            place=place[:200],
            amount_fen=data.amount_fen,
            on_the_spot=True,
            custom=custom,
            form_token=data.form_token,
        ),
        actor,
    )
    if not new:
        return case
    case_id = case.id or 0
    workflow.transition(session, actor=actor, case_id=case_id, action="accept")
    session.add(
        MediationSession(
            case_id=case_id,
            held_at=utc_now(),
            place=place[:200],
            participants="、".join(p.name for p in parties),
            notes=terms[:5000],
            recorded_by=actor.user_id,
        )
    )
    outcomes.conclude_with_agreement(
        session,
        actor=actor,
        case=case,
        data=outcomes.AgreementInput(kind="oral", terms=terms, amount_fen=data.amount_fen, grade="simple"),
    )
    warnings.check_case(session, case, actor_id=actor.user_id)
    return case
