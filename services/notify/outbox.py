"""The webhook outbox: events queued in the notifying transaction, sent later by a dispatcher, with retries.

A robot that cannot be reached is tried again over hours (1 min, 5 min, 30 min, 2 h, 6 h, times
MEDIATION_WEBHOOK_BACKOFF); every row is the robot's delivery log (sent / waiting / failed and why), and the
office is told in its inbox once per failing streak (the streak is named by the robot's last success).
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, literal, or_, update
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from models import Case, Organisation, OrgWebhook, User, WebhookDelivery
from models.base import utc_now
from services.core.config import get_settings
from services.core.db import Database, upsert_into
from services.notify import webhooks
from services.notify.once import insert_once

log = logging.getLogger("mediation.webhooks")
RETRY_DELAYS = (60.0, 300.0, 1800.0, 7200.0, 21600.0)  # seconds before the 2nd … 6th attempt (times the backoff)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
STREAK_ATTEMPTS = 3  # a message failing this often in a row: the robot keeps failing and the office is told
TEST_KEY = "webhook.test"  # the robot page's test message (no case; never retried, never reported)
LEASE = timedelta(seconds=120)
POLL_SECONDS = 2.0
PERIODIC_SECONDS = 900.0


def enqueue(session: Session, *, org_id: int, key: str, case_id: int | None, event_key: str | None = None) -> None:
    """Queue the event for the organisation's active webhook, once per (webhook, event_key); nothing without one."""
    if case_id is None:  # a robot message names a case; events without one stay in the inbox only
        return
    now = literal(utc_now(), type_=WebhookDelivery.__table__.c.next_at.type)  # type: ignore[attr-defined]
    values = [literal(v) for v in (event_key or uuid.uuid4().hex, key, case_id, "pending", 0)]
    source = core_select(col(OrgWebhook.id), *values, now, literal(""), now).where(
        col(OrgWebhook.org_id) == org_id, col(OrgWebhook.active).is_(True)
    )
    cols = ["webhook_id", "event_key", "key", "case_id", "status", "attempts", "next_at", "last_error", "created_at"]
    session.execute(
        upsert_into(session, WebhookDelivery)
        .from_select(cols, source)
        .on_conflict_do_nothing(index_elements=["webhook_id", "event_key"])
    )


def _due(now: datetime) -> Any:
    return or_(
        and_(col(WebhookDelivery.status) == "pending", col(WebhookDelivery.next_at) <= now),
        and_(col(WebhookDelivery.status) == "sending", col(WebhookDelivery.lease_until) < now),
    )


def claim_due(session: Session, *, worker: str, limit: int = 20) -> list[int]:
    """Atomically take up to `limit` due rows for `worker` (another dispatcher never gets the same row)."""
    now = utc_now()
    ids = select(WebhookDelivery.id).where(_due(now)).order_by(col(WebhookDelivery.id)).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        ids = ids.with_for_update(skip_locked=True)
    stmt = (
        update(WebhookDelivery)
        .where(col(WebhookDelivery.id).in_(ids.scalar_subquery()), _due(now))
        .values(
            status="sending", claimed_by=worker, lease_until=now + LEASE, attempts=col(WebhookDelivery.attempts) + 1
        )
        .returning(col(WebhookDelivery.id))
    )
    return sorted(int(r[0]) for r in session.execute(stmt).all())


def _message(session: Session, delivery_id: int) -> tuple[str, dict[str, Any], str] | None:
    row = session.exec(
        select(WebhookDelivery, OrgWebhook.url, OrgWebhook.vendor)
        .join(OrgWebhook, col(OrgWebhook.id) == col(WebhookDelivery.webhook_id))
        .where(WebhookDelivery.id == delivery_id, col(OrgWebhook.active).is_(True))
    ).first()
    if row is None:  # switched off since the event was queued
        return None
    delivery, url, vendor = row
    if delivery.key == TEST_KEY:
        return url, webhooks.payload(webhooks.test_text()), vendor
    case_no = session.exec(select(Case.case_no).where(Case.id == delivery.case_id)).first() or ""
    text = webhooks.message_text(key=delivery.key, case_no=case_no, case_id=delivery.case_id)
    return url, webhooks.payload(text), vendor


