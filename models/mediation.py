"""What happens inside a case: sessions, attachments, agreement, performance, confirmation, follow-up."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from models.base import created_at_field, json_field


class MediationSession(SQLModel, table=True):
    """调解记录: one sitting, in person or online."""

    __table_args__ = (
        Index("uq_mediationsession_form_token", "form_token", unique=True),
        Index("ix_mediationsession_held", "held_at", "case_id", "online"),  # a few days' sessions, by range
    )
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    held_at: datetime
    place: str = Field(default="", max_length=200)
    participants: str = ""
    notes: str = ""
    online: bool = False
    meeting_url: str = Field(default="", max_length=400)
    duration_minutes: int | None = None
    attended: list[int] = json_field(default=list)
    recorded_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = created_at_field()
    form_token: str | None = Field(
        default=None,
        max_length=64,
        description="one-time token of the staff form that saved it (a second tap finds it)",
    )


class Attachment(SQLModel, table=True):
    """A photo or signed scan; bytes kept in the database so backups are complete."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    session_id: int | None = Field(default=None, foreign_key="mediationsession.id")
    kind: str = Field(default="photo", max_length=20)
    filename: str = Field(max_length=120)
    mime: str = Field(max_length=60)
    size: int
    sha256: str = Field(max_length=64)
    content: bytes = Field(repr=False)
    uploaded_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = created_at_field()


class Agreement(SQLModel, table=True):
    """调解协议: written or oral; a new version replaces the text and voids confirmations."""

    __table_args__ = (
        CheckConstraint("amount_fen >= 0", name="ck_agreement_amount"),
        UniqueConstraint("case_id", "version"),
        Index("uq_agreement_form_token", "form_token", unique=True),
    )
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    version: int = 1
    kind: str = Field(max_length=8, description="written / oral")
    terms: str
    amount_fen: int = 0
    obligations: str = ""
    performance_due: date | None = None
    signed_at: datetime = created_at_field()
    performance: str = Field(default="pending", max_length=12, description="pending / fulfilled / partly / breached")
    performance_at: datetime | None = None
    recorded_by: int | None = Field(default=None, foreign_key="user.id")
    form_token: str | None = Field(
        default=None,
        max_length=64,
        description="one-time token of the staff form that saved it (a second tap finds it)",
    )


class JudicialConfirmation(SQLModel, table=True):
    """司法确认: an application to a court and its ruling."""

    __table_args__ = (
        Index(
            "uq_judicial_one_pending",
            "case_id",
            unique=True,
            sqlite_where=text("result = 'pending'"),
            postgresql_where=text("result = 'pending'"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    court_org_id: int = Field(foreign_key="organisation.id")
    applied_at: datetime = created_at_field()
    applied_by: int | None = Field(default=None, foreign_key="user.id")
    result: str = Field(default="pending", max_length=12, description="pending / confirmed / rejected")
    ruling_no: str = Field(default="", max_length=60)
    decided_at: datetime | None = None
    decided_by: int | None = Field(default=None, foreign_key="user.id")
    note: str = ""


class FollowUp(SQLModel, table=True):
    """回访 after the agreement: by phone or visit, with satisfaction 1–5."""

    __table_args__ = (
        CheckConstraint("satisfaction IS NULL OR (satisfaction BETWEEN 1 AND 5)", name="ck_followup_satisfaction"),
        Index(
            "uq_followup_one_open",
            "case_id",
            unique=True,
            sqlite_where=text("done_at IS NULL"),
            postgresql_where=text("done_at IS NULL"),
        ),
        Index("uq_followup_form_token", "form_token", unique=True),
    )
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    due: date | None = None
    done_at: datetime | None = None
    method: str = Field(default="phone", max_length=12)
    satisfaction: int | None = None
    agreement_holds: bool | None = None
    note: str = ""
    recorded_by: int | None = Field(default=None, foreign_key="user.id")
    form_token: str | None = Field(
        default=None,
        max_length=64,
        description="one-time token of the staff form that saved it (a second tap finds it)",
    )


class GradeAudit(SQLModel, table=True):
    """等级审核: the police liaison or justice office audits the proposed difficulty grade (once per case)."""

    __table_args__ = (Index("uq_gradeaudit_case", "case_id", unique=True),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    proposed: str = Field(max_length=12)
    audited: str = Field(max_length=12)
    auditor_id: int = Field(foreign_key="user.id")
    auditor_org_id: int = Field(foreign_key="organisation.id")
    note: str = ""
    at: datetime = created_at_field()


class PublicRating(SQLModel, table=True):
    """A resident's rating of the service, given on /track; once per case."""

    __table_args__ = (CheckConstraint("stars BETWEEN 1 AND 5", name="ck_publicrating_stars"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", unique=True)
    stars: int
    comment: str = ""
    at: datetime = created_at_field()


class PartyLink(SQLModel, table=True):
    """A personal, revocable link that lets a party act on their own phone."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, repr=False)
    case_id: int = Field(foreign_key="case.id", index=True)
    party_id: int = Field(foreign_key="party.id", index=True)
    expires_at: datetime
    revoked_at: datetime | None = None
    failed_checks: int = 0
    locked_until: datetime | None = None
    issued_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = created_at_field()


class PartyConfirmation(SQLModel, table=True):
    """A party confirms or declines one version of the agreement."""

    __table_args__ = (UniqueConstraint("agreement_id", "party_id"),)
    id: int | None = Field(default=None, primary_key=True)
    agreement_id: int = Field(foreign_key="agreement.id", index=True)
    party_id: int = Field(foreign_key="party.id")
    link_id: int = Field(foreign_key="partylink.id")
    decision: str = Field(max_length=10, description="confirmed / declined")
    reason: str = ""
    at: datetime = created_at_field()
