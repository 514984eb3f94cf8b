"""Fixed-window rate limits in the RateLimit table, counted with one atomic upsert per hit.

`INSERT … ON CONFLICT (key, window_start) DO UPDATE SET hits = hits + 1 RETURNING hits` is a single
statement on SQLite (≥ 3.35) and PostgreSQL, so concurrent hits never lose a count and never collide on
the unique constraint. Keys name what is limited (`intake:c:<hashed client>`); raw client addresses are
never stored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, update
from sqlmodel import Session, col, func, select

from models import RateLimit
from models.base import utc_now
from services.core.config import Limit, get_settings
from services.core.db import upsert_into
from services.core.errors import DomainError
from services.core.security import blind_index

KEEP_WINDOWS_FOR = timedelta(days=2)


class RateLimited(DomainError):
    """Too many attempts in the window; the message asks the person to wait or call the office."""

    key = "error.rate_limited"


def client_key(prefix: str, client: str) -> str:
    """A limit key for a client address, keyed-hashed so the table holds no IP addresses."""
    return f"{prefix}:{blind_index(client or 'unknown', get_settings().data_key, 'client')[:40]}"


def _trusted(address: str, trusted: Sequence[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net, strict=False) for net in trusted)


def client_address(peer: str, forwarded: str, trusted: Sequence[str]) -> str:
    """The client's address: the connecting peer's, unless the peer is a trusted proxy.

    Behind a trusted proxy, X-Forwarded-For is read from the right and the first address that is not itself a
    trusted proxy is the client (entries to its left were written by the client and may be forged). A header
    from an untrusted peer is ignored: anyone can send one."""
    address = peer.strip()
    if forwarded and _trusted(address, trusted):
        for hop in reversed(forwarded.split(",")):
            address = hop.strip()
            if not _trusted(address, trusted):
                break
    return (address or "unknown")[:64]


def window_start(now: datetime, window_s: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % window_s, UTC)


def hit(session: Session, *, key: str, limit: Limit, now: datetime | None = None) -> int:
    """Count one hit for `key` in the current window and return the window's count (this hit included)."""
    start = window_start(now or utc_now(), limit.window_s)
    stmt = upsert_into(session, RateLimit).values(key=key, window_start=start, hits=1)
    stmt = stmt.on_conflict_do_update(index_elements=["key", "window_start"], set_={"hits": col(RateLimit.hits) + 1})
    hits = int(session.exec(stmt.returning(col(RateLimit.hits))).scalar_one())
    if hits == 1:  # a new window for this key: drop its old windows (bounded, indexed by the unique key)
        session.exec(
            delete(RateLimit).where(col(RateLimit.key) == key, col(RateLimit.window_start) < start - KEEP_WINDOWS_FOR)
        )
    return hits


def allow(session: Session, *, key: str, limit: Limit, now: datetime | None = None) -> bool:
    """Count a hit; True while the window's count stays within the limit."""
    return hit(session, key=key, limit=limit, now=now) <= limit.max_hits


def undo(session: Session, *, key: str, start: datetime) -> None:
    """Take back one hit counted in the window that starts at `start` (a reserved attempt that turned out fine)."""
    session.exec(
        update(RateLimit)
        .where(col(RateLimit.key) == key, col(RateLimit.window_start) == start, col(RateLimit.hits) > 0)
        .values(hits=col(RateLimit.hits) - 1)
    )


def recent(session: Session, *, key: str, within: timedelta, bucket_s: int, now: datetime | None = None) -> int:
    """Hits for `key` in the sliding window of `within` before now, summed over its `bucket_s`-second windows."""
    since = window_start((now or utc_now()) - within, bucket_s)
    total = session.exec(
        select(func.coalesce(func.sum(RateLimit.hits), 0)).where(
            col(RateLimit.key) == key, col(RateLimit.window_start) > since
        )
    ).one()
    return int(total)


def forget(session: Session, *, key: str) -> None:
    """Drop every window of `key` (an administrator's unlock)."""
    session.exec(delete(RateLimit).where(col(RateLimit.key) == key))


def count(session: Session, *, key: str, limit: Limit, now: datetime | None = None) -> int:
    """The current window's count for `key`, without counting a hit."""
    start = window_start(now or utc_now(), limit.window_s)
    hits = session.exec(select(RateLimit.hits).where(RateLimit.key == key, RateLimit.window_start == start)).first()
    return int(hits or 0)
