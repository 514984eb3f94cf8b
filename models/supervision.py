"""Graded risk (红/橙/黄/蓝) with response clocks, joint consultations (会商), and supervision orders (督办):
progress reports (反馈), de-listing (摘牌) and extension (延期) requests, and accountability events (问责)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from models.base import created_at_field, json_field

ORDER_ACTIVE_WHERE = "state IN ('listed', 'delist_requested')"
REQUEST_PENDING_WHERE = "status = 'pending'"


class CaseRisk(SQLModel, table=True):
    """A case's risk level as the risk rule set graded it, with the clocks that level starts."""

    __table_args__ = (Index("ix_caserisk_level_open", "level", "is_open"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", unique=True)
    level: str = Field(default="none", max_length=8, description="red / orange / yellow / blue / none")
    reasons: list[str] = json_field(default=list, description="the conditions that set the level, e.g. flag:violence")
    owner_level: str = Field(default="", max_length=12, description="county / town / village / police")
    rule_version: int = Field(default=0, description="version of the risk rule set that graded it")
    is_open: bool = Field(default=True, description="the case was open when last graded")
    graded_at: datetime = created_at_field()
    level_since: datetime = created_at_field()
    contact_due: datetime | None = Field(default=None, description="first contact is due by this moment")
    plan_due: datetime | None = Field(default=None, description="a handling plan is due by this moment")
    contact_at: datetime | None = Field(default=None, description="first contact recorded")
    plan_at: datetime | None = Field(default=None, description="handling plan (or 会商 for red) recorded")


class Consultation(SQLModel, table=True):
    """会商: a joint consultation on a (red) case — who met, when, what was decided."""

    __table_args__ = (Index("uq_consultation_form_token", "form_token", unique=True),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    held_at: datetime
    participants: str = Field(max_length=500)
    decision: str = Field(max_length=2000)
    recorded_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = created_at_field()
    form_token: str | None = Field(default=None, max_length=64)


class SupervisionOrder(SQLModel, table=True):
    """挂牌督办: a case put under supervision, with a reason, a deadline and the body that must act."""

    __table_args__ = (
        Index(
            "uq_supervision_one_active",
            "case_id",
            unique=True,
            sqlite_where=text(ORDER_ACTIVE_WHERE),
            postgresql_where=text(ORDER_ACTIVE_WHERE),
        ),
        Index("uq_supervision_form_token", "form_token", unique=True),
        Index("ix_supervision_handler_state", "handling_org_id", "state"),
        Index("ix_supervision_supervisor_state", "supervisor_org_id", "state"),
    )
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    supervisor_org_id: int = Field(foreign_key="organisation.id", description="the office that supervises")
    handling_org_id: int = Field(foreign_key="organisation.id", description="the body that must act")
    reason: str = Field(max_length=40, description="dictionary 'supervision_reason'")
    note: str = Field(default="", max_length=1000)
    deadline: date = Field(description="China date by which the case must be handled")
    report_every_days: int = Field(default=7, description="a progress report is due this often")
    report_due: date = Field(description="China date the next progress report is due")
    state: str = Field(default="listed", max_length=20, description="listed / delist_requested / delisted")
    opened_by: int | None = Field(default=None, foreign_key="user.id")
    opened_at: datetime = created_at_field()
    delisted_at: datetime | None = None
    delisted_by: int | None = Field(default=None, foreign_key="user.id")
    form_token: str | None = Field(default=None, max_length=64)


class SupervisionReport(SQLModel, table=True):
    """反馈: a progress report by the handling body, with attachment ids (case attachments)."""

    __table_args__ = (Index("uq_supervisionreport_form_token", "form_token", unique=True),)
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="supervisionorder.id", index=True)
    text: str = Field(max_length=2000)
    attachment_ids: list[int] = json_field(default=list)
    by_user: int | None = Field(default=None, foreign_key="user.id")
    at: datetime = created_at_field()
    form_token: str | None = Field(default=None, max_length=64)


class SupervisionRequest(SQLModel, table=True):
    """摘牌 (de-listing) or 延期 (extension) asked by the handling body; decided with a reason."""

    __table_args__ = (
        Index(
            "uq_supervisionrequest_one_pending",
            "order_id",
            "kind",
            unique=True,
            sqlite_where=text(REQUEST_PENDING_WHERE),
            postgresql_where=text(REQUEST_PENDING_WHERE),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="supervisionorder.id", index=True)
    kind: str = Field(max_length=12, description="delist / extend")
    status: str = Field(default="pending", max_length=12, description="pending / approved / refused")
    reason: str = Field(default="", max_length=1000, description="why the handling body asks")
    new_deadline: date | None = Field(default=None, description="the deadline an extension asks for")
    requested_by: int | None = Field(default=None, foreign_key="user.id")
    requested_at: datetime = created_at_field()
    decided_by: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime | None = None
    decision_reason: str = Field(default="", max_length=1000)


class AccountabilityEvent(SQLModel, table=True):
    """问责: a progress report not filed by its due day, recorded once against the handling body."""

    __table_args__ = (UniqueConstraint("order_id", "kind", "due", name="uq_accountability_once"),)
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="supervisionorder.id", index=True)
    org_id: int = Field(foreign_key="organisation.id", index=True, description="the body held to account")
    kind: str = Field(default="report_overdue", max_length=20)
    due: date = Field(description="the report due day that passed")
    created_at: datetime = created_at_field()
    detail: dict[str, Any] = json_field()
