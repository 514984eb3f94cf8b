"""Roster import against the database: check parsed rows (codes, parents, scope, phones), then write them all.

`check_rows` adds row errors; `write_rows` inserts organisations and mediators with Core executemany inside the
caller's transaction (so it is all or nothing) and reports progress per chunk.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import Mediator, MediatorPosting, Organisation, OrgKind
from models.base import utc_now
from services.access.authz import Actor, area_org_ids
from services.core import audit, clock
from services.roster.import_rows import MEDIATOR_SHEET, ORG_SHEET, Parsed, Progress, RowError, chunks

WRITE_CHUNK = 1_000


@dataclass(frozen=True)
class OrgRef:
    id: int
    path: str
    depth: int
    county_id: int | None


def _existing(session: Session, codes: set[str], *, actor: Actor | None) -> dict[str, OrgRef]:
    """Organisations with these codes (only those in the actor's area when an actor is given)."""
    out: dict[str, OrgRef] = {}
    for chunk in chunks(sorted(codes)):
        stmt = sa.select(
            col(Organisation.code),
            col(Organisation.id),
            col(Organisation.path),
            col(Organisation.depth),
            col(Organisation.county_id),
        ).where(col(Organisation.code).in_(chunk))
        if actor is not None:
            stmt = stmt.where(col(Organisation.id).in_(area_org_ids(actor)))
        out.update({c: OrgRef(i or 0, p, d, cid) for c, i, p, d, cid in session.execute(stmt).all()})
    return out


def _cycle_rows(orgs: list[dict[str, Any]], in_file: Mapping[str, dict[str, Any]]) -> set[int]:
    """Rows whose chain of parents inside the file loops back on itself."""
    bad: set[int] = set()
    for org in orgs:
        seen, code = set(), org["code"]
        while code in in_file and code not in seen:
            seen.add(code)
            code = in_file[code]["parent_code"]
        if code in seen:
            bad.add(org["row"])
    return bad


def _check_orgs(session: Session, actor: Actor, parsed: Parsed) -> dict[str, OrgRef]:
    in_file: dict[str, dict[str, Any]] = {}
    for org in parsed.orgs:
        if org["code"] in in_file:
            parsed.errors.append(
                RowError(ORG_SHEET, org["row"], "组织编码", "error.roster_duplicate_in_file", {"value": org["code"]})
            )
        elif org["code"]:
            in_file[org["code"]] = org
    taken = _existing(session, set(in_file), actor=None)
    parents = _existing(session, {o["parent_code"] for o in parsed.orgs} - set(in_file), actor=actor)
    cycles = _cycle_rows(parsed.orgs, in_file)
    for org in parsed.orgs:
        if org["code"] in taken:
            parsed.errors.append(
                RowError(ORG_SHEET, org["row"], "组织编码", "error.roster_code_exists", {"value": org["code"]})
            )
        parent = org["parent_code"]
        if parent and (parent == org["code"] or org["row"] in cycles):
            parsed.errors.append(RowError(ORG_SHEET, org["row"], "上级组织编码", "error.roster_parent_cycle"))
        elif parent and parent not in in_file and parent not in parents:
            parsed.errors.append(
                RowError(ORG_SHEET, org["row"], "上级组织编码", "error.roster_parent_unknown", {"value": parent})
            )
    return parents


def _known_mediators(
    session: Session, actor: Actor, parsed: Parsed, homes: dict[str, OrgRef]
) -> tuple[dict[str, tuple[int, bool]], dict[tuple[int, str], list[int]]]:
    """Existing mediators the rows may mean: phone → (id, in the actor's area); (org id, name) → ids in the area."""
    area = area_org_ids(actor)
    by_phone: dict[str, tuple[int, bool]] = {}
    for chunk in chunks(sorted({m["phone"] for m in parsed.mediators if m["phone"]})):
        mine = col(Mediator.org_id).in_(area)
        stmt = select(Mediator.phone, Mediator.id, mine).where(col(Mediator.phone).in_(chunk))
        by_phone.update({phone: (mid or 0, bool(ok)) for phone, mid, ok in session.exec(stmt).all()})
    by_name: dict[tuple[int, str], list[int]] = {}
    for chunk in chunks(sorted({ref.id for ref in homes.values()})):
        stmt2 = select(Mediator.org_id, Mediator.name, Mediator.id).where(col(Mediator.org_id).in_(chunk))
        for org_id, name, mid in session.exec(stmt2).all():
            by_name.setdefault((org_id, name), []).append(mid or 0)
    return by_phone, by_name


def _check_mediators(session: Session, actor: Actor, parsed: Parsed, file_codes: set[str]) -> dict[str, OrgRef]:
    """Row errors of the mediator sheet; a row that means an existing mediator in the area gets `update_id`.

    The same mediator is the same mobile number, or (without a known number) the same name in the same
    organisation; a number registered outside the actor's area stays refused."""
    homes = _existing(session, {m["org_code"] for m in parsed.mediators} - file_codes, actor=actor)
    by_phone, by_name = _known_mediators(session, actor, parsed, homes)
    seen: set[str] = set()
    updating: set[int] = set()
    for m in parsed.mediators:
        m["update_id"] = None
        if m["org_code"] and m["org_code"] not in file_codes and m["org_code"] not in homes:
            parsed.errors.append(
                RowError(MEDIATOR_SHEET, m["row"], "所属组织编码", "error.roster_org_unknown", {"value": m["org_code"]})
            )
        match = by_phone.get(m["phone"]) if m["phone"] else None
        if m["phone"] and (m["phone"] in seen or (match is not None and not match[1])):
            parsed.errors.append(RowError(MEDIATOR_SHEET, m["row"], "手机号码", "error.roster_phone_taken"))
        elif match is not None:
            m["update_id"] = match[0]
        elif m["org_code"] in homes:
            same = by_name.get((homes[m["org_code"]].id, m["name"]), [])
            if len(same) > 1:
                parsed.errors.append(RowError(MEDIATOR_SHEET, m["row"], "姓名", "error.roster_name_ambiguous"))
            elif same:
                m["update_id"] = same[0]
        if m["update_id"] is not None and m["update_id"] in updating:
            parsed.errors.append(RowError(MEDIATOR_SHEET, m["row"], "姓名", "error.roster_same_mediator_twice"))
        updating.add(m["update_id"])
        if m["phone"]:
            seen.add(m["phone"])
    return homes


def check_rows(session: Session, actor: Actor, parsed: Parsed) -> dict[str, OrgRef]:
    """Add the database-dependent row errors; return the existing organisations the rows point at."""
    parents = _check_orgs(session, actor, parsed)
    homes = _check_mediators(session, actor, parsed, {o["code"] for o in parsed.orgs})
    parsed.errors.sort(key=lambda e: (e.sheet != ORG_SHEET, e.row))
    return parents | homes


def _insert(
    session: Session, table: sa.Table, rows: list[dict[str, Any]], progress: Progress | None, stage: str
) -> list[int]:
    ids: list[int] = []
    conn = session.connection()
    for start in range(0, len(rows), WRITE_CHUNK):
        result = conn.execute(
            sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), rows[start : start + WRITE_CHUNK]
        )
        ids += [r[0] for r in result]
        if progress:
            progress(stage, len(ids), len(rows))
    return ids


