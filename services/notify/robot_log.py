"""A group robot's delivery log — each message sent, waiting for a retry or failed, and why — and its test message."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from models import Case, OrgWebhook, WebhookDelivery
from models.base import utc_now
from services.access.authz import Actor, org_in_scope, require
from services.access.permissions import P
from services.core import audit
from services.core.config import get_settings
from services.core.db import Database
from services.core.errors import ValidationFailed
from services.core.i18n import translate
from services.notify import outbox, webhooks

STATUSES = ("sent", "pending", "sending", "failed")


@dataclass(frozen=True)
class LogRow:
    id: int
    event_key: str  # translation key of the event (webhook.event.* or the test message)
    case_no: str
    status: str  # sent / pending (a retry is due at next_at) / sending / failed
    attempts: int
    reason_key: str  # translation key of why the last attempt failed ("" when it did not)
    reason_params: dict[str, Any]
    created_at: datetime
    sent_at: datetime | None
    next_at: datetime | None


def reason_of(error: str) -> tuple[str, dict[str, Any]]:
    """A translation key and its params for a send error (the raw error stays in the server log only)."""
    if not error:
        return "", {}
    if error.startswith("http "):
        return "webhooks.why_http", {"code": error[5:]}
    if error.startswith("errcode "):
        return "webhooks.why_errcode", {"code": error[8:]}
    if error == "disabled":
        return "webhooks.why_disabled", {}
    if "timeout" in error.lower():
        return "webhooks.why_timeout", {}
    return "webhooks.why_unreachable", {}


def event_key(key: str) -> str:
    """The translation key naming a robot message's event."""
    if key == outbox.TEST_KEY:
        return "webhooks.test_event"
    found = f"webhook.event.{key}"
    return found if translate(found) != found else "webhook.event.other"


def delivery_log(session: Session, *, actor: Actor, org_id: int, limit: int = 30) -> list[LogRow]:
    """The newest messages to the organisation's robot, newest first (empty when it has none)."""
    require(actor, P.LOWCODE_EDIT)
    org_in_scope(session, actor, org_id)
    return _log(session, org_id=org_id, limit=limit)


def _log(session: Session, *, org_id: int, limit: int, delivery_id: int | None = None) -> list[LogRow]:
    stmt = (
        select(WebhookDelivery, Case.case_no)
        .join(OrgWebhook, col(OrgWebhook.id) == col(WebhookDelivery.webhook_id))
        .join(Case, col(Case.id) == col(WebhookDelivery.case_id), isouter=True)
        .where(OrgWebhook.org_id == org_id)
    )
    if delivery_id is not None:
        stmt = stmt.where(WebhookDelivery.id == delivery_id)
    rows = session.exec(stmt.order_by(col(WebhookDelivery.id).desc()).limit(max(1, min(limit, 200)))).all()
    out = []
    for d, case_no in rows:
        why, params = reason_of(d.last_error) if d.status != "sent" else ("", {})
        out.append(
            LogRow(
                id=d.id or 0,
                event_key=event_key(d.key),
                case_no=case_no or "",
                status=d.status,
                attempts=d.attempts,
                reason_key=why,
                reason_params=params,
                created_at=d.created_at,
                sent_at=d.sent_at,
                next_at=d.next_at if d.status == "pending" else None,
            )
        )
    return out


def send_test(db: Database, *, actor: Actor, org_id: int) -> LogRow:
    """Post the test message to the organisation's robot now (outside any transaction) and log the outcome."""
    worker = f"test-{uuid.uuid4().hex[:12]}"
    with db.write() as s:
        require(actor, P.LOWCODE_EDIT)
        org_in_scope(s, actor, org_id)
        hook = s.exec(select(OrgWebhook).where(OrgWebhook.org_id == org_id, col(OrgWebhook.active).is_(True))).first()
        if hook is None:
            raise ValidationFailed("error.webhook_none")
        now = utc_now()
        row = WebhookDelivery(
            webhook_id=hook.id or 0,
            event_key=worker,
            key=outbox.TEST_KEY,
            status="sending",
            attempts=1,
            next_at=now,
            claimed_by=worker,
            lease_until=now + outbox.LEASE,
            created_at=now,
        )
        s.add(row)
        s.flush()
        delivery_id, url = row.id or 0, hook.url
        audit.record(s, action="webhook.test", actor_id=actor.user_id, entity="orgwebhook", entity_id=hook.id)
    result = webhooks.post_message(url, webhooks.payload(webhooks.test_text()), timeout=get_settings().webhook_timeout)
    with db.write() as s:
        outbox.finish(s, delivery_id=delivery_id, worker=worker, result=result)
    with db.read() as s:
        return _log(s, org_id=org_id, limit=1, delivery_id=delivery_id)[0]
