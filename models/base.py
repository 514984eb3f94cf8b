"""Shared column helpers: UTC timestamps and JSON columns that work on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field


def utc_now() -> datetime:
    """Now, timezone-aware in UTC (SQLModel's UTCDateTime stores it the same on both engines)."""
    return datetime.now(UTC)


def created_at_field() -> Any:
    return Field(default_factory=utc_now, nullable=False, index=False)


def json_field(default: Any = None, **kw: Any) -> Any:
    factory = dict if default is None else default
    return Field(default_factory=factory, sa_type=JSON, **kw)


def money_field(**kw: Any) -> Any:
    """Money in integer fen (1 yuan = 100 fen)."""
    return Field(default=0, description="amount in fen (1/100 yuan)", **kw)
