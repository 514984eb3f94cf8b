"""Issue 23 fault 9: a robot out of reach for more than ~21 s lost its messages silently. Now they are resent over
hours by the background dispatcher, every message is in the robot's delivery log (sent, waiting, failed and why),
and the office is told in its inbox once per failing streak."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from sqlmodel import select

from models import Notification
from models.base import utc_now
from services.core.config import get_settings
from services.core.i18n import translate
from services.notify import inbox as notifications
from services.notify import outbox, robot_log, webhooks
from tests.services.notify.test_webhooks import SECRET, Robot, _world_with_robot


@pytest.fixture
def robot(monkeypatch: pytest.MonkeyPatch) -> Iterator[Robot]:
    monkeypatch.setenv("MEDIATION_WEBHOOK_ALLOW_LOCAL", "1")
    monkeypatch.setenv("MEDIATION_WEBHOOK_BACKOFF", "0")
    monkeypatch.setenv("MEDIATION_WEBHOOK_TIMEOUT", "2")
    get_settings.cache_clear()
    server = Robot()
    yield server
    server.close()


def _dead_url() -> str:
    with socket.socket() as sock:  # a port nobody listens on: the robot's host cannot be reached
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/cgi-bin/webhook/send?key={SECRET}"


def _log(db, w) -> list[tuple[str, int, str]]:
    with db.read() as s:
        rows = robot_log.delivery_log(s, actor=w.coordinator, org_id=w.orgs["v1"].id)
    return [(r.status, r.attempts, r.reason_key) for r in rows]


def test_unreachable_robot_message_is_resent_later_and_logged(db, robot, monkeypatch):
    monkeypatch.setenv("MEDIATION_WEBHOOK_BACKOFF", "1")  # the production schedule
    get_settings.cache_clear()
    w, case = _world_with_robot(db, _dead_url())
    with db.write() as s:
        notifications.notify_org(s, org_id=w.orgs["v1"].id, key="notify.handover_in", case_id=case.id)
    start = utc_now()
    assert outbox.deliver_due(db) == {"pending": 1}
    with time_machine.travel(start + timedelta(seconds=22), tick=False):  # it used to be failed for good by now
        assert outbox.deliver_due(db) == {}
    assert _log(db, w) == [("pending", 1, "webhooks.why_unreachable")]
    with db.read() as s:
        (row,) = robot_log.delivery_log(s, actor=w.coordinator, org_id=w.orgs["v1"].id)
    assert 55 <= (row.next_at - start).total_seconds() <= 65  # the next try a minute later …
    assert sum(outbox.RETRY_DELAYS) >= 8 * 3600 and outbox.RETRY_DELAYS[-1] >= 6 * 3600  # … the last ones hours on
    with db.write() as s:  # the office fixes the robot's address while the message waits
        webhooks.save_webhook(s, actor=w.coordinator, org_id=w.orgs["v1"].id, vendor="wecom", url=robot.url)
    with time_machine.travel(start + timedelta(minutes=2), tick=True):
        dispatcher = outbox.Dispatcher(db, poll=0.05).start()  # the background dispatcher picks the retry up
        try:
            deadline = time.monotonic() + 20
            while not robot.bodies and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            dispatcher.stop()
            dispatcher.thread.join(10)
    assert len(robot.bodies) == 1 and case.case_no in robot.bodies[0]["text"]["content"]
    assert _log(db, w) == [("sent", 2, "")]


def _failing_notices(db) -> list[int]:
    with db.read() as s:
        return sorted(n.org_id for n in s.exec(select(Notification).where(Notification.key == "notice.robot_failing")))


def test_office_is_told_once_when_a_robot_keeps_failing(db, robot):
    robot.mode = "fail"
    w, case = _world_with_robot(db, robot.url)  # set up by the coordination office for the village
    v1, office = w.orgs["v1"].id, w.orgs["coord"].id
    with db.write() as s:
        for key in ("notify.handover_in", "notify.reopened", "notify.assigned"):
            notifications.notify_org(s, org_id=v1, key=key, case_id=case.id)
    assert outbox.deliver_until_idle(db) == {"pending": 3 * (outbox.MAX_ATTEMPTS - 1), "failed": 3}
    assert _failing_notices(db) == sorted([v1, office])  # three failed messages, one notice each
    assert [s for s, _, _ in _log(db, w)] == ["failed"] * 3
    with db.read() as s:
        (notice,) = notifications.list_notifications(s, actor=w.coordinator)
    text = translate(notice.key, "zh-CN", **notice.params)
    assert "东村调委会" in text and "群机器人" in text and not re.search(r"[A-Za-z]", text)

    robot.mode = "ok"  # the robot works again: the streak ends …
    with db.write() as s:
        notifications.notify_org(s, org_id=v1, key="notify.handover_in", case_id=case.id)
    assert outbox.deliver_until_idle(db) == {"sent": 1}
    robot.mode = "fail"  # … and a new one is told once more
    with db.write() as s:
        notifications.notify_org(s, org_id=v1, key="notify.reopened", case_id=case.id)
    outbox.deliver_until_idle(db)
    assert _failing_notices(db) == sorted([v1, v1, office, office])


def test_send_a_test_message_and_log_it(db, robot):
    w, _ = _world_with_robot(db, robot.url)
    row = robot_log.send_test(db, actor=w.coordinator, org_id=w.orgs["v1"].id)
    assert (row.status, row.event_key) == ("sent", "webhooks.test_event")
    assert "测试消息" in robot.bodies[0]["text"]["content"] and "调解" in robot.bodies[0]["text"]["content"]
    robot.mode = "fail"
    failed = robot_log.send_test(db, actor=w.coordinator, org_id=w.orgs["v1"].id)
    assert (failed.status, failed.reason_key, failed.reason_params) == ("failed", "webhooks.why_http", {"code": "500"})
    assert outbox.deliver_until_idle(db) == {}  # a test message is never retried …
    assert _failing_notices(db) == []  # … nor reported: the person is looking at the answer
