"""Trust for parties and courts: verifiable issued documents, recusal (回避) and appointments (预约调解)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from models.base import created_at_field

VALID_WHERE = "state = 'valid'"
PENDING_WHERE = "status = 'pending'"
HELD_WHERE = "status IN ('requested', 'confirmed')"
CASE_HELD_WHERE = "status IN ('requested', 'confirmed') AND case_id IS NOT NULL"


class VerificationIssue(SQLModel, table=True):
    """One issue of a document under a verification code printed on it as a QR code.

    At most one valid issue per case and document (`doc_key`): a newer issue with other content supersedes it."""

    __table_args__ = (
        Index("uq_verificationissue_valid", "case_id", "doc_key", unique=True, sqlite_where=text(VALID_WHERE),
              postgresql_where=text(VALID_WHERE)),
    )  # fmt: skip
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=24, unique=True, description="the unguessable code printed on the document")
    kind: str = Field(max_length=40, description="document kind (agreement, dossier, …)")
    doc_key: str = Field(max_length=60, description="which document of the case: agreement, session:12/masked, …")
    case_id: int = Field(foreign_key="case.id", index=True)
    org_id: int = Field(foreign_key="organisation.id")
    issued_at: datetime = created_at_field()
    issued_by: int | None = Field(default=None, foreign_key="user.id")
    content_sha256: str = Field(max_length=64, description="digest of the document before stamping (same → same code)")
    state: str = Field(default="valid", max_length=12, description="valid / superseded / revoked")
    superseded_at: datetime | None = None
    superseded_by: int | None = Field(default=None, description="id of the issue that replaced this one")
    revoked_at: datetime | None = None
    revoked_by: int | None = Field(default=None, foreign_key="user.id")
    revoke_reason: str = Field(default="", max_length=200)


class VerificationFile(SQLModel, table=True):
    """The SHA-256 of a file issued under a code (its DOCX, its PDF, the ZIP it stamps)."""

    __table_args__ = (UniqueConstraint("issue_id", "sha256"),)
    id: int | None = Field(default=None, primary_key=True)
    issue_id: int = Field(foreign_key="verificationissue.id", index=True)
    fmt: str = Field(max_length=8, description="docx / pdf / zip")
    sha256: str = Field(max_length=64)
    created_at: datetime = created_at_field()


class RecusalRequest(SQLModel, table=True):
    """回避: a party or the mediator asks for another mediator; the organisation's head decides."""

    __table_args__ = (
        Index("uq_recusalrequest_pending", "case_id", unique=True, sqlite_where=text(PENDING_WHERE),
              postgresql_where=text(PENDING_WHERE)),
    )  # fmt: skip
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    mediator_id: int = Field(foreign_key="mediator.id", index=True, description="the mediator asked to step aside")
    source: str = Field(max_length=10, description="party / mediator")
    party_id: int | None = Field(default=None, foreign_key="party.id")
    requested_by: int | None = Field(default=None, foreign_key="user.id")
    reason: str = Field(max_length=500)
    status: str = Field(default="pending", max_length=10, description="pending / granted / refused")
    created_at: datetime = created_at_field()
    decided_at: datetime | None = None
    decided_by: int | None = Field(default=None, foreign_key="user.id")
    decision_note: str = Field(default="", max_length=500)
    new_mediator_id: int | None = Field(default=None, foreign_key="mediator.id")


class AppointmentSetting(SQLModel, table=True):
    """How an organisation offers appointments: slot length and how many may book one slot."""

    __table_args__ = (CheckConstraint("capacity BETWEEN 1 AND 50", name="ck_appointmentsetting_capacity"),)
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", unique=True)
    capacity: int = Field(default=2, description="bookings one slot takes")
    slot_minutes: int = Field(default=60)
    days_ahead: int = Field(default=14)


class Appointment(SQLModel, table=True):
    """预约调解: one booking of one seat of one slot. A held seat is unique, so a slot is never overbooked."""

    __table_args__ = (
        Index("uq_appointment_seat", "org_id", "slot_start", "seat", unique=True, sqlite_where=text(HELD_WHERE),
              postgresql_where=text(HELD_WHERE)),
        Index("uq_appointment_case_held", "case_id", unique=True, sqlite_where=text(CASE_HELD_WHERE),
              postgresql_where=text(CASE_HELD_WHERE)),
        CheckConstraint("seat >= 1", name="ck_appointment_seat"),
    )  # fmt: skip
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    slot_start: datetime
    seat: int
    status: str = Field(
        default="requested", max_length=12, description="requested / confirmed / moved / cancelled / no_show / done"
    )
    booked_via: str = Field(default="party", max_length=10, description="party / track / intake / staff")
    note: str = Field(default="", max_length=200)
    proposed_start: datetime | None = Field(default=None, description="another time the mediator proposed")
    created_at: datetime = created_at_field()
    decided_by: int | None = Field(default=None, foreign_key="user.id")
    reminded_at: datetime | None = None
    booking_token: str | None = Field(default=None, max_length=64, unique=True, description="one per submission")
