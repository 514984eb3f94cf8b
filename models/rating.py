"""Star rating: schemes as versioned data, proposals, approvals with overrides, titles, checklists."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import created_at_field, json_field


class RatingScheme(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("code", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, description="e.g. mediator-2026")
    version: int = 1
    subject: str = Field(default="mediator", max_length=12, description="mediator / organisation")
    period: str = Field(max_length=20, description="e.g. 2026")
    weights: dict[str, Any] = json_field()
    thresholds: dict[str, Any] = json_field()
    min_cases: int = 5
    in_use: bool = False
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = created_at_field()


class Rating(SQLModel, table=True):
    """A rating of a mediator or an organisation for a period: proposed, then approved or overridden."""

    id: int | None = Field(default=None, primary_key=True)
    scheme_id: int = Field(foreign_key="ratingscheme.id", index=True)
    subject: str = Field(max_length=12)
    mediator_id: int | None = Field(default=None, foreign_key="mediator.id", index=True)
    org_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    period: str = Field(max_length=20)
    score: float | None = None
    proposed_stars: int | None = None
    approved_stars: int | None = None
    status: str = Field(default="proposed", max_length=12, description="proposed / approved / overridden")
    override_reason: str = ""
    metrics: dict[str, Any] = json_field()
    decided_by: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime | None = None
    created_at: datetime = created_at_field()


class TitleAward(SQLModel, table=True):
    """调解能手, 优秀调解室 and the like."""

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=40)
    period: str = Field(max_length=20)
    mediator_id: int | None = Field(default=None, foreign_key="mediator.id")
    org_id: int | None = Field(default=None, foreign_key="organisation.id")
    awarded_by: int | None = Field(default=None, foreign_key="user.id")
    at: datetime = created_at_field()


class ChecklistItem(SQLModel, table=True):
    """A standardisation item for committees (unified name, sign, seal, …), editable by the office."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    label_zh: str = Field(max_length=80)
    label_en: str = Field(max_length=80)
    points: float = 1
    position: int = 0
    active: bool = True


class ChecklistState(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("org_id", "item_id", "period"),)
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    item_id: int = Field(foreign_key="checklistitem.id")
    period: str = Field(max_length=20)
    met: bool = False
    evidence_note: str = ""
    evidence_photo: bytes | None = Field(default=None, repr=False)
    checked_by: int | None = Field(default=None, foreign_key="user.id")
    at: datetime = created_at_field()
