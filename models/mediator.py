"""Mediators, their postings, training, expert pools and the stationed duty schedule."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import created_at_field, json_field


class Mediator(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="user.id", unique=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    name: str = Field(max_length=60, description="public: mediators' names appear on boards")
    gender: str | None = Field(default=None, max_length=8)
    phone: str = Field(default="", max_length=20)
    employment: str = Field(default="part_time", max_length=16,
                            description="full_time / part_time / stationed / invited")
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


class TrainingRecord(SQLModel, table=True):
    __table_args__ = (CheckConstraint("hours >= 0", name="ck_training_hours"),)
    id: int | None = Field(default=None, primary_key=True)
    mediator_id: int = Field(foreign_key="mediator.id", index=True)
    held_on: date
    title: str = Field(max_length=120)
    hours: float = 0
    organiser: str = Field(default="", max_length=120)


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
