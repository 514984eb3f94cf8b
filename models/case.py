"""The dispute (case), its parties, its one history, referrals and joint mediation."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Index, UniqueConstraint, false, text
from sqlmodel import Field, SQLModel

from models.base import created_at_field, json_field


class CaseStatus(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    IN_MEDIATION = "in_mediation"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"
    FOLLOWED_UP = "followed_up"
    ARCHIVED = "archived"


class Grade(StrEnum):
    SIMPLE = "simple"
    STANDARD = "standard"
    COMPLEX = "complex"
    MAJOR = "major"


OPEN_WHERE = "status IN ('submitted', 'accepted', 'in_mediation')"
OPEN_HIGH_WHERE = "status IN ('submitted', 'accepted', 'in_mediation') AND risk_level = 'high'"  # open high-risk
GRADE_PENDING_WHERE = "grade_proposed IS NOT NULL AND grade_audited IS NULL"  # a grade no office audited yet
STATS_MONTH_COLUMNS = (
    "received_month",
    "org_id",
    "category",
    "source",
    "status",
    "outcome",
    "on_the_spot",
    "pre_litigation",
    "group_size",
    "agreement_kind",
    "performance",
    "performance_due",
    "confirmed",
    "satisfaction",
    "accept_due",
    "conclude_due",
)
RATING_SCAN_COLUMNS = (
    "mediator_id",
    "received_month",
    "outcome",
    "agreement_kind",
    "performance",
    "performance_due",
    "confirmed",
    "satisfaction",
)


class Case(SQLModel, table=True):
    __table_args__ = (
        Index("ix_case_org_status_received", "org_id", "status", "received_at"),
        Index("ix_case_county_month", "county_id", "received_month"),
        Index("ix_case_month_category", "received_month", "category"),
        Index("ix_case_status_month", "status", "received_month"),
        # statistics (services/stats/kpi.py, services/stats/dashboard.py):
        # each breakdown streams from its own covering index
        Index("ix_case_stats_month", *STATS_MONTH_COLUMNS),
        Index("ix_case_stats_org", "org_id", "received_month", "category", "source", "status", "outcome"),
        Index("ix_case_stats_catsrc", "category", "source", "received_month", "org_id", "status", "outcome"),
        Index(
            "ix_case_stats_risk",
            "received_month",
            "org_id",
            sqlite_where=text("risk_level = 'high'"),
            postgresql_where=text("risk_level = 'high'"),
        ),
        Index(
            "ix_case_stats_open",
            "org_id",
            "status",
            "risk_level",
            "accept_due",
            "conclude_due",
            sqlite_where=text(OPEN_WHERE),
            postgresql_where=text(OPEN_WHERE),
        ),
        # ratings (services/rating/metrics.py): every mediator's metrics for a period stream from this one index
        Index("ix_case_rating_mediator", *RATING_SCAN_COLUMNS),
        # province scale (0026): keyset pages of the drill-down, and open cases by month with their deadlines
        Index("ix_case_month_id", "received_month", "id"),
        Index(
            "ix_case_open_month",
            "received_month",
            "status",
            "accept_due",
            "conclude_due",
            "org_id",
            sqlite_where=text(OPEN_WHERE),
            postgresql_where=text(OPEN_WHERE),
        ),
        # the open high-risk cases (the warnings' flags, a few hundred in a county of a million cases)
        Index(
            "ix_case_open_high",
            "org_id",
            sqlite_where=text(OPEN_HIGH_WHERE),
            postgresql_where=text(OPEN_HIGH_WHERE),
        ),
        # the grades waiting for an office's audit (the workbench's 待办 of a justice office or a police station)
        Index(
            "ix_case_grade_pending",
            "org_id",
            "status",
            sqlite_where=text(GRADE_PENDING_WHERE),
            postgresql_where=text(GRADE_PENDING_WHERE),
        ),
        CheckConstraint("amount_fen >= 0", name="ck_case_amount"),
        CheckConstraint("group_size >= 0", name="ck_case_group_size"),
    )
    id: int | None = Field(default=None, primary_key=True)
    case_no: str = Field(max_length=40, unique=True, description="human case number, e.g. 2026-C0001-00012")
    tracking_code: str | None = Field(
        default=None, max_length=16, unique=True, description="code a resident uses on /track"
    )
    form_token: str | None = Field(
        default=None, max_length=64, unique=True, description="one-time token of the intake form that created it"
    )
    org_id: int = Field(foreign_key="organisation.id", index=True, description="organisation handling it now")
    county_id: int | None = Field(default=None, description="county of org_id (denormalised for statistics)")
    mediator_id: int | None = Field(default=None, foreign_key="mediator.id", index=True)
    source: str = Field(max_length=32, description="dictionary 'source'")
    category: str = Field(max_length=40, description="dictionary 'category'")
    status: str = Field(default=CaseStatus.SUBMITTED, max_length=20)
    title: str = Field(default="", max_length=120)
    description: str = Field(default="", description="what happened (free text, may contain PII)")
    place: str = Field(default="", max_length=200)
    request: str = Field(default="", description="what the applicant asks for")
    amount_fen: int = Field(default=0, description="amount in dispute, fen")
    group_size: int = Field(default=0, description="people involved when it is a group dispute")
    risk_level: str = Field(default="none", max_length=12, description="none / low / high")
    risk_flags: list[str] = json_field(default=list)
    grade_proposed: str | None = Field(default=None, max_length=12)
    grade_audited: str | None = Field(default=None, max_length=12)
    on_the_spot: bool = Field(default=False, description="随手调: registered and closed on the spot")
    pre_litigation: bool = Field(default=False, description="诉前委托 entrusted by a court")
    outcome_note: str = ""
    diversion: str | None = Field(default=None, max_length=32, description="where a failed case was sent")
    reject_reason: str | None = Field(default=None, max_length=40)
    received_at: datetime = created_at_field()
    received_month: int = Field(default=0, description="YYYYMM of received_at (for fast grouping)")
    accepted_at: datetime | None = None
    concluded_at: datetime | None = None
    archived_at: datetime | None = None
    accept_due: date | None = None
    conclude_due: date | None = None
    custom: dict[str, Any] = json_field()
    created_by: int | None = Field(default=None, foreign_key="user.id")
    version: int = Field(default=1, description="optimistic lock counter")
    # Kept by database triggers (migration 0006_stats) whatever writes the case or its agreement,
    # confirmation or follow-up, so each KPI is a predicate on this one row. Read them; never set them.
    outcome: str | None = Field(
        default=None,
        max_length=12,
        description="how mediation ended: succeeded / failed / withdrawn / rejected; "
        "kept through follow-up and archiving",
    )
    agreement_kind: str | None = Field(default=None, max_length=8, description="newest agreement: written / oral")
    performance: str | None = Field(default=None, max_length=12, description="newest agreement's performance")
    performance_due: date | None = Field(default=None, description="newest agreement's performance deadline")
    confirmed: bool = Field(
        default=False,
        sa_column_kwargs={"server_default": false()},
        description="a court confirmed the agreement (司法确认)",
    )
    satisfaction: int | None = Field(default=None, description="newest follow-up satisfaction score, 1–5")
    # publicity (issue 9, migration 0010_board): only a case with consent and no non-public request may
    # become a typical case on the board
    non_public: bool = Field(
        default=False,
        sa_column_kwargs={"server_default": false()},
        description="a party asked for mediation in private (不公开调解)",
    )
    publication_consent: bool = Field(
        default=False,
        sa_column_kwargs={"server_default": false()},
        description="the parties agreed to publication as a de-identified typical case",
    )
    # how that consent was given (issue 23, migration 0020_publication_consent); the audit log keeps every change
    publication_consent_at: datetime | None = Field(default=None, description="when the consent was recorded")
    publication_consent_by: int | None = Field(
        default=None, description="the staff user who recorded it; empty when the applicant ticked it online"
    )
    publication_consent_how: str | None = Field(
        default=None, max_length=12, description="how it was given: online / written / oral / phone"
    )
    # privacy (issue 12, migration 0015_privacy)
    anonymised_at: datetime | None = Field(
        default=None, index=True, description="when the retention job removed the parties' personal data"
    )


class Party(SQLModel, table=True):
    __table_args__ = (
        Index("ix_party_name", "name", postgresql_ops={"name": "varchar_pattern_ops"}),
        Index("ix_party_address", "address"),
    )
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    side: str = Field(max_length=12, description="applicant / respondent / third")
    kind: str = Field(default="person", max_length=12, description="person / organisation")
    name: str = Field(max_length=80)
    gender: str | None = Field(default=None, max_length=8)
    phone: str = Field(default="", max_length=20)
    phone_index: str | None = Field(
        default=None, max_length=64, index=True, description="HMAC of the phone, for duplicate detection"
    )
    id_number_enc: str | None = Field(default=None, description="encrypted ID number", repr=False)
    id_number_index: str | None = Field(default=None, max_length=64, index=True, description="HMAC blind index")
    id_number_masked: str | None = Field(default=None, max_length=24)
    address: str = Field(default="", max_length=200)
    created_at: datetime = created_at_field()


class CaseEvent(SQLModel, table=True):
    """One line of a case's timeline: state changes, hand-overs, notes, reveals."""

    __table_args__ = (Index("ix_caseevent_case_at", "case_id", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id")
    at: datetime = created_at_field()
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    kind: str = Field(max_length=32)
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str | None = Field(default=None, max_length=20)
    note: str = ""
    data: dict[str, Any] = json_field()


class CaseCounter(SQLModel, table=True):
    """Next case number per organisation and year (incremented inside the write transaction)."""

    __table_args__ = (UniqueConstraint("org_id", "year"),)
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id")
    year: int
    last: int = 0


class Referral(SQLModel, table=True):
    __table_args__ = (
        Index(
            "uq_referral_one_pending",
            "case_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    from_org_id: int = Field(foreign_key="organisation.id", index=True)
    to_org_id: int = Field(foreign_key="organisation.id", index=True)
    kind: str = Field(
        default="referral", max_length=24, description="referral / police_handover / court_entrust / petition"
    )
    note: str = ""
    status: str = Field(default="pending", max_length=12, description="pending / accepted / returned")
    reason: str = ""
    sent_by: int | None = Field(default=None, foreign_key="user.id")
    sent_at: datetime = created_at_field()
    decided_by: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime | None = None


class JointParticipant(SQLModel, table=True):
    """An organisation taking part in joint mediation (联合调处) as lead or coordinating."""

    __table_args__ = (
        UniqueConstraint("case_id", "org_id"),
        Index(
            "uq_joint_one_lead",
            "case_id",
            unique=True,
            sqlite_where=text("role = 'lead'"),
            postgresql_where=text("role = 'lead'"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id")
    org_id: int = Field(foreign_key="organisation.id", index=True)
    role: str = Field(max_length=12, description="lead (主调方) / coordinating (协调方)")
    added_by: int | None = Field(default=None, foreign_key="user.id")
    added_at: datetime = created_at_field()
