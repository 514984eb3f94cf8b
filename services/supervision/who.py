"""Who may act on a supervision order: the handling body, the supervising office, the level above the handling body."""

from __future__ import annotations

from sqlmodel import Session, select

from models import Organisation, SupervisionOrder
from services.access.authz import Actor
from services.access.permissions import P


def _path(session: Session, org_id: int) -> str:
    return session.exec(select(Organisation.path).where(Organisation.id == org_id)).first() or "\x00"


def is_handler(session: Session, actor: Actor, order: SupervisionOrder) -> bool:
    """The actor works in the handling body (or an office inside it)."""
    return actor.org_path.startswith(_path(session, order.handling_org_id))


def is_supervisor(session: Session, actor: Actor, order: SupervisionOrder) -> bool:
    """The actor's own subtree holds the supervising office."""
    return actor.can(P.SUPERVISE) and _path(session, order.supervisor_org_id).startswith(actor.org_path)


def is_level_above(session: Session, actor: Actor, order: SupervisionOrder) -> bool:
    """The actor may decide an extension: the level above the handling body, or the supervising office."""
    if not actor.can(P.SUPERVISE):
        return False
    parent = session.exec(select(Organisation.parent_id).where(Organisation.id == order.handling_org_id)).first()
    above = parent is not None and _path(session, parent).startswith(actor.org_path)
    return (above and actor.org_id != order.handling_org_id) or is_supervisor(session, actor, order)
