"""Sign-in: a database throttle per account and per client, password check, server-side sessions.

An account locks after `lockout_threshold` failed sign-ins in a row (a success clears them). A client address
locks while it has made `signin_client_limit` failed sign-ins within the sliding window: a township office
where thirty mediators sign in from one address never counts its good sign-ins against itself. Each attempt is
reserved before the slow password check (so parallel guesses cannot overshoot) and handed back when it
succeeds."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from models import AuthSession, LoginThrottle, User
from models.base import utc_now
from services.access.accounts import load_actor
from services.access.authz import Actor, require
from services.access.permissions import P
from services.core import audit, ratelimit
from services.core.config import Limit, Settings
from services.core.db import Database, upsert_into
from services.core.errors import DomainError, NotFound
from services.core.security import verify_password

CLIENT_BUCKET_S = 60  # the client's sliding window is summed over one-minute windows of the RateLimit table
TOUCH_EVERY = timedelta(minutes=1)


class SignInFailed(DomainError):
    """One message for an unknown user and a wrong password."""

    key = "error.signin_failed"


class SignInLocked(DomainError):
    key = "error.signin_locked"


@dataclass(frozen=True)
class SignIn:
    user_id: int
    username: str
    display_name: str


def session_key(username: str, cookie_exp: float) -> str:
    """The server-side session id derived from the sign-in cookie's claims."""
    return hashlib.sha256(f"{username}|{cookie_exp!r}".encode()).hexdigest()


def _upsert_throttle(session: Session, key: str) -> None:
    ins = upsert_into(session, LoginThrottle)
    stmt = ins.values(key=key, failures=0, updated_at=utc_now()).on_conflict_do_nothing(index_elements=["key"])
    session.exec(stmt)


def _reserve_attempt(session: Session, key: str, threshold: int, lock_for: timedelta, now: datetime) -> bool:
    """Count one attempt for `key` atomically; False when the key is locked (no password check then)."""
    _upsert_throttle(session, key)
    row = session.exec(select(LoginThrottle).where(LoginThrottle.key == key).with_for_update()).one()
    if row.locked_until is not None:
        if row.locked_until > now:
            return False
        row.failures, row.locked_until = 0, None
    row.failures += 1
    if row.failures >= threshold:
        row.locked_until = now + lock_for
    row.updated_at = now
    session.add(row)
    return row.failures <= threshold


def client_throttle_key(client: str) -> str:
    """The RateLimit key counting a client address's failed sign-ins (hashed: the table holds no addresses)."""
    return ratelimit.client_key("signin", client)


def _reserve_client(session: Session, settings: Settings, client: str, now: datetime) -> datetime | None:
    """Count this attempt as a failure of `client` until it succeeds; None (nothing counted) when the address
    already has too many failures in the window, else the window the attempt was counted in."""
    limit = settings.signin_client_limit
    key = client_throttle_key(client)
    start = ratelimit.window_start(now, CLIENT_BUCKET_S)
    ratelimit.hit(session, key=key, limit=Limit(limit.max_hits, CLIENT_BUCKET_S), now=now)
    failures = ratelimit.recent(
        session, key=key, within=timedelta(seconds=limit.window_s), bucket_s=CLIENT_BUCKET_S, now=now
    )
    if failures <= limit.max_hits:
        return start
    ratelimit.undo(session, key=key, start=start)
    _upsert_throttle(session, f"client:{client}")  # shown on the sign-in locks page, where it can be lifted
    row = session.exec(select(LoginThrottle).where(LoginThrottle.key == f"client:{client}")).one()
    row.failures, row.locked_until, row.updated_at = failures - 1, now + timedelta(seconds=limit.window_s), now
    session.add(row)
    return None


