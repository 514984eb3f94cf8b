"""The actor's area: the organisation whose subtree a user works in.

An office works in its own subtree; a coordination centre or a justice office serves the region it sits in,
its parent's subtree, as `services.access.authz.area_org_ids` scopes cases. Statistics, the ledger, rating
schemes and document templates all start from this one organisation.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select
from sqlmodel import Session

from models import Organisation
from services.access.authz import REGIONAL_KINDS, Actor, parent_path
from services.core.errors import OutOfScope

WIDE = 50  # an area holding at least 1/WIDE of all organisations is wide (`is_wide`)


def area_of(session: Session, *, org: Organisation) -> Organisation:
    """The top of the area an organisation works in: itself, or for a regional office its parent."""
    if org.kind in REGIONAL_KINDS and org.parent_id is not None:
        parent = session.get(Organisation, org.parent_id)
        if parent is not None:
            return parent
    return org


def actor_area(session: Session, *, actor: Actor) -> Organisation:
    """The top of the actor's area; refused when the actor's organisation is gone.

    The region only when authz grants it for the actor's path (a path moved since sign-in keeps the office's own
    subtree), so no list or figure reaches beyond the cases the actor may open."""
    org = session.get(Organisation, actor.org_id)
    if org is None:
        raise OutOfScope("error.out_of_scope")
    area = area_of(session, org=org)
    if area is not org and not area.path.startswith(parent_path(actor.org_path)):
        return org
    return area


def is_wide(session: Session, members: ColumnElement[bool]) -> bool:
    """Whether the organisations `members` selects are at least 1/WIDE of all: a list over such an area walks
    its table in the page's order and tests each row (about a page of rows at any depth) instead of gathering
    the area's every row through the organisation index to sort them (services/cases/workbench.py,
    services/ledger/views.py)."""
    inside = select(func.count()).select_from(Organisation).where(members).scalar_subquery()
    every = select(func.count()).select_from(Organisation).scalar_subquery()
    share, total = session.execute(select(inside, every)).one()
    return int(share or 0) * WIDE >= int(total or 0)
