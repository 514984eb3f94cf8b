"""The acting user, permission checks and case scoping.

Three nested scopes over cases, each one SQL clause so lists never load rows to filter them:
* owned — the case's organisation lies in the actor's area (its subtree; a coordination or justice office
  serves the region it sits in, i.e. its parent's subtree). Closing, accepting and archiving need this.
* work — owned, or the actor's organisation takes part in joint mediation, or a hand-over to it is pending.
* visible — work, or the actor's organisation handed the case over, is the court asked to confirm the
  agreement, or audited its grade (police and courts see what they handed over and how it ended).
A missing id and an id outside the scope get the same message ("no such case, or you may not see it").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from models import Case, GradeAudit, JointParticipant, JudicialConfirmation, Organisation, OrgKind, Referral
from services.access.permissions import P
from services.core.errors import NotFound, OutOfScope, PermissionDenied

REGIONAL_KINDS = (OrgKind.COORDINATION, OrgKind.JUSTICE_OFFICE)
OWNED, WORK, VISIBLE = "owned", "work", "visible"

_log = logging.getLogger("mediation.authz")


@dataclass(frozen=True)
class Actor:
    """Who is acting: a staff user with an organisation and permissions (never cached across users)."""

    user_id: int
    username: str
    display_name: str
    org_id: int
    org_path: str
    roles: frozenset[str] = field(default_factory=frozenset)
    permissions: frozenset[str] = field(default_factory=frozenset)

    def can(self, permission: P | str) -> bool:
        return str(permission) in self.permissions


def require(actor: Actor, permission: P | str) -> None:
    """Refuse with a clear error when the actor lacks the permission."""
    if not actor.can(permission):
        raise PermissionDenied("error.permission_denied", permission=str(permission))


def require_any(actor: Actor, *permissions: P | str) -> None:
    """Refuse unless the actor holds at least one of the permissions."""
    if not any(actor.can(p) for p in permissions):
        raise PermissionDenied("error.permission_denied", permission=str(permissions[0]))


def parent_path(path: str) -> str:
    """'/1/4/17/' → '/1/4/'; the root's parent is '/'."""
    parts = [p for p in path.split("/") if p]
    return "/" + "".join(f"{p}/" for p in parts[:-1])


def scope_org_ids(actor: Actor):  # type: ignore[no-untyped-def]
    """A subquery of the ids of the organisations in the actor's own subtree."""
    return select(Organisation.id).where(col(Organisation.path).startswith(actor.org_path))


def area_org_ids(actor: Actor):  # type: ignore[no-untyped-def]
    """The actor's subtree, or for a coordination or justice office the subtree of the region it serves."""
    own = col(Organisation.path).startswith(actor.org_path)
    region = parent_path(actor.org_path)
    if region == actor.org_path:
        return select(Organisation.id).where(own)
    me = aliased(Organisation)
    regional = exists().where(col(me.id) == actor.org_id, col(me.kind).in_(REGIONAL_KINDS))
    return select(Organisation.id).where(or_(own, and_(regional, col(Organisation.path).startswith(region))))


def case_in_scope_clause(actor: Actor) -> ColumnElement[bool]:
    """Cases owned by an organisation in the actor's area."""
    return col(Case.org_id).in_(area_org_ids(actor))


# Each branch is "Case.id IN (ids from an indexed table)" rather than a correlated EXISTS, so both
# SQLite (OR-by-union over indexes) and PostgreSQL (BitmapOr) avoid scanning every case.
def _ids(column: Any, *where: Any) -> ColumnElement[bool]:
    return col(Case.id).in_(select(column).where(*where))


def case_work_clause(actor: Actor) -> ColumnElement[bool]:
    """Owned cases, joint cases the actor's organisation takes part in, and hand-overs waiting for it."""
    mine = scope_org_ids(actor)
    joint = _ids(JointParticipant.case_id, col(JointParticipant.org_id).in_(mine))
    incoming = _ids(Referral.case_id, col(Referral.status) == "pending", col(Referral.to_org_id).in_(mine))
    return or_(case_in_scope_clause(actor), joint, incoming)


def case_visible_clause(actor: Actor) -> ColumnElement[bool]:
    """Work cases plus those the actor's organisation handed over, rules on, or audited."""
    mine = scope_org_ids(actor)
    sent = _ids(Referral.case_id, col(Referral.from_org_id).in_(mine))
    ruling = _ids(JudicialConfirmation.case_id, col(JudicialConfirmation.court_org_id).in_(mine))
    audited = _ids(GradeAudit.case_id, col(GradeAudit.auditor_org_id).in_(mine))
    return or_(case_work_clause(actor), sent, ruling, audited)


CLAUSES = {OWNED: case_in_scope_clause, WORK: case_work_clause, VISIBLE: case_visible_clause}


def scope_clause(actor: Actor, scope: str) -> ColumnElement[bool]:
    return CLAUSES[scope](actor) if scope in CLAUSES else false()


def org_in_scope(session: Session, actor: Actor, org_id: int) -> Organisation:
    """The organisation, if it lies in the actor's area."""
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound("error.not_found")
    if org.id not in set(session.exec(area_org_ids(actor).where(Organisation.id == org_id)).all()):
        raise OutOfScope("error.out_of_scope")
    return org


def get_case_in_scope(
    session: Session, actor: Actor, case_id: int, *, for_update: bool = False, scope: str = VISIBLE
) -> Case:
    """Load a case the actor may see (or act on, with a narrower `scope`); missing and foreign ids are refused alike."""
    require(actor, P.CASE_VIEW)
    if not isinstance(case_id, int) or isinstance(case_id, bool):
        raise NotFound("error.case_not_found")
    stmt = select(Case).where(Case.id == case_id)
    if for_update:
        stmt = stmt.with_for_update()
    case = session.exec(stmt).first()
    if case is None:
        raise NotFound("error.case_not_found")
    allowed = session.exec(select(Case.id).where(Case.id == case_id, scope_clause(actor, scope))).first()
    if allowed is None:
        _log.warning("authz.refused actor=%s case=%s scope=%s", actor.user_id, case_id, scope)  # ids only (AZ-2)
        raise OutOfScope("error.case_not_found")
    return case


def case_relation(session: Session, actor: Actor, case_id: int) -> str | None:
    """The narrowest scope in which the actor holds the case: 'owned', 'work', 'visible' or None."""
    for scope in (OWNED, WORK, VISIBLE):
        if session.exec(select(Case.id).where(Case.id == case_id, scope_clause(actor, scope))).first() is not None:
            return scope
    return None