def _write_orgs(
    session: Session, orgs: list[dict[str, Any]], known: dict[str, OrgRef], progress: Progress | None
) -> dict[str, OrgRef]:
    now = utc_now()
    table: sa.Table = Organisation.__table__  # type: ignore[attr-defined]
    fields = ("code", "name", "kind", "sector", "address", "phone", "hours", "population", "active")
    rows = [{**{k: o[k] for k in fields}, "path": "/", "depth": 0, "created_at": now} for o in orgs]
    ids = dict(zip((o["code"] for o in orgs), _insert(session, table, rows, progress, "orgs"), strict=True))
    by_code = {o["code"]: o for o in orgs}
    placed: dict[str, OrgRef] = dict(known)

    def place(code: str) -> OrgRef:
        if code not in placed:
            parent = place(by_code[code]["parent_code"])
            me = ids[code]
            county = me if by_code[code]["kind"] == OrgKind.COUNTY else parent.county_id
            placed[code] = OrgRef(me, f"{parent.path}{me}/", parent.depth + 1, county)
        return placed[code]

    updates = []
    for o in orgs:
        ref = place(o["code"])
        updates.append(
            {
                "b_id": ref.id,
                "b_parent": placed[o["parent_code"]].id,
                "b_path": ref.path,
                "b_depth": ref.depth,
                "b_county": ref.county_id,
            }
        )
    stmt = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("b_id"))
        .values(
            parent_id=sa.bindparam("b_parent"),
            path=sa.bindparam("b_path"),
            depth=sa.bindparam("b_depth"),
            county_id=sa.bindparam("b_county"),
        )
    )
    for part in chunks(updates, WRITE_CHUNK):
        session.connection().execute(stmt, list(part))
    return placed


