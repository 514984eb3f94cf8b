"""Organisation tree: create, look up by code, subtree listings."""

from __future__ import annotations

from sqlmodel import Session, col, select

from models import Organisation, OrgKind
from services.errors import NotFound


def create_org(session: Session, *, code: str, name: str, kind: str, parent: Organisation | None = None,
               **fields: object) -> Organisation:
    """Add an organisation under `parent`, filling its materialised path and county."""
    org = Organisation(code=code, name=name, kind=kind, parent_id=parent.id if parent else None,
                       depth=(parent.depth + 1) if parent else 0, **fields)  # type: ignore[arg-type]
    session.add(org)
    session.flush()
    org.path = f"{parent.path if parent else '/'}{org.id}/"
    if kind == OrgKind.COUNTY:
        org.county_id = org.id
    elif parent is not None:
        org.county_id = parent.county_id
    session.add(org)
    return org


def get_org_by_code(session: Session, code: str, *, active_only: bool = True) -> Organisation:
    stmt = select(Organisation).where(Organisation.code == code.strip().upper())
    org = session.exec(stmt).first()
    if org is None or (active_only and not org.active):
        raise NotFound("error.org_unknown", code=code)
    return org


def list_orgs(session: Session, *, kinds: frozenset[str] | None = None, under_path: str = "/",
              active_only: bool = True) -> list[Organisation]:
    stmt = select(Organisation).where(col(Organisation.path).startswith(under_path))
    if kinds:
        stmt = stmt.where(col(Organisation.kind).in_(kinds))
    if active_only:
        stmt = stmt.where(Organisation.active == True)  # noqa: E712
    return list(session.exec(stmt.order_by(Organisation.path)).all())
