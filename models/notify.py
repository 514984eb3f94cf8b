"""Group-robot webhooks of an organisation and the outbox of messages to them (one row per event and webhook)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import created_at_field
from models.lowcode import Notification


class OrgWebhook(SQLModel, table=True):
    """An organisation's optional WeCom (企业微信) or DingTalk (钉钉) group robot."""

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", unique=True)
    vendor: str = Field(max_length=12, description="wecom / dingtalk")
    url: str = Field(max_length=500, description="the robot's webhook address (holds its secret key)")
    active: bool = True
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = created_at_field()


class WebhookDelivery(SQLModel, table=True):
    """One event for one webhook; claimed by one dispatcher at a time (claimed_by + lease_until)."""

    __table_args__ = (
        UniqueConstraint("webhook_id", "event_key", name="uq_webhookdelivery_event"),
        Index("ix_webhookdelivery_due", "status", "next_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    webhook_id: int = Field(foreign_key="orgwebhook.id")
    event_key: str = Field(max_length=160, description="the event's once-only key (dedupe key or a random id)")
    key: str = Field(max_length=60, description="the notification's message key (the event)")
    case_id: int | None = Field(default=None, foreign_key="case.id")
    status: str = Field(default="pending", max_length=10, description="pending / sending / sent / failed")
    attempts: int = 0
    next_at: datetime = created_at_field()
    claimed_by: str | None = Field(default=None, max_length=60)
    lease_until: datetime | None = None
    last_error: str = Field(default="", max_length=200)
    created_at: datetime = created_at_field()
    sent_at: datetime | None = None


# the unread count of an organisation's inbox is an indexed COUNT over (org_id, read_at)
Index("ix_notification_org_read", Notification.__table__.c.org_id, Notification.__table__.c.read_at)  # type: ignore[attr-defined]
