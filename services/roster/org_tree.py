"""The organisation tree as an office reads it: city → county → town → village, the stationed rooms and
committees under the organisation that hosts them, each with its cases and mediators (its own and with all below).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import Case, Mediator, Organisation, OrgKind
from services.access.authz import Actor, area_org_ids, require
from services.access.permissions import P

# the areas come first under a parent, then what is stationed there (rooms, committees, offices), each by name
AREA_ORDER: dict[str, int] = {OrgKind.CITY: 0, OrgKind.COUNTY: 1, OrgKind.TOWN: 2, OrgKind.VILLAGE_COMMITTEE: 3}


@dataclass(frozen=True)
class OrgNode:
    """One organisation in the tree, `level` 0 at the top of the actor's area."""

    id: int
    code: str
    name: str
    kind: str
    level: int
    active: bool
    own_cases: int
    own_mediators: int  # active mediators
    cases: int  # with every organisation below
    mediators: int


def _counts(session: Session, column: object, ids: list[int], *where: object) -> dict[int, int]:
    stmt = select(column, func.count()).where(col(column).in_(ids), *where).group_by(column)  # type: ignore[call-overload]
    return {int(k): int(n) for k, n in session.exec(stmt).all()}


def org_tree(session: Session, *, actor: Actor) -> list[OrgNode]:
    """The actor's area as a tree in reading order (parents before children), with case and mediator counts."""
    require(actor, P.ROSTER_VIEW)
    orgs = list(session.exec(select(Organisation).where(col(Organisation.id).in_(area_org_ids(actor)))).all())
    ids = [o.id or 0 for o in orgs]
    cases = _counts(session, Case.org_id, ids)
    mediators = _counts(session, Mediator.org_id, ids, Mediator.status == "active")
    by_id = {o.id: o for o in orgs}
    children: dict[int | None, list[Organisation]] = {}
    for o in orgs:
        children.setdefault(o.parent_id if o.parent_id in by_id else None, []).append(o)
    totals: dict[int, tuple[int, int]] = {}

    def total(o: Organisation) -> tuple[int, int]:
        c, m = cases.get(o.id or 0, 0), mediators.get(o.id or 0, 0)
        for child in children.get(o.id, []):
            dc, dm = total(child)
            c, m = c + dc, m + dm
        totals[o.id or 0] = (c, m)
        return c, m

    out: list[OrgNode] = []

    def walk(o: Organisation, level: int) -> None:
        oid = o.id or 0
        c, m = totals[oid]
        out.append(
            OrgNode(oid, o.code, o.name, o.kind, level, o.active, cases.get(oid, 0), mediators.get(oid, 0), c, m)
        )
        for child in sorted(children.get(o.id, []), key=lambda x: (AREA_ORDER.get(x.kind, 9), x.name)):
            walk(child, level + 1)

    for top in sorted(children.get(None, []), key=lambda x: x.path):
        total(top)
        walk(top, 0)
    return out
