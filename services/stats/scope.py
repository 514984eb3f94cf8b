"""Whose statistics: the actor's area (cached per organisation and path), a chosen subtree, and the cache of
results keyed by scope, filters and data version (never by user; no figures cross a scope)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import AuditLog, Case, Organisation
from services.access.authz import Actor, require
from services.access.permissions import P
from services.access.scope import actor_area
from services.core.errors import OutOfScope
from services.stats.sql import Scope

T = TypeVar("T")
CACHE_SIZE, CACHE_TTL = 128, 600.0


_cache: OrderedDict[tuple[Any, ...], tuple[float, Any]] = OrderedDict()
_lock = threading.Lock()


def clear_cache() -> None:
    with _lock:
        _cache.clear()
        _areas.clear()


def read_once(session: Session, key: str, compute: Callable[[], T]) -> T:
    """compute() once per reading session (services.core.db.Database.read marks it; it writes nothing), kept in
    the session under `key`; in any other session every time."""
    if not session.info.get("reader"):
        return compute()
    if key not in session.info:
        session.info[key] = compute()
    return session.info[key]  # type: ignore[no-any-return]


def data_version(session: Session) -> tuple[int, int]:
    """Changes on every write through the services (an audit row) and on every new case (one statement; once per
    reading session: a page's figures are keyed by the version it began with)."""

    def read() -> tuple[int, int]:
        row = session.exec(
            select(select(func.max(AuditLog.id)).scalar_subquery(), select(func.max(Case.id)).scalar_subquery())
        ).one()
        return int(row[0] or 0), int(row[1] or 0)

    return read_once(session, "stats_version", read)


def subtree(session: Session, path: str) -> list[tuple[int, str, str, int]]:
    """(id, path, name, depth) of the organisations under `path` (itself included), in tree order; a reading
    session reads a subtree once and answers any path inside it from that."""
    memo: dict[str, list[tuple[int, str, str, int]]] = session.info.setdefault("subtrees", {})
    for top, rows in memo.items():
        if path.startswith(top):
            return rows if top == path else [r for r in rows if r[1].startswith(path)]
    rows = [
        (int(i or 0), p, n, d)
        for i, p, n, d in session.exec(
            select(Organisation.id, Organisation.path, Organisation.name, Organisation.depth)
            .where(col(Organisation.path).startswith(path))
            .order_by(col(Organisation.path))
        ).all()
    ]
    if session.info.get("reader"):
        memo[path] = rows
    return rows


def cached(session: Session, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """compute(), or its result for the same database, data version and key within CACHE_TTL."""
    full = (str(session.get_bind().engine.url), data_version(session), *key)
    now = time.monotonic()
    with _lock:
        hit = _cache.get(full)
        if hit is not None and now - hit[0] < CACHE_TTL:
            _cache.move_to_end(full)
            return hit[1]  # type: ignore[no-any-return]
    value = compute()
    with _lock:
        _cache[full] = (now, value)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return value


# ------------------------------------------------------------------------------------------------ scope


@dataclass(frozen=True)
class Area:
    """The top of an actor's area; `alone` when it is the root of the only tree (no organisation clause needed)."""

    id: int
    path: str
    name: str
    depth: int
    alone: bool
    county: bool = False  # the organisation is a county (its own county)


_areas: dict[tuple[str, int, str], tuple[float, Area]] = {}


def cached_area(session: Session, actor: Actor) -> Area:
    """The top of the actor's area (`services.access.scope.actor_area`) with whether it is the only tree's root.

    Cached per organisation and its materialised path (a move changes the path, so the key) for CACHE_TTL."""
    key = (str(session.get_bind().engine.url), actor.org_id, actor.org_path)
    hit = _areas.get(key)
    if hit is not None and time.monotonic() - hit[0] < CACHE_TTL:
        return hit[1]
    org = actor_area(session, actor=actor)
    roots = session.exec(
        select(func.count()).select_from(Organisation).where(col(Organisation.parent_id).is_(None))
    ).one()
    area = Area(
        id=org.id or 0,
        path=org.path,
        name=org.name,
        depth=org.depth,
        alone=org.parent_id is None and roots == 1,
        county=org.county_id == org.id,
    )
    with _lock:
        _areas[key] = (time.monotonic(), area)
    return area


def system_actor(session: Session) -> Actor:
    """The server itself reading statistics of the whole tree (the command line for upper-level systems)."""
    root = session.exec(
        select(Organisation).where(col(Organisation.parent_id).is_(None)).order_by(col(Organisation.id))
    ).first()
    if root is None:
        raise OutOfScope("error.out_of_scope")
    return Actor(
        user_id=0,
        username="system",
        display_name="system",
        org_id=root.id or 0,
        org_path=root.path,
        permissions=frozenset({P.STATS_VIEW, P.REPORT_EXPORT, P.CASE_VIEW}),
    )


def resolve_scope(session: Session, actor: Actor, org_id: int | None = None) -> Scope:
    """The subtree statistics cover: the actor's area, or `org_id`'s subtree when it lies inside it."""
    require(actor, P.STATS_VIEW)
    root = cached_area(session, actor)
    if org_id is None or org_id == root.id:
        return Scope(org_id=root.id, path=root.path, name=root.name, everything=root.alone, county=root.county)
    org = _org(session, org_id)
    if org is None or not org.path.startswith(root.path):
        raise OutOfScope("error.out_of_scope")
    return Scope(org_id=org_id, path=org.path, name=org.name, everything=False, county=org.county)


def _org(session: Session, org_id: int) -> Area | None:
    """An organisation's path, name and whether it is a county, cached like area roots. A stale path after a move
    only narrows the statistics to organisations that are no longer there (nothing), never widens them."""
    key = (str(session.get_bind().engine.url), org_id, "")
    hit = _areas.get(key)
    if hit is not None and time.monotonic() - hit[0] < CACHE_TTL:
        return hit[1]
    org = session.get(Organisation, org_id)
    if org is None:
        return None
    area = Area(id=org_id, path=org.path, name=org.name, depth=org.depth, alone=False, county=org.county_id == org_id)
    with _lock:
        _areas[key] = (time.monotonic(), area)
    return area


def org_choices(session: Session, *, actor: Actor) -> list[tuple[int, str, int]]:
    """(id, name, depth) of the organisations the actor may narrow statistics to, in tree order."""
    root = cached_area(session, actor)
    require(actor, P.STATS_VIEW)
    return [(i, n, d - root.depth) for i, _p, n, d in subtree(session, root.path)]
