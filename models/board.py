"""Publicity board posts: rules text, typical cases, notices — published only after review."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from models.base import created_at_field


class BoardPost(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20, description="rules / typical_case / notice / supervision")
    org_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    case_id: int | None = Field(default=None, foreign_key="case.id")
    title: str = Field(max_length=120)
    body: str = Field(description="plain text, de-identified; rendered escaped")
    language: str = Field(default="zh-CN", max_length=8)
    position: int = 0
    status: str = Field(default="draft", max_length=12, description="draft / published / withdrawn")
    publish_from: date | None = None
    publish_until: date | None = None
    reviewed_by: int | None = Field(default=None, foreign_key="user.id")
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = created_at_field()
    published_at: datetime | None = None
