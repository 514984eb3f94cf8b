"""Configuration as data: dictionaries, versioned form specs and their entries, rule versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import created_at_field, json_field


class DictionaryEntry(SQLModel, table=True):
    """A value of a dictionary (category, source, grade, reject_reason, diversion, risk_flag)."""

    __table_args__ = (UniqueConstraint("dictionary", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    dictionary: str = Field(max_length=32, index=True)
    code: str = Field(max_length=40)
    label_zh: str = Field(max_length=60)
    label_en: str = Field(max_length=80)
    position: int = 0
    active: bool = True
    meta: dict[str, Any] = json_field()


class FormSpec(SQLModel, table=True):
    """A versioned form: a new version is a new row; entries keep the version they used."""

    __table_args__ = (UniqueConstraint("code", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, description="e.g. intake, staff_intake, screening_visit")
    version: int = 1
    title_zh: str = Field(max_length=80)
    title_en: str = Field(max_length=80)
    fields: list[dict[str, Any]] = json_field(default=list)
    is_register: bool = Field(default=False, description="a register (台账) with its own list and QR")
    public: bool = Field(default=False, description="the public may file entries through the register's QR code")
    status: str = Field(default="active", max_length=12, description="active / retired")
    org_id: int | None = Field(
        default=None,
        foreign_key="organisation.id",
        description="the office that owns the form; public entries without an org go here",
    )
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = created_at_field()


class FormSubmission(SQLModel, table=True):
    __table_args__ = (Index("ix_formsub_form_org", "form_code", "org_id"),)
    id: int | None = Field(default=None, primary_key=True)
    form_id: int = Field(foreign_key="formspec.id")
    form_code: str = Field(max_length=40)
    form_version: int = Field(default=1, description="the FormSpec version the entry was made with")
    org_id: int | None = Field(default=None, foreign_key="organisation.id")
    data: dict[str, Any] = json_field()
    token: str | None = Field(default=None, max_length=64, unique=True)
    submitted_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = created_at_field()


class FormPhoto(SQLModel, table=True):
    """A photo of a form entry (checked and re-encoded like intake photos); bytes kept for complete backups."""

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="formsubmission.id", index=True)
    field_key: str = Field(max_length=40)
    mime: str = Field(max_length=60)
    size: int
    sha256: str = Field(max_length=64)
    content: bytes = Field(repr=False)
    created_at: datetime = created_at_field()


class ConfigVersion(SQLModel, table=True):
    """A versioned rule set (deadlines, state machine, role permissions…); the newest is in force."""

    __table_args__ = (UniqueConstraint("key", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=40)
    version: int = 1
    value: dict[str, Any] = json_field()
    note: str = ""
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = created_at_field()


class Notification(SQLModel, table=True):
    __table_args__ = (
        Index("ix_notification_user_read", "user_id", "read_at"),
        Index("uq_notification_dedupe", "dedupe_key", unique=True),
    )
    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="user.id")
    org_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    case_id: int | None = Field(default=None, foreign_key="case.id")
    key: str = Field(max_length=60, description="translation key of the message")
    params: dict[str, Any] = json_field()
    created_at: datetime = created_at_field()
    read_at: datetime | None = None
    dedupe_key: str | None = Field(
        default=None, max_length=120, description="once-only notifications (escalations, warnings)"
    )
