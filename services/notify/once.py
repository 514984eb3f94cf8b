"""Writing a notification row once: a unique dedupe key and INSERT … ON CONFLICT DO NOTHING (no robot message)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from models import Notification


def insert_once(session: Session, values: dict[str, Any]) -> bool:
    """Insert the Notification `values` unless one with the same dedupe_key exists; True when it went in."""
    dialect = session.get_bind().dialect.name
    ins = postgresql.insert if dialect == "postgresql" else sqlite.insert if dialect == "sqlite" else None
    if ins is None:  # pragma: no cover - only the two supported back-ends
        stmt: Any = insert(Notification).values(**values)
    else:
        stmt = ins(Notification).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    # RETURNING says for certain whether a row went in (a driver's rowcount need not)
    return session.execute(stmt.returning(Notification.id)).first() is not None
