"""Star rating: schemes as versioned data, proposals, approvals with overrides, titles, checklists."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint, text
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
    org_id: int | None = Field(
        default=None,
        foreign_key="organisation.id",
        description="region whose office owns it (None: the built-in default)",
    )
    targets: dict[str, Any] = json_field(
        description="per metric: the value that earns full points (complaints: the count that leaves none)"
    )
    title_rule: dict[str, Any] = json_field(
        description="title awarded by rule plus approval: title, min_stars, min_score, max"
    )
    note: str = Field(default="", description="what changed in this version and why")
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = created_at_field()


class Rating(SQLModel, table=True):
    """A rating of a mediator or an organisation for a period: proposed, then approved or overridden."""

    # a subject has at most one published rating per period (a recompute proposes beside it; 0021)
    __table_args__ = (
        Index("ix_rating_period_subject_status", "period", "subject", "status"),
        Index(
            "uq_rating_published_mediator",
            "period",
            "mediator_id",
            unique=True,
            sqlite_where=text("status IN ('approved', 'overridden') AND mediator_id IS NOT NULL"),
            postgresql_where=text("status IN ('approved', 'overridden') AND mediator_id IS NOT NULL"),
        ),
        Index(
            "uq_rating_published_org",
            "period",
            "org_id",
            unique=True,
            sqlite_where=text("status IN ('approved', 'overridden') AND org_id IS NOT NULL"),
            postgresql_where=text("status IN ('approved', 'overridden') AND org_id IS NOT NULL"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    scheme_id: int = Field(foreign_key="ratingscheme.id", index=True)
    subject: str = Field(max_length=12)
    mediator_id: int | None = Field(default=None, foreign_key="mediator.id", index=True)
    org_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    period: str = Field(max_length=20)
    score: float | None = None
    proposed_stars: int | None = None
    approved_stars: int | None = None
    status: str = Field(
        default="proposed",
        max_length=12,
        description="proposed / approved / overridden (published) / kept (recomputed, same) / superseded / revised",
    )
    override_reason: str = ""
    metrics: dict[str, Any] = json_field()
    run_id: int | None = Field(
        default=None, foreign_key="ratingrun.id", index=True, description="the computation that proposed it"
    )
    changes: dict[str, Any] = json_field(description="what differs from the previous computation")
    changed: bool = Field(default=False, description="score, stars or a counted set differ from the previous one")
    digest: str = Field(default="", max_length=16, description="hash of the counted sets (services/rating/diff.py)")
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


class RatingRun(SQLModel, table=True):
    """One computation of proposals for a period over an office's area: reproducible from (data, scheme, as_of)."""

    __table_args__ = (Index("ix_ratingrun_period_subject", "period", "subject"),)
    id: int | None = Field(default=None, primary_key=True)
    scheme_id: int = Field(foreign_key="ratingscheme.id")
    subject: str = Field(max_length=12, description="mediator / organisation")
    period: str = Field(max_length=20)
    as_of: date = Field(description="performance counts as due when its deadline passed by this day")
    org_id: int = Field(foreign_key="organisation.id", description="whose area was computed")
    subjects: int = 0
    rated: int = 0
    changed: int = 0
    fingerprint: str = Field(default="", max_length=64, description="sha256 of every counted set and the scheme")
    computed_by: int | None = Field(default=None, foreign_key="user.id")
    computed_at: datetime = created_at_field()


class RatingObjection(SQLModel, table=True):
    """A mediator's objection to their rating, answered by the office."""

    __table_args__ = (
        Index(
            "uq_ratingobjection_one_open",
            "rating_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    rating_id: int = Field(foreign_key="rating.id", index=True)
    mediator_id: int = Field(foreign_key="mediator.id")
    body: str
    status: str = Field(default="open", max_length=12, description="open / answered")
    answer: str = ""
    upheld: bool | None = None
    lodged_by: int | None = Field(default=None, foreign_key="user.id")
    lodged_at: datetime = created_at_field()
    answered_by: int | None = Field(default=None, foreign_key="user.id")
    answered_at: datetime | None = None


class MediatorComplaint(SQLModel, table=True):
    """A complaint about a mediator and the office's finding; substantiated ones count against the rating."""

    __table_args__ = (Index("ix_mediatorcomplaint_mediator_on", "mediator_id", "received_on"),)
    id: int | None = Field(default=None, primary_key=True)
    mediator_id: int = Field(foreign_key="mediator.id")
    case_id: int | None = Field(default=None, foreign_key="case.id")
    received_on: date
    source: str = Field(default="phone", max_length=16, description="phone / letter / visit / board")
    summary: str
    substantiated: bool = False
    finding: str = ""
    recorded_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = created_at_field()
