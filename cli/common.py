"""What several commands share: the configured database and the user a command acts as."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlmodel import Session, select

from models import User
from services.access.accounts import load_actor
from services.access.authz import Actor
from services.core.config import get_settings
from services.core.db import Database, make_database
from services.stats.scope import system_actor


@contextmanager
def database() -> Iterator[Database]:
    """The database of the settings, disposed of when the command is done with it."""
    db = make_database(get_settings().database_url)
    try:
        yield db
    finally:
        db.dispose()


def actor_for(session: Session, username: str | None) -> Actor:
    """The named staff user's actor, or (no name) the server reading the whole tree."""
    if not username:
        return system_actor(session)
    user = session.exec(select(User).where(User.username == username)).first()
    actor = load_actor(session, user.id or 0) if user is not None else None
    if actor is None:
        raise SystemExit(f"no active user {username!r}")
    return actor
