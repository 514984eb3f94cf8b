"""The audit log: append-only (triggers refuse UPDATE and DELETE)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from models.base import created_at_field, json_field


class AuditLog(SQLModel, table=True):
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = created_at_field()
    actor_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    action: str = Field(max_length=40, description="e.g. login.ok, case.transition, pii.reveal")
    entity: str = Field(default="", max_length=32)
    entity_id: int | None = None
    detail: dict[str, Any] = json_field()
    client: str = Field(default="", max_length=64)
