"""Publication consent (同意在隐去个人信息后作为典型案例公开): ticked on the public or staff intake form, or recorded
later on the case page (written, oral or by phone); withdrawn there too, which takes the case's typical-case posts
off the board. The case keeps who recorded it, when and how; the timeline and the audit log keep every change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from models import BoardPost, Case, CaseEvent, User
from models.base import utc_now
from services.access.authz import VISIBLE, WORK, Actor, get_case_in_scope, scope_clause
from services.access.permissions import P
from services.core import audit
from services.core.errors import PermissionDenied, ValidationFailed

HOW = ("online", "intake", "written", "oral", "phone")  # ticked online / at registration / later, three ways
RECORDED_BY_STAFF = ("written", "oral", "phone")  # what the case page offers


@dataclass(frozen=True)
class ConsentView:
    """What the case page shows about consent, and whether this user may change it."""

    given: bool
    at: datetime | None
    recorded_by: str  # the staff user's display name; "" when the applicant ticked it online
    how: str | None
    non_public: bool
    may_change: bool


def _may_change(actor: Actor) -> bool:
    return actor.can(P.BOARD_EDIT) or actor.can(P.CASE_MEDIATE) or actor.can(P.CASE_ACCEPT)


def _case_for_change(session: Session, actor: Actor, case_id: int) -> Case:
    """The case, in the actor's working scope (the board editor's: the whole area)."""
    if not _may_change(actor):
        raise PermissionDenied("error.permission_denied")
    scope = VISIBLE if actor.can(P.BOARD_EDIT) else WORK
    return get_case_in_scope(session, actor, case_id, for_update=True, scope=scope)


def _set(session: Session, case: Case, *, how: str, actor_id: int | None) -> None:
    case.publication_consent = True
    case.publication_consent_at, case.publication_consent_by, case.publication_consent_how = utc_now(), actor_id, how
    session.add(case)
    session.add(CaseEvent(case_id=case.id or 0, actor_id=actor_id, kind=f"consent.{how}"))
    audit.record(session, action="case.consent_given", actor_id=actor_id, entity="case", entity_id=case.id, how=how)


def mark_at_intake(session: Session, case: Case, *, how: str, actor_id: int | None) -> None:
    """The consent ticked on an intake form: "online" on the public form (`actor_id`: the staff user who typed it in
    for the resident, if any), "intake" on the staff registration form."""
    _set(session, case, how=how, actor_id=actor_id)
    session.flush()


def record_consent(session: Session, *, actor: Actor, case_id: int, how: str) -> Case:
    """Record the parties' consent given later (written, oral or by phone); refused for a non-public case."""
    if how not in RECORDED_BY_STAFF:
        raise ValidationFailed("error.consent_how_invalid")
    case = _case_for_change(session, actor, case_id)
    if case.non_public:
        raise ValidationFailed("error.consent_non_public")
    _set(session, case, how=how, actor_id=actor.user_id)
    session.flush()
    return case


def withdraw_consent(session: Session, *, actor: Actor, case_id: int) -> int:
    """The parties withdraw consent: the flag is cleared and every typical-case post of the case is withdrawn at
    once (drafts included). Returns how many posts were taken down."""
    case = _case_for_change(session, actor, case_id)
    if not case.publication_consent:
        raise ValidationFailed("error.consent_not_given")
    case.publication_consent = False
    case.publication_consent_at, case.publication_consent_by, case.publication_consent_how = utc_now(), None, None
    session.add(case)
    posts = session.exec(
        select(BoardPost).where(BoardPost.case_id == case_id, col(BoardPost.status) != "withdrawn")
    ).all()
    for post in posts:
        post.status, post.withdrawn_at = "withdrawn", utc_now()
        session.add(post)
    session.add(CaseEvent(case_id=case_id, actor_id=actor.user_id, kind="consent.withdrawn"))
    audit.record(
        session,
        action="case.consent_withdrawn",
        actor_id=actor.user_id,
        entity="case",
        entity_id=case_id,
        posts=len(posts),
    )
    session.flush()
    return len(posts)


def consent_of(session: Session, *, actor: Actor, case_id: int) -> ConsentView:
    """The case's consent as the case page shows it (the case must be visible to the actor)."""
    case = get_case_in_scope(session, actor, case_id)
    by = session.get(User, case.publication_consent_by) if case.publication_consent_by else None
    may = _may_change(actor) and (
        actor.can(P.BOARD_EDIT)
        or session.exec(select(Case.id).where(Case.id == case_id, scope_clause(actor, WORK))).first() is not None
    )
    return ConsentView(
        given=case.publication_consent,
        at=case.publication_consent_at,
        recorded_by=by.display_name if by else "",
        how=case.publication_consent_how,
        non_public=case.non_public,
        may_change=may,
    )
