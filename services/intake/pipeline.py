"""Public intake: the submission pipeline, as named stages that are each tested alone.

    validate_contact → determine_org → classify → detect_duplicates → create_submitted_case → issue_tracking_code

`submit_intake` runs them. A one-time form token (signed, carrying its issue time) makes a double tap, a
rerun or a back-and-resubmit return the first result: the unique `case.form_token` (or, for a submission
linked to an earlier case, the unique `formsubmission.token`) decides under concurrency. Spam signals
(honeypot, too fast, links, identical bursts, an organisation flooded past its limit) quarantine a case for
staff review; nothing is dropped. A client over its limit is refused politely before anything is written.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import (
    Attachment,
    Case,
    CaseEvent,
    FormSpec,
    FormSubmission,
    Notification,
    Organisation,
    Party,
    RolePermission,
    User,
    UserRole,
)
from models.base import utc_now
from models.org import MEDIATION_KINDS, OrgKind
from services.access.authz import Actor
from services.access.permissions import P
from services.board import consent
from services.cases import states
from services.cases.create import CaseInput, PartyInput, create_case
from services.cases.similar import similarity as similarity  # its one home; re-exported for callers
from services.core.config import Limit, get_settings
from services.core.db import Database
from services.core.errors import NotFound, StorageProblem
from services.core.ratelimit import RateLimited, client_key, hit
from services.core.security import blind_index
from services.intake.form import (
    Details,
    FieldSpec,
    IntakeForm,
    Photo,
    form_shown_at,
    parse_fields,
    validate_form,
)
from services.intake.tracking import format_code, new_tracking_code
from services.lowcode.dictionaries import entries
from services.notify import outbox
from services.roster.orgs import get_org_by_code

INTAKE_KINDS = MEDIATION_KINDS | {OrgKind.COORDINATION}
DUPLICATE_WINDOW = timedelta(days=7)
SIMILAR_AT = 0.5
BURST_WINDOW = timedelta(hours=1)
BURST_AFTER = 2  # a third identical text within the hour is a burst
ORG_HARD_FACTOR = 10
RISK_WORDS = {
    "self_harm": ("自杀", "轻生", "跳楼", "寻死", "不想活"),
    "violence": ("砍人", "杀了他", "打死", "弄死", "同归于尽", "报复他"),
}
_LINK = re.compile(r"https?://|www\.", re.IGNORECASE)


@dataclass(frozen=True)
class IntakeSettings:
    """The intake tunables (tests pass their own; see `from_settings`)."""

    min_seconds: float  # faster than this looks like a bot
    client: Limit  # over it the client is refused
    org: Limit  # over it quarantined, over 10× that refused

    @classmethod
    def from_settings(cls) -> IntakeSettings:
        """The tunables of the app's settings (MEDIATION_INTAKE_*)."""
        s = get_settings()
        return cls(min_seconds=s.intake_min_seconds, client=s.intake_client_limit, org=s.intake_org_limit)


@dataclass(frozen=True)
class IntakeResult:
    """What the applicant is told: a new case with its code, or 'added to your earlier application'."""

    outcome: str  # "created" | "linked"
    case_id: int
    org_name: str
    org_phone: str
    tracking_code: str | None = None  # formatted for reading; None when linked (never reveal another case)
    accept_due: date | None = None


@dataclass(frozen=True)
class Classification:
    category: str
    risk_flags: tuple[str, ...] = ()
    spam_signals: tuple[str, ...] = ()


# --- stages --------------------------------------------------------------------------------------------


def intake_fields(session: Session) -> tuple[int, list[FieldSpec]]:
    """The version and custom fields of the newest active 'intake' form spec (none → (0, []))."""
    spec = session.exec(
        select(FormSpec)
        .where(FormSpec.code == "intake", FormSpec.status == "active")
        .order_by(col(FormSpec.version).desc())
    ).first()
    return (spec.version, parse_fields(spec.fields)) if spec else (0, [])


def categories(session: Session) -> list[tuple[str, str, str]]:
    """(code, zh, en) of the active categories, in display order."""
    return [(e.code, e.label_zh, e.label_en) for e in entries(session, "category")]


def determine_org(session: Session, code: str) -> Organisation:
    """The active organisation that takes public intake under this QR code, or NotFound."""
    clean = (code or "").strip().upper()[:32]
    org = get_org_by_code(session, clean) if clean else None
    if org is None or org.kind not in INTAKE_KINDS:
        raise NotFound("error.org_unknown", code=clean)
    return org


