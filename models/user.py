"""Staff accounts, roles as sets of permissions, server-side sessions and throttles."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import created_at_field


class Role(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    name_zh: str = Field(max_length=60)
    name_en: str = Field(max_length=60)
    builtin: bool = False


class RolePermission(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("role_id", "permission"),)
    id: int | None = Field(default=None, primary_key=True)
    role_id: int = Field(foreign_key="role.id", index=True)
    permission: str = Field(max_length=60)


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=60, unique=True)
    display_name: str = Field(max_length=60)
    password_hash: str = Field(max_length=200, repr=False)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    active: bool = True
    language: str | None = Field(
        default=None, max_length=8, description="UI language the person chose: 'zh', 'en'; None until they choose"
    )
    sessions_valid_after: datetime | None = Field(
        default=None, description="sessions started before this are void (password or role change)"
    )
    created_at: datetime = created_at_field()


class UserRole(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("user_id", "role_id"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    role_id: int = Field(foreign_key="role.id", index=True)


class AuthSession(SQLModel, table=True):
    """A signed-in browser; the cookie only carries its random id, checked on every rerun."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, repr=False)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = created_at_field()
    last_seen_at: datetime = created_at_field()
    revoked_at: datetime | None = None
    client: str = Field(default="", max_length=64)


class LoginThrottle(SQLModel, table=True):
    """Failed sign-ins per account or per client; counted with atomic UPDATEs."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=120, unique=True)
    failures: int = 0
    locked_until: datetime | None = None
    updated_at: datetime = created_at_field()


class RateLimit(SQLModel, table=True):
    """Hits per key and fixed time window (public intake, party links)."""

    __table_args__ = (UniqueConstraint("key", "window_start"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=120)
    window_start: datetime
    hits: int = 0