def write_rows(
    session: Session,
    actor: Actor,
    parsed: Parsed,
    known: dict[str, OrgRef],
    *,
    digest: str,
    progress: Progress | None = None,
) -> tuple[int, int]:
    """Write every parsed row (call only when check_rows found no error): new organisations and mediators are
    inserted, a row meaning an existing mediator updates it; returns (organisations, mediators written)."""
    placed = _write_orgs(session, parsed.orgs, known, progress) if parsed.orgs else dict(known)
    now, today = utc_now(), clock.today()
    updated = _update_mediators(session, [m for m in parsed.mediators if m.get("update_id")], placed, today)
    mediators = [
        {
            "name": m["name"],
            "gender": m["gender"],
            "phone": m["phone"],
            "org_id": placed[m["org_code"]].id,
            "employment": m["employment"],
            "specialties": m["specialties"],
            "certificate_no": m["certificate_no"],
            "start_date": m["start_date"],
            "status": m["status"],
            "created_at": now,
        }
        for m in parsed.mediators
        if not m.get("update_id")
    ]
    ids = _insert(session, Mediator.__table__, mediators, progress, "mediators")  # type: ignore[attr-defined]
    postings = [
        {"mediator_id": i, "org_id": m["org_id"], "start": m["start_date"] or today, "end": None}
        for i, m in zip(ids, mediators, strict=True)
    ]
    for part in chunks(postings, WRITE_CHUNK):
        session.connection().execute(sa.insert(MediatorPosting.__table__), list(part))  # type: ignore[attr-defined]
    audit.record(
        session,
        action="import.roster",
        actor_id=actor.user_id,
        entity="organisation",
        organisations=len(parsed.orgs),
        mediators=len(ids),
        updated=updated,
        sha256=digest,
    )
    return len(parsed.orgs), len(ids) + updated


UPDATED_FIELDS = ("name", "gender", "phone", "employment", "specialties", "certificate_no", "start_date", "status")


def _update_mediators(session: Session, rows: list[dict[str, Any]], placed: dict[str, OrgRef], today: Any) -> int:
    """Existing mediators take the row's values; a new organisation closes the posting and opens the next."""
    for m in rows:
        mediator = session.get(Mediator, m["update_id"])
        if mediator is None:
            continue
        for name in UPDATED_FIELDS:  # an empty cell keeps what the roster has
            if m.get(name) not in (None, "", []):
                setattr(mediator, name, m[name])
        org_id = placed[m["org_code"]].id
        if org_id != mediator.org_id:  # rotation, as the admin form does it
            for posting in session.exec(
                select(MediatorPosting).where(
                    MediatorPosting.mediator_id == mediator.id, col(MediatorPosting.end).is_(None)
                )
            ).all():
                posting.end = today
                session.add(posting)
            session.add(MediatorPosting(mediator_id=mediator.id or 0, org_id=org_id, start=today))
            mediator.org_id = org_id
        session.add(mediator)
    session.flush()
    return len(rows)