@dataclass(frozen=True)
class IntakeOrg:
    """The public face of an organisation at the top of its form: where the filing goes."""

    code: str
    name: str
    address: str
    phone: str
    hours: str


def find_intake_org(session: Session, code: str) -> IntakeOrg | None:
    """The organisation behind a QR code, or None for an unknown, inactive or non-mediating code."""
    try:
        org = determine_org(session, code)
    except NotFound:
        return None
    return IntakeOrg(org.code, org.name, org.address, org.phone, org.hours)


def classify(
    session: Session,
    *,
    org: Organisation,
    details: Details,
    honeypot: str,
    seconds: float,
    org_flooded: bool,
    settings: IntakeSettings,
    now: datetime | None = None,
) -> Classification:
    """Category (unknown → 'other'), risk flags from plain words, and the spam signals that quarantine."""
    codes = {e.code for e in entries(session, "category")}
    category = details.category if details.category in codes else "other"
    words = details.description + "\n" + details.request
    risks = tuple(flag for flag, found in RISK_WORDS.items() if any(w in words for w in found))
    signals = []
    if honeypot.strip():
        signals.append("honeypot")
    if seconds < settings.min_seconds:
        signals.append("too_fast")
    if len(_LINK.findall(words)) >= 2:
        signals.append("links")
    if org_flooded:
        signals.append("org_flood")
    if len(identical_recent(session, org_id=org.id or 0, description=details.description, now=now)) >= BURST_AFTER:
        signals.append("burst")
    return Classification(category, risks, tuple(signals))


def identical_recent(session: Session, *, org_id: int, description: str, now: datetime | None = None) -> list[int]:
    """Ids of cases at the organisation with exactly this description in the last hour."""
    since = (now or utc_now()) - BURST_WINDOW
    if len(description.strip()) < 10:
        return []
    return [
        i
        for i in session.exec(
            select(Case.id).where(
                Case.org_id == org_id,
                Case.source == "qr",
                col(Case.received_at) >= since,
                Case.description == description,
            )
        ).all()
        if i
    ]


def phone_index(phone: str) -> str:
    return blind_index(phone, get_settings().data_key, "phone")


def detect_duplicates(session: Session, *, phone: str, description: str, now: datetime | None = None) -> Case | None:
    """An open case filed from the same phone in the last 7 days with similar text, or None."""
    since = (now or utc_now()) - DUPLICATE_WINDOW
    stmt = (
        select(Case)
        .join(Party, col(Party.case_id) == col(Case.id))
        .where(
            Party.phone_index == phone_index(phone),
            Party.side == "applicant",
            col(Case.received_at) >= since,
            col(Case.status).in_(states.OPEN),
        )
        .order_by(col(Case.id).desc())
        .limit(20)
    )
    return next((c for c in session.exec(stmt).all() if similarity(description, c.description) >= SIMILAR_AT), None)


def create_submitted_case(
    session: Session,
    *,
    org: Organisation,
    contact: PartyInput,
    details: Details,
    cls: Classification,
    photos: list[Photo],
    token: str,
    form_version: int,
    seconds: float,
    entered_by: int | None = None,
    publication_consent: bool = False,
) -> Case:
    """The submitted case with its parties, photos and timeline; quarantined when spam signals were seen.

    `entered_by`: the staff user who typed it in for the resident at the office (else a public filing)."""
    parties = [contact] + ([details.respondent] if details.respondent else [])
    case = create_case(
        session,
        actor_id=entered_by,
        data=CaseInput(
            org_id=org.id or 0,
            source="qr",
            category=cls.category,
            description=details.description,
            parties=parties,
            place=details.place,
            request=details.request,
            risk_flags=list(cls.risk_flags),
            custom=dict(details.custom),
            form_token=token,
        ),
    )
    _add_photos(session, case.id or 0, photos)
    session.add(
        CaseEvent(
            case_id=case.id or 0,
            kind="intake.received",
            data={"form_version": form_version, "photos": len(photos), "seconds": round(seconds, 1)},
        )
    )
    if entered_by is not None:
        session.add(CaseEvent(case_id=case.id or 0, actor_id=entered_by, kind="intake.staff_entered"))
    if publication_consent:
        consent.mark_at_intake(session, case, how="online", actor_id=entered_by)
    if cls.spam_signals:
        quarantine(session, case_id=case.id or 0, signals=cls.spam_signals)
        if "burst" in cls.spam_signals:  # the earlier copies of the burst go to review too
            for other in identical_recent(session, org_id=org.id or 0, description=details.description):
                if other != case.id:
                    quarantine(session, case_id=other, signals=("burst",))
    return case


