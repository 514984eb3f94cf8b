"""Organisation tree: create, look up by code, subtree listings, moves and renames that keep the history."""

from __future__ import annotations

from sqlalchemy import String, func, literal, update
from sqlmodel import Session, col, select

from models import Case, Organisation, OrgHistory, OrgKind
from services.access.authz import Actor, org_in_scope, require
from services.access.permissions import P
from services.core import audit
from services.core.errors import NotFound, ValidationFailed


def create_org(
    session: Session, *, code: str, name: str, kind: str, parent: Organisation | None = None, **fields: object
) -> Organisation:
    """Add an organisation under `parent`, filling its materialised path and county."""
    org = Organisation(
        code=code,
        name=name,
        kind=kind,
        parent_id=parent.id if parent else None,
        depth=(parent.depth + 1) if parent else 0,
        **fields,  # type: ignore[arg-type]
    )
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


def list_orgs(
    session: Session, *, kinds: frozenset[str] | None = None, under_path: str = "/", active_only: bool = True
) -> list[Organisation]:
    stmt = select(Organisation).where(col(Organisation.path).startswith(under_path))
    if kinds:
        stmt = stmt.where(col(Organisation.kind).in_(kinds))
    if active_only:
        stmt = stmt.where(Organisation.active == True)  # noqa: E712
    return list(session.exec(stmt.order_by(Organisation.path)).all())


def _county_of(org: Organisation, parent: Organisation) -> int | None:
    return org.id if org.kind == OrgKind.COUNTY else parent.county_id


def move_org(session: Session, *, actor: Actor, org_id: int, parent_id: int) -> Organisation:
    """Move an organisation and its subtree under a new parent, keeping the history, in the caller's transaction.

    Paths and depths of the whole subtree change; county ids change where the county changes, on the
    organisations and on their cases (Case.county_id is denormalised for statistics)."""
    require(actor, P.ORG_EDIT)
    org = org_in_scope(session, actor, org_id)
    parent = org_in_scope(session, actor, parent_id)
    if org.parent_id is None or parent.path.startswith(org.path):
        raise ValidationFailed("error.org_move_cycle")
    if org.parent_id == parent.id:
        return org
    old_parent = session.get(Organisation, org.parent_id)
    old_path, new_path = org.path, f"{parent.path}{org.id}/"
    old_cid, new_cid = org.county_id, _county_of(org, parent)
    same_county = col(Organisation.county_id).is_(None) if old_cid is None else col(Organisation.county_id) == old_cid
    changed = (
        []
        if old_cid == new_cid
        else list(
            session.exec(select(Organisation.id).where(col(Organisation.path).startswith(old_path), same_county)).all()
        )
    )
    session.flush()
    session.execute(
        update(Organisation)
        .where(col(Organisation.path).startswith(old_path))
        .values(
            path=literal(new_path, String) + func.substr(Organisation.path, len(old_path) + 1),
            depth=Organisation.depth + (parent.depth + 1 - org.depth),
        )
        .execution_options(synchronize_session=False)
    )
    for i in range(0, len(changed), 500):
        chunk = changed[i : i + 500]
        session.execute(
            update(Organisation)
            .where(col(Organisation.id).in_(chunk))
            .values(county_id=new_cid)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(Case)
            .where(col(Case.org_id).in_(chunk))
            .values(county_id=new_cid)
            .execution_options(synchronize_session=False)
        )
    session.execute(
        update(Organisation)
        .where(col(Organisation.id) == org.id)
        .values(parent_id=parent.id)
        .execution_options(synchronize_session=False)
    )
    session.add(
        OrgHistory(
            org_id=org.id or 0,
            field="parent",
            old_value=old_parent.code if old_parent else "",
            new_value=parent.code,
            actor_id=actor.user_id,
        )
    )
    audit.record(
        session,
        action="org.move",
        actor_id=actor.user_id,
        entity="organisation",
        entity_id=org.id,
        old_path=old_path,
        new_path=new_path,
        county_changed=len(changed),
    )
    session.expire_all()
    return org


def rename_org(session: Session, *, actor: Actor, org: Organisation, name: str) -> None:
    """Rename an organisation, keeping the old name in its history."""
    require(actor, P.ORG_EDIT)
    if name != org.name:
        session.add(
            OrgHistory(org_id=org.id or 0, field="name", old_value=org.name, new_value=name, actor_id=actor.user_id)
        )
        org.name = name
        session.add(org)
