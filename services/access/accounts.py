"""Staff accounts and roles: create, change roles or password, disable, load permissions."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlmodel import Session, col, select

from models import AuthSession, Organisation, Role, RolePermission, User, UserRole
from models.base import utc_now
from services.access.authz import Actor
from services.core import audit
from services.core.config import get_settings
from services.core.errors import Conflict, NotFound, ValidationFailed
from services.core.security import hash_password

MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_CHARS = 256
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parents[2] / "assets" / "common_passwords.txt"
COMMON_PASSWORDS = frozenset(
    {
        "password",
        "12345678",
        "123456789",
        "1234567890",
        "qwerty123",
        "password1",
        "11111111",
        "88888888",
        "00000000",
        "abc12345",
        "iloveyou",
        "admin123",
        "admin1234",
        "a12345678",
        "qwertyuiop",
        "1qaz2wsx",
        "woaini1314",
        "12341234",
        "87654321",
        "66666666",
        "aa123456",
        "123123123",
        "zxcvbnm123",
        "passw0rd",
    }
)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The deny-list: the built-in set plus assets/common_passwords.txt (lower case, # comments)."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines() if COMMON_PASSWORDS_FILE.is_file() else []
    return COMMON_PASSWORDS | {ln.strip().lower() for ln in lines if ln.strip() and not ln.startswith("#")}


def check_password_policy(password: str) -> None:
    """Length 8–256, any characters, not a common password (no composition rules)."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise ValidationFailed("error.password_short", min=MIN_PASSWORD_CHARS)
    if len(password) > MAX_PASSWORD_CHARS:
        raise ValidationFailed("error.password_long", max=MAX_PASSWORD_CHARS)
    if password.lower() in common_passwords():
        raise ValidationFailed("error.password_common")


def role_ids(session: Session, codes: list[str]) -> list[int]:
    rows = session.exec(select(Role).where(col(Role.code).in_(codes))).all()
    missing = set(codes) - {r.code for r in rows}
    if missing:
        raise NotFound("error.role_unknown", role=", ".join(sorted(missing)))
    return [r.id for r in rows if r.id is not None]


def create_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    password: str,
    org_code: str,
    roles: list[str],
    actor_id: int | None = None,
    password_hash: str | None = None,
) -> User:
    """Create a staff account in an organisation with the given role codes."""
    username = username.strip()
    if not username or len(username) > 60:
        raise ValidationFailed("error.username_invalid")
    if password_hash is None:
        check_password_policy(password)
        password_hash = hash_password(password, rounds=get_settings().bcrypt_rounds)
    org = session.exec(select(Organisation).where(Organisation.code == org_code)).first()
    if org is None:
        raise NotFound("error.org_unknown", code=org_code)
    if session.exec(select(User.id).where(User.username == username)).first() is not None:
        raise Conflict("error.username_taken", username=username)
    user = User(username=username, display_name=display_name, password_hash=password_hash, org_id=org.id or 0)
    session.add(user)
    session.flush()
    for rid in role_ids(session, roles):
        session.add(UserRole(user_id=user.id or 0, role_id=rid))
    audit.record(session, action="user.create", actor_id=actor_id, entity="user", entity_id=user.id, roles=roles)
    return user


def revoke_sessions(session: Session, user_id: int) -> None:
    """End every open session of a user now (disable, role or password change)."""
    now = utc_now()
    for s in session.exec(
        select(AuthSession).where(AuthSession.user_id == user_id, col(AuthSession.revoked_at).is_(None))
    ).all():
        s.revoked_at = now
        session.add(s)
    user = session.get(User, user_id)
    if user is not None:
        user.sessions_valid_after = now
        session.add(user)


def set_roles(session: Session, *, user_id: int, roles: list[str], actor_id: int | None) -> None:
    """Replace a user's roles; their open sessions end at the next rerun."""
    for ur in session.exec(select(UserRole).where(UserRole.user_id == user_id)).all():
        session.delete(ur)
    session.flush()
    for rid in role_ids(session, roles):
        session.add(UserRole(user_id=user_id, role_id=rid))
    revoke_sessions(session, user_id)
    audit.record(session, action="user.roles", actor_id=actor_id, entity="user", entity_id=user_id, roles=roles)


def set_active(session: Session, *, user_id: int, active: bool, actor_id: int | None) -> None:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("error.not_found")
    user.active = active
    session.add(user)
    if not active:
        revoke_sessions(session, user_id)
    audit.record(session, action="user.active", actor_id=actor_id, entity="user", entity_id=user_id, active=active)


def set_password(session: Session, *, user_id: int, password: str, actor_id: int | None) -> None:
    check_password_policy(password)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("error.not_found")
    user.password_hash = hash_password(password, rounds=get_settings().bcrypt_rounds)
    session.add(user)
    revoke_sessions(session, user_id)
    audit.record(session, action="user.password", actor_id=actor_id, entity="user", entity_id=user_id)


# the UI language codes (services/core/i18n.LANGUAGES) as stored on the user's record
STORED_LANGUAGE = {"zh-CN": "zh", "en": "en"}


def save_language(session: Session, *, user_id: int, lang: str) -> None:
    """Remember the UI language a signed-in person picked, for their next sign-in on any device."""
    stored = STORED_LANGUAGE.get(lang)
    if stored is None:
        raise ValidationFailed("error.language_unknown")
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("error.not_found")
    if user.language != stored:
        user.language = stored
        session.add(user)


def saved_language(session: Session, user_id: int) -> str | None:
    """The UI language code the person last picked, or None when they never picked one."""
    stored = session.exec(select(User.language).where(User.id == user_id)).first()
    return next((lang for lang, code in STORED_LANGUAGE.items() if code == stored), None)


@dataclass(frozen=True)
class Profile:
    display_name: str
    org_name: str
    roles: tuple[tuple[str, str], ...]

    def role_names(self, lang: str) -> list[str]:
        return [en if lang == "en" else zh for zh, en in self.roles]


def profile(session: Session, *, actor: Actor) -> Profile:
    """The signed-in user's own profile."""
    org = session.get(Organisation, actor.org_id)
    roles = session.exec(
        select(Role.name_zh, Role.name_en)
        .join(UserRole, col(UserRole.role_id) == col(Role.id))
        .where(UserRole.user_id == actor.user_id)
        .order_by(col(Role.id))
    ).all()
    return Profile(
        display_name=actor.display_name, org_name=org.name if org else "", roles=tuple((zh, en) for zh, en in roles)
    )


def load_actor(session: Session, user_id: int) -> Actor | None:
    """The actor for an active user, with permissions read fresh from the database."""
    user = session.get(User, user_id)
    if user is None or not user.active:
        return None
    org = session.get(Organisation, user.org_id)
    if org is None:
        return None
    rows = session.exec(
        select(Role.code, RolePermission.permission)
        .join(UserRole, col(UserRole.role_id) == col(Role.id))
        .join(RolePermission, col(RolePermission.role_id) == col(Role.id), isouter=True)
        .where(UserRole.user_id == user_id)
    ).all()
    return Actor(
        user_id=user_id,
        username=user.username,
        display_name=user.display_name,
        org_id=org.id or 0,
        org_path=org.path,
        roles=frozenset(r for r, _ in rows),
        permissions=frozenset(p for _, p in rows if p),
    )