def issue_tracking_code(session: Session, case: Case) -> str:
    """Give the case a fresh tracking code (checked free; the unique constraint backs it up)."""
    for _ in range(5):
        code = new_tracking_code()
        if session.exec(select(Case.id).where(Case.tracking_code == code)).first() is None:
            case.tracking_code = code
            session.add(case)
            session.flush()
            return code
    raise StorageProblem()


def quarantine(session: Session, *, case_id: int, signals: tuple[str, ...]) -> None:
    """Flag a submitted case for staff review (once); it stays in the queue's 'suspected spam' view."""
    if (
        session.exec(
            select(CaseEvent.id).where(CaseEvent.case_id == case_id, CaseEvent.kind == "intake.quarantined")
        ).first()
        is None
    ):
        session.add(CaseEvent(case_id=case_id, kind="intake.quarantined", data={"signals": list(signals)}))


def link_to_earlier(
    session: Session, *, earlier: Case, details: Details, photos: list[Photo], token: str, similar: float
) -> None:
    """Add a repeated application to the earlier case: an event with its text, its photos, the used token."""
    resp = details.respondent
    session.add(
        CaseEvent(
            case_id=earlier.id or 0,
            kind="intake.linked",
            note=details.description,
            data={
                "similarity": round(similar, 2),
                "category": details.category,
                "place": details.place,
                "request": details.request,
                "respondent": resp.name if resp else "",
                "photos": len(photos),
                "custom": dict(details.custom),
            },
        )
    )
    _add_photos(session, earlier.id or 0, photos)
    session.add(
        FormSubmission(
            form_id=_form_id(session),
            form_code="intake",
            org_id=earlier.org_id,
            token=token,
            data={"linked_case_id": earlier.id},
        )
    )


def notify_staff(session: Session, *, case: Case, key: str) -> int:
    """One in-app notification per active user of the case's organisation who works the intake queue."""
    users = session.exec(
        select(User.id)
        .join(UserRole, col(UserRole.user_id) == col(User.id))
        .join(RolePermission, col(RolePermission.role_id) == col(UserRole.role_id))
        .where(
            User.org_id == case.org_id,
            User.active == True,  # noqa: E712
            RolePermission.permission == str(P.INTAKE_QUEUE),
        )
        .distinct()
    ).all()
    params = {"case_no": case.case_no, "high_risk": case.risk_level == "high"}
    for user_id in users:  # addressed to the person (org_id stays empty, or everyone would see every copy)
        session.add(Notification(user_id=user_id, case_id=case.id, key=key, params=params))
    if not users:  # nobody works the queue there yet: one notification for the organisation
        session.add(Notification(org_id=case.org_id, case_id=case.id, key=key, params=params))
    outbox.enqueue(session, org_id=case.org_id, key=key, case_id=case.id)  # the office's group robot, once
    return len(users)


def _add_photos(session: Session, case_id: int, photos: list[Photo]) -> None:
    for p in photos:
        session.add(
            Attachment(
                case_id=case_id,
                kind="photo",
                filename=p.filename,
                mime=p.mime,
                size=p.size,
                sha256=p.sha256,
                content=p.content,
            )
        )


def _form_id(session: Session) -> int:
    spec_id = session.exec(
        select(FormSpec.id).where(FormSpec.code == "intake").order_by(col(FormSpec.version).desc())
    ).first()
    if spec_id is None:
        raise StorageProblem()
    return spec_id


# --- the pipeline --------------------------------------------------------------------------------------


def find_submission(session: Session, token: str) -> IntakeResult | None:
    """The result an earlier submission with this token produced (replays return it unchanged)."""
    if not token:
        return None
    case = session.exec(select(Case).where(Case.form_token == token)).first()
    outcome = "created"
    if case is None:
        linked = session.exec(select(FormSubmission).where(FormSubmission.token == token)).first()
        case = session.get(Case, int(linked.data.get("linked_case_id") or 0)) if linked else None
        outcome = "linked"
    if case is None:
        return None
    org = session.get(Organisation, case.org_id)
    return IntakeResult(
        outcome=outcome,
        case_id=case.id or 0,
        org_name=org.name if org else "",
        org_phone=org.phone if org else "",
        tracking_code=format_code(case.tracking_code or "") if outcome == "created" else None,
        accept_due=case.accept_due if outcome == "created" else None,
    )


