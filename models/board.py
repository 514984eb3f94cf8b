"""Publicity board posts: rules text, typical cases, notices — published only after review."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from models.base import created_at_field


class BoardPost(SQLModel, table=True):
    __table_args__ = (Index("ix_boardpost_kind_status", "kind", "status"),)
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
    # migration 0010_board: seeded texts by slug; typical cases need a second person's approval
    slug: str | None = Field(
        default=None,
        max_length=40,
        unique=True,
        index=True,
        description="stable key of a seeded text (rules, legal basis, …)",
    )
    approved_by: int | None = Field(default=None, description="the second person who approved publication")
    reviewed_at: datetime | None = None
    withdrawn_at: datetime | None = None
