"""Unit assessment (目标考核), dossier quality review (卷宗评查) and the numbers offices print (issue 19).

Rules are data and versioned: a numbering rule, a dossier checklist or an assessment scheme is never edited
in place; a newer version (or a newer active rule) takes over. Once-only facts are database constraints
(migration 0024_assessment), mirrored here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Index, LargeBinary, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from models.base import created_at_field, json_field


class NumberingRule(SQLModel, table=True):
    """How an organisation's subtree prints its case numbers, e.g. （{year}）{org_short}人调字第{seq:04d}号."""

    __table_args__ = (
        Index(
            "uq_numberingrule_active",
            "org_id",
            "kind",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
        CheckConstraint("scope IN ('org', 'rule')", name="ck_numberingrule_scope"),
    )
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True, description="the rule covers this subtree")
    kind: str = Field(default="case", max_length=20, description="what it numbers: case")
    pattern: str = Field(max_length=80, description="placeholders {year} {seq} {org_short} {org_code}")
    short: str = Field(default="", max_length=20, description="{org_short}; empty = taken from each org's name")
    scope: str = Field(
        default="org",
        max_length=8,
        description="org: one sequence per organisation; rule: one sequence shared by the whole subtree",
    )
    active: bool = True
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = created_at_field()


class NumberCounter(SQLModel, table=True):
    """The last number given in a sequence (a rule, or a rule and an organisation) and a China-time year."""

    __table_args__ = (UniqueConstraint("scope_key", "year", name="uq_numbercounter_scope_year"),)
    id: int | None = Field(default=None, primary_key=True)
    scope_key: str = Field(max_length=40, description="rule:<id> or rule:<id>:org:<id>")
    year: int
    last: int = 0


class CaseNumber(SQLModel, table=True):
    """Which sequence number a case took (its printed number is case.case_no); gap-free per sequence and year."""

    __table_args__ = (UniqueConstraint("scope_key", "year", "seq", name="uq_casenumber_seq"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", unique=True)
    rule_id: int = Field(foreign_key="numberingrule.id", index=True)
    scope_key: str = Field(max_length=40)
    year: int
    seq: int


class DossierChecklist(SQLModel, table=True):
    """The 卷宗评查 checklist of a region, versioned: items (points, required by case kind, what the system
    can see), grade bands and the sample size."""

    __table_args__ = (UniqueConstraint("region_org_id", "version", name="uq_dossierchecklist_version"),)
    id: int | None = Field(default=None, primary_key=True)
    region_org_id: int = Field(foreign_key="organisation.id", index=True)
    version: int = 1
    items: list[dict[str, Any]] = json_field(default=list)
    bands: list[dict[str, Any]] = json_field(default=list, description="[{grade, min, holds_subsidy}] high first")
    sample_size: int = Field(default=10, description="dossiers drawn per organisation and quarter")
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = created_at_field()


class DossierSample(SQLModel, table=True):
    """A draw of dossiers to review for one organisation and quarter (random with a seed, or picked by hand)."""

    __table_args__ = (UniqueConstraint("org_id", "quarter", "seed", name="uq_dossiersample_draw"),)
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    quarter: int = Field(description="YYYYQ, e.g. 20263")
    seed: str = Field(max_length=40, description="same seed, organisation and quarter → same sample")
    method: str = Field(default="random", max_length=8, description="random / manual")
    size: int = 0
    case_ids: list[int] = json_field(default=list)
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = created_at_field()


class DossierReview(SQLModel, table=True):
    """One review round of a case's dossier; a later round (after correction) replaces the grade."""

    __table_args__ = (
        UniqueConstraint("case_id", "round", name="uq_dossierreview_round"),
        Index("uq_dossierreview_form_token", "form_token", unique=True),
        CheckConstraint("score >= 0 AND score <= 100", name="ck_dossierreview_score"),
    )
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    checklist_id: int = Field(foreign_key="dossierchecklist.id")
    sample_id: int | None = Field(default=None, foreign_key="dossiersample.id", index=True)
    round: int = 1
    quarter: int = Field(default=0, description="YYYYQ the review counts for")
    score: float = 0
    grade: str = Field(max_length=12, description="excellent / pass / fail (bands of the checklist)")
    holds_subsidy: bool = Field(default=False, description="this grade holds the case's subsidy claim")
    items: dict[str, Any] = json_field(description="item key → {points, max, present, auto, remark}")
    remarks: str = ""
    reviewer_id: int | None = Field(default=None, foreign_key="user.id")
    reviewed_at: datetime = created_at_field()
    form_token: str | None = Field(default=None, max_length=64)


class AssessmentScheme(SQLModel, table=True):
    """目标考核 scheme of a region for a period, versioned: indicators and the unit kinds it assesses."""

    __table_args__ = (UniqueConstraint("region_org_id", "period", "version", name="uq_assessmentscheme_version"),)
    id: int | None = Field(default=None, primary_key=True)
    region_org_id: int = Field(foreign_key="organisation.id", index=True)
    name: str = Field(max_length=80)
    period: str = Field(max_length=12, description="2026, 2026H1, 2026Q3")
    start: date
    end: date = Field(description="last day of the period")
    version: int = 1
    unit_kinds: list[str] = json_field(default=list)
    indicators: list[dict[str, Any]] = json_field(default=list)
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = created_at_field()


class Scorecard(SQLModel, table=True):
    """A unit's scorecard under a scheme: computed → reviewed → published; a recompute keeps the published
    figures (published_lines) until someone publishes again."""

    __table_args__ = (
        UniqueConstraint("scheme_id", "org_id", name="uq_scorecard_unit"),
        CheckConstraint("status IN ('computed', 'reviewed', 'published')", name="ck_scorecard_status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    scheme_id: int = Field(foreign_key="assessmentscheme.id", index=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    status: str = Field(default="computed", max_length=12)
    total: float = 0
    lines: list[dict[str, Any]] = json_field(default=list)
    computed_at: datetime = created_at_field()
    reviewed_by: int | None = Field(default=None, foreign_key="user.id")
    reviewed_at: datetime | None = None
    published_total: float | None = None
    published_lines: list[dict[str, Any]] = json_field(default=list)
    published_by: int | None = Field(default=None, foreign_key="user.id")
    published_at: datetime | None = None
    version: int = Field(default=1, description="optimistic lock counter")


class ScoreEntry(SQLModel, table=True):
    """A manual indicator's score or an override of a computed one: a note (the reason) and evidence; the
    newest entry for an indicator counts, the older ones stay as history."""

    __table_args__ = (CheckConstraint("kind IN ('manual', 'override')", name="ck_scoreentry_kind"),)
    id: int | None = Field(default=None, primary_key=True)
    scorecard_id: int = Field(foreign_key="scorecard.id", index=True)
    indicator: str = Field(max_length=40)
    kind: str = Field(max_length=8)
    points: float
    value: float | None = None
    note: str = Field(description="why: the assessor's note or the override's reason")
    evidence_name: str = Field(default="", max_length=120)
    evidence: bytes | None = Field(default=None, sa_type=LargeBinary, repr=False)
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    at: datetime = created_at_field()