def _count_hits(session: Session, *, client: str, org: Organisation, settings: IntakeSettings, now: datetime) -> bool:
    """Count the attempt; refuse a client over its limit (or a flooded organisation); True = org over soft limit.

    Runs inside the submission's transaction: a refusal rolls its own hit back, so the count stays at the limit."""
    client_hits = hit(session, key=client_key("intake:c", client), limit=settings.client, now=now)
    org_hits = hit(session, key=f"intake:o:{org.id}", limit=settings.org, now=now)
    if client_hits > settings.client.max_hits or org_hits > settings.org.max_hits * ORG_HARD_FACTOR:
        raise RateLimited(minutes=math.ceil(settings.client.window_s / 60))
    return org_hits > settings.org.max_hits


def _lock_phone(session: Session, phone: str) -> None:
    """PostgreSQL: serialise submissions from one phone, so duplicate detection sees the other one."""
    if session.get_bind().dialect.name == "postgresql":
        key = int(phone_index(phone)[:15], 16)
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


@dataclass(frozen=True)
class _Checked:
    """A validated submission, ready for the write transaction."""

    form: IntakeForm
    org: Organisation
    contact: PartyInput
    details: Details
    photos: list[Photo]
    version: int
    seconds: float
    staff: Actor | None = None  # a signed-in staff user entering a resident's application (issue 22)


def _record(session: Session, c: _Checked, *, client: str, settings: IntakeSettings, now: datetime) -> IntakeResult:
    """The write half of the pipeline, in one transaction: limits, classify, duplicates, case, code, notices."""
    _lock_phone(session, c.contact.phone)
    done = find_submission(session, c.form.form_token)
    if done is not None:  # a twin committed first; replays are not counted against the limits
        return done
    # the per-address limits are for anonymous traffic; a signed-in mediator at the office PC enters many
    flooded = c.staff is None and _count_hits(session, client=client, org=c.org, settings=settings, now=now)
    cls = classify(
        session,
        org=c.org,
        details=c.details,
        honeypot=c.form.honeypot,
        seconds=c.seconds,
        org_flooded=flooded,
        settings=settings,
        now=now,
    )
    if c.staff is not None:  # a person typing at the office is no bot, however fast
        cls = Classification(cls.category, cls.risk_flags, tuple(x for x in cls.spam_signals if x != "too_fast"))
    earlier = detect_duplicates(session, phone=c.contact.phone, description=c.details.description, now=now)
    if earlier is not None:
        link_to_earlier(
            session,
            earlier=earlier,
            details=c.details,
            photos=c.photos,
            token=c.form.form_token,
            similar=similarity(c.details.description, earlier.description),
        )
        notify_staff(session, case=earlier, key="notify.intake_linked")
        return IntakeResult("linked", earlier.id or 0, c.org.name, c.org.phone)
    case = create_submitted_case(
        session,
        org=c.org,
        contact=c.contact,
        details=c.details,
        cls=cls,
        photos=c.photos,
        token=c.form.form_token,
        form_version=c.version,
        seconds=c.seconds,
        entered_by=c.staff.user_id if c.staff is not None else None,
        publication_consent=c.form.publication_consent is True,
    )
    code = issue_tracking_code(session, case)
    if not cls.spam_signals:
        notify_staff(session, case=case, key="notify.intake_new")
    return IntakeResult("created", case.id or 0, c.org.name, c.org.phone, format_code(code), case.accept_due)


def submit_intake(
    db: Database,
    form: IntakeForm,
    *,
    client: str,
    now: datetime | None = None,
    settings: IntakeSettings | None = None,
    staff: Actor | None = None,
) -> IntakeResult:
    """Run the pipeline for one public submission; a replayed token returns the first result.

    Reads and checks come first; everything that writes happens in one short transaction. `staff`: the signed-in
    user on the form; one who may register cases is not held to the anonymous per-address limits."""
    now = now or utc_now()
    settings = settings or IntakeSettings.from_settings()
    with db.read() as s:
        done = find_submission(s, form.form_token)
        if done is not None:
            return done
        version, fields = intake_fields(s)
        codes = {code for code, _, _ in categories(s)}
        org = determine_org(s, form.org_code)
    shown = form_shown_at(form.form_token, now)
    contact, details, photos = validate_form(form, fields, codes)
    entering = staff if staff is not None and staff.can(P.CASE_CREATE) else None
    checked = _Checked(form, org, contact, details, photos, version, (now - shown).total_seconds(), entering)
    for _ in range(3):
        try:
            with db.write() as s:  # SQLite writers queue in arrival order there
                return _record(s, checked, client=client, settings=settings, now=now)
        except IntegrityError:  # a concurrent twin won the unique token (or, rarely, the tracking code)
            with db.read() as s:
                done = find_submission(s, form.form_token)
            if done is not None:
                return done
    raise StorageProblem()
