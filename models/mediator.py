"""Mediators, their postings, training, expert pools and the stationed duty schedule."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import created_at_field, json_field


class Mediator(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="user.id", unique=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    name: str = Field(max_length=60, description="public: mediators' names appear on boards")
    gender: str | None = Field(default=None, max_length=8)
    phone: str = Field(default="", max_length=20)
    employment: str = Field(
        default="part_time", max_length=16, description="full_time / part_time / stationed / invited"
    )
    specialties: list[str] = json_field(default=list)
    certificate_no: str = Field(default="", max_length=60)
    start_date: date | None = None
    status: str = Field(default="active", max_length=12, description="active / suspended / left")
    stars: int | None = Field(default=None, description="current approved star rating")
    photo: bytes | None = Field(default=None, repr=False)
    created_at: datetime = created_at_field()


class MediatorPosting(SQLModel, table=True):
    """Rotation history: which organisation a mediator served, from when to when."""

    id: int | None = Field(default=None, primary_key=True)
    mediator_id: int = Field(foreign_key="mediator.id", index=True)
    org_id: int = Field(foreign_key="organisation.id")
    start: date
    end: date | None = None


class TrainingKind(StrEnum):
    ORGANISED = "organised"
    SELF_STUDY = "self_study"
    MEETING = "meeting"
    EXPERT_LECTURE = "expert_lecture"


class TrainingSession(SQLModel, table=True):
    """A training held on one day (course, self-study, meeting, expert lecture); attendance is TrainingRecord rows."""

    __table_args__ = (CheckConstraint("hours >= 0", name="ck_trainingsession_hours"),)
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True, description="organisation that held it")
    held_on: date
    topic: str = Field(max_length=120)
    hours: float = 0
    kind: str = Field(
        default=TrainingKind.ORGANISED, max_length=16, description="organised / self_study / meeting / expert_lecture"
    )
    organiser: str = Field(default="", max_length=120, description="organiser or lecturer")
    place: str = Field(default="", max_length=120)
    created_at: datetime = created_at_field()


class TrainingRecord(SQLModel, table=True):
    """Hours one mediator trained on one day: attendance of a session, or self-study on their own."""

    __table_args__ = (
        CheckConstraint("hours >= 0", name="ck_training_hours"),
        Index("uq_trainingrecord_session_mediator", "session_id", "mediator_id", unique=True),
    )
    id: int | None = Field(default=None, primary_key=True)
    mediator_id: int = Field(foreign_key="mediator.id", index=True)
    held_on: date
    title: str = Field(max_length=120)
    hours: float = 0
    organiser: str = Field(default="", max_length=120)
    session_id: int | None = Field(
        default=None,
        foreign_key="trainingsession.id",
        description="the session attended (None: self-study or an outside course)",
    )
    kind: str = Field(
        default=TrainingKind.ORGANISED,
        max_length=16,
        sa_column_kwargs={"server_default": TrainingKind.ORGANISED.value},
        description="organised / self_study / meeting / expert_lecture",
    )


class ExpertPool(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=80)
    sector: str = Field(default="", max_length=40)


class ExpertPoolMember(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("pool_id", "mediator_id"),)
    id: int | None = Field(default=None, primary_key=True)
    pool_id: int = Field(foreign_key="expertpool.id", index=True)
    mediator_id: int = Field(foreign_key="mediator.id", index=True)


class DutyShift(SQLModel, table=True):
    """Who is on the desk by day or on call at night in a stationed room."""

    __table_args__ = (UniqueConstraint("org_id", "day", "kind", "mediator_id"),)
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    mediator_id: int = Field(foreign_key="mediator.id")
    day: date
    kind: str = Field(max_length=8, description="day (坐班) / night (值守)")
    created_at: datetime = created_at_field()
