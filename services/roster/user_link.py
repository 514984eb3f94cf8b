"""The link between a user account and its entry in the mediator roster (Mediator.user_id, one account each).

The administrator sets it on the user's record; both records show it (`ADMIN_DISPLAYS`: the user's mediator,
the mediator's account). A mediator already linked to another account is refused, never silently taken over.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlmodel import Session, col, select

from models import Mediator, Organisation, User
from services.access.authz import Actor, area_org_ids, require
from services.access.permissions import P
from services.admin.extensions import DisplayFn
from services.core import audit
from services.core.errors import Conflict, OutOfScope


class MediatorLinkedElsewhere(Conflict):
    """The roster entry already belongs to another account."""

    key = "error.mediator_linked_elsewhere"


def linked_mediator_id(session: Session, user_id: int) -> int | None:
    """The roster entry linked to the account, if any."""
    return session.exec(select(Mediator.id).where(Mediator.user_id == user_id)).first()


def link_user_to_mediator(session: Session, *, actor: Actor, user_id: int, mediator_id: int | None) -> None:
    """Link the account to that roster entry (None: unlink it); audited with the entries before and after."""
    require(actor, P.USER_ADMIN)
    before = linked_mediator_id(session, user_id)
    if before == mediator_id:
        return
    target = session.get(Mediator, mediator_id) if mediator_id is not None else None
    if mediator_id is not None:
        in_area = session.exec(
            select(Mediator.id).where(Mediator.id == mediator_id, col(Mediator.org_id).in_(area_org_ids(actor)))
        ).first()
        if target is None or in_area is None:
            raise OutOfScope("error.out_of_scope")
        if target.user_id is not None and target.user_id != user_id:
            other = session.get(User, target.user_id)
            raise MediatorLinkedElsewhere(user=other.display_name if other else str(target.user_id))
    if before is not None:
        old = session.get(Mediator, before)
        if old is not None:
            old.user_id = None
            session.add(old)
            session.flush()  # the unique user_id: free it before the new entry takes it
    if target is not None:
        target.user_id = user_id
        session.add(target)
    session.flush()
    audit.record(
        session,
        action="user.link_mediator",
        actor_id=actor.user_id,
        entity="user",
        entity_id=user_id,
        before=before,
        after=mediator_id,
    )


def _user_mediator(session: Session, ids: Sequence[int], lang: str) -> Mapping[int, Mapping[str, Any]]:
    stmt = (
        select(Mediator.user_id, Mediator.name, Organisation.name)
        .join(Organisation, col(Organisation.id) == col(Mediator.org_id))
        .where(col(Mediator.user_id).in_(list(ids)))
    )
    return {int(uid or 0): {"mediator": f"{name}（{org}）"} for uid, name, org in session.exec(stmt).all()}


def _mediator_account(session: Session, ids: Sequence[int], lang: str) -> Mapping[int, Mapping[str, Any]]:
    stmt = (
        select(Mediator.id, User.username, User.display_name)
        .join(User, col(User.id) == col(Mediator.user_id))
        .where(col(Mediator.id).in_(list(ids)))
    )
    return {int(mid or 0): {"account": f"{shown}（{username}）"} for mid, username, shown in session.exec(stmt).all()}


ADMIN_DISPLAYS: tuple[tuple[str, tuple[str, ...], DisplayFn], ...] = (
    ("user", ("mediator",), _user_mediator),
    ("mediator", ("account",), _mediator_account),
)