def finish(session: Session, *, delivery_id: int, worker: str, result: webhooks.SendResult) -> str:
    """Record an attempt: sent, pending again after a backoff, or failed (logged without personal data)."""
    row = session.get(WebhookDelivery, delivery_id)
    if row is None or row.claimed_by != worker or row.status != "sending":
        return "lost"  # the lease ran out and another dispatcher took it over
    now = utc_now()
    row.claimed_by, row.lease_until, row.last_error = None, None, result.error[:200]
    if result.ok:
        row.status, row.sent_at = "sent", now
    elif row.attempts < MAX_ATTEMPTS and not result.final and row.key != TEST_KEY:
        row.status = "pending"
        row.next_at = now + timedelta(seconds=RETRY_DELAYS[row.attempts - 1] * get_settings().webhook_backoff)
    else:
        row.status = "failed"
        log.warning(
            "webhook delivery %s (webhook %s, event %s, case id %s) failed after %s attempts: %s",
            row.id,
            row.webhook_id,
            row.key,
            row.case_id,
            row.attempts,
            result.error,
        )
    session.add(row)
    if not result.ok and row.key != TEST_KEY and (row.status == "failed" or row.attempts >= STREAK_ATTEMPTS):
        tell_office_robot_failing(session, webhook_id=row.webhook_id)
    return row.status


def tell_office_robot_failing(session: Session, *, webhook_id: int) -> int:
    """Tell the robot's organisation (and the office that set it up) once per failing streak; returns how many new."""
    hook = session.get(OrgWebhook, webhook_id)
    if hook is None or not hook.active:
        return 0
    last_ok = session.exec(
        select(func.max(WebhookDelivery.sent_at)).where(
            WebhookDelivery.webhook_id == webhook_id, WebhookDelivery.status == "sent"
        )
    ).one()
    streak = last_ok.strftime("%Y%m%d%H%M%S%f") if last_ok else "never"
    org = session.get(Organisation, hook.org_id)
    setter = session.exec(select(User.org_id).where(User.id == hook.created_by)).first() if hook.created_by else None
    new = 0
    for org_id in dict.fromkeys(o for o in (hook.org_id, setter) if o is not None):
        new += insert_once(
            session,
            {
                "org_id": org_id,
                "case_id": None,
                "key": "notice.robot_failing",
                "params": {"org": org.name if org else ""},
                "created_at": utc_now(),
                "dedupe_key": f"robot-failing:{webhook_id}:{streak}:{org_id}",
            },
        )
    return new


def deliver_due(db: Database, *, worker: str | None = None, limit: int = 20) -> dict[str, int]:
    """One dispatcher pass: claim due rows, post each outside any transaction, record the outcomes."""
    worker = worker or f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    with db.write() as s:
        claimed = claim_due(s, worker=worker, limit=limit)
    counts: dict[str, int] = {}
    for delivery_id in claimed:
        with db.read() as s:
            msg = _message(s, delivery_id)
        result = (
            webhooks.post_message(msg[0], msg[1], timeout=get_settings().webhook_timeout)
            if msg
            else webhooks.SendResult(False, "disabled", final=True)
        )
        with db.write() as s:
            status = finish(s, delivery_id=delivery_id, worker=worker, result=result)
        counts[status] = counts.get(status, 0) + 1
    return counts


def deliver_until_idle(db: Database, *, max_passes: int = 50) -> dict[str, int]:
    """Passes until nothing is due now (for the cron command and tests)."""
    total: dict[str, int] = {}
    for _ in range(max_passes):
        counts = deliver_due(db)
        if not counts:
            break
        for k, v in counts.items():
            total[k] = total.get(k, 0) + v
    return total


class Dispatcher:
    """A daemon thread that delivers due rows every POLL_SECONDS (or at once after `wake()`), and runs
    `periodic` (the reminder and escalation jobs, `reminders.run_reminders`) every `every` seconds."""

    def __init__(
        self,
        db: Database,
        *,
        poll: float = POLL_SECONDS,
        periodic: Callable[[Database], object] | None = None,
        every: float = PERIODIC_SECONDS,
        first_after: float = 0.0,
    ) -> None:
        self.db, self.poll, self.periodic, self.every = db, poll, periodic, every
        # the first periodic run `first_after` seconds after the start (0: at the first pass)
        self._last_periodic: float | None = time.monotonic() - every + first_after if first_after else None
        self.worker = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._wake, self._stop = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._run, name="webhook-dispatcher", daemon=True)

    def start(self) -> Dispatcher:
        """Start the thread (once)."""
        if not self.thread.is_alive():
            self.thread.start()
        return self

    def wake(self) -> None:
        """Deliver now rather than at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        """Stop after the current pass."""
        self._stop.set()
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self.periodic is not None and (
                    self._last_periodic is None or time.monotonic() - self._last_periodic >= self.every
                ):
                    self._last_periodic = time.monotonic()
                    self.periodic(self.db)  # e.g. reminders and escalations; they enqueue robot messages themselves
                deliver_due(self.db, worker=self.worker)
            except Exception:  # the thread must survive a database hiccup; the next pass retries
                log.exception("webhook dispatcher pass failed")
            self._wake.wait(self.poll)
            self._wake.clear()
