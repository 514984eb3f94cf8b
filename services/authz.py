"""The acting user, permission checks and organisation-subtree scoping."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from models import Case, Organisation
from services.errors import NotFound, OutOfScope, PermissionDenied
from services.permissions import P


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


def scope_org_ids(actor: Actor):  # type: ignore[no-untyped-def]
    """A subquery of the ids of the organisations in the actor's subtree."""
    return select(Organisation.id).where(col(Organisation.path).startswith(actor.org_path))


def case_in_scope_clause(actor: Actor) -> ColumnElement[bool]:
    return col(Case.org_id).in_(scope_org_ids(actor))


def org_in_scope(session: Session, actor: Actor, org_id: int) -> Organisation:
    """The organisation, if it lies in the actor's subtree."""
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound("error.not_found")
    if not org.path.startswith(actor.org_path):
        raise OutOfScope("error.out_of_scope")
    return org


def get_case_in_scope(session: Session, actor: Actor, case_id: int, *, for_update: bool = False) -> Case:
    """Load a case the actor may see, or refuse (same refusal for missing and foreign ids)."""
    require(actor, P.CASE_VIEW)
    stmt = select(Case).where(Case.id == case_id)
    if for_update:
        stmt = stmt.with_for_update()
    case = session.exec(stmt).first()
    if case is None:
        raise NotFound("error.case_not_found")
    org = session.get(Organisation, case.org_id)
    if org is None or not org.path.startswith(actor.org_path):
        raise OutOfScope("error.case_not_found")
    return case