def authenticate(
    db: Database, settings: Settings, *, username: str, password: str, client: str, now: datetime | None = None
) -> SignIn:
    """Check a sign-in; raises SignInFailed or SignInLocked. The slow hash runs outside any transaction."""
    now = now or utc_now()
    # control characters (NUL cannot even be stored on PostgreSQL) become visible \xNN text (LOG-5)
    username, client = audit.clean_for_log(username.strip(), 60), audit.clean_for_log(client, 64)
    lock_for = timedelta(minutes=settings.lockout_minutes)
    with db.write() as s:
        counted = _reserve_client(s, settings, client, now)
        ok_account = counted is not None and _reserve_attempt(
            s, f"user:{username.lower()}", settings.lockout_threshold, lock_for, now
        )
        if counted is not None and not ok_account:  # a locked account is not a wrong password of the address
            ratelimit.undo(s, key=client_throttle_key(client), start=counted)
        user = s.exec(select(User).where(User.username == username)).first()
        user_info = (user.id, user.password_hash, user.active, user.display_name) if user else None
        if not ok_account:
            audit.record(s, action="login.locked", client=client, username=username)
    if counted is None:
        raise SignInLocked(minutes=math.ceil(settings.signin_client_limit.window_s / 60))
    if not ok_account:
        raise SignInLocked(minutes=settings.lockout_minutes)
    good = verify_password(password, user_info[1] if user_info else None, rounds=settings.bcrypt_rounds)
    if not good or user_info is None or not user_info[2]:
        with db.write() as s:
            audit.record(s, action="login.fail", client=client, username=username)
        raise SignInFailed()
    with db.write() as s:
        ratelimit.undo(s, key=client_throttle_key(client), start=counted)  # a good sign-in never counts
        row = s.exec(select(LoginThrottle).where(LoginThrottle.key == f"user:{username.lower()}")).first()
        if row is not None:
            row.failures, row.locked_until = 0, None
            s.add(row)
        audit.record(s, action="login.ok", actor_id=user_info[0], client=client)
    return SignIn(user_id=user_info[0] or 0, username=username, display_name=user_info[3])


def start_session(session: Session, *, user_id: int, key: str, client: str) -> None:
    """Record a new signed-in browser (called right after a successful sign-in)."""
    session.add(AuthSession(token_hash=key, user_id=user_id, client=client[:64]))


def check_session(
    session: Session, settings: Settings, *, key: str, now: datetime | None = None
) -> tuple[Actor | None, bool]:
    """The actor of a live session (None when unknown, revoked, idle, too old or the user changed),
    and whether its last-seen time is stale enough to be touched."""
    now = now or utc_now()
    row = session.exec(select(AuthSession).where(AuthSession.token_hash == key)).first()
    if row is None or row.revoked_at is not None:
        return None, False
    if now - row.last_seen_at > timedelta(minutes=settings.session_idle_minutes):
        return None, False
    if now - row.created_at > timedelta(hours=settings.session_absolute_hours):
        return None, False
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None, False
    if user.sessions_valid_after is not None and row.created_at < user.sessions_valid_after:
        return None, False
    return load_actor(session, row.user_id), now - row.last_seen_at > TOUCH_EVERY


def touch_session(session: Session, *, key: str, now: datetime | None = None) -> None:
    """Move a session's idle clock forward (at most once a minute per session)."""
    row = session.exec(select(AuthSession).where(AuthSession.token_hash == key)).first()
    if row is not None:
        row.last_seen_at = now or utc_now()
        session.add(row)


def end_session(session: Session, *, key: str) -> None:
    """Sign out: the session (and so the cookie that names it) is dead from now on."""
    row = session.exec(select(AuthSession).where(AuthSession.token_hash == key)).first()
    if row is not None and row.revoked_at is None:
        row.revoked_at = utc_now()
        session.add(row)
        audit.record(session, action="logout", actor_id=row.user_id)


def list_locks(session: Session, *, now: datetime | None = None) -> list[LoginThrottle]:
    now = now or utc_now()
    return list(
        session.exec(
            select(LoginThrottle)
            .where(col(LoginThrottle.locked_until) > now)
            .order_by(col(LoginThrottle.locked_until).desc())
        ).all()
    )


def unlock(session: Session, *, key: str, actor: Actor) -> None:
    """Admin unlock of an account or client throttle (logged)."""
    require(actor, P.USER_ADMIN)
    row = session.exec(select(LoginThrottle).where(LoginThrottle.key == key)).first()
    if row is None:
        raise NotFound("error.not_found")
    row.failures, row.locked_until = 0, None
    session.add(row)
    if key.startswith("client:"):
        ratelimit.forget(session, key=client_throttle_key(key.removeprefix("client:")))
    audit.record(session, action="login.unlock", actor_id=actor.user_id, key=key)
