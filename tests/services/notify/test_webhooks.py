"""Group-robot webhooks against a local HTTP server: once per event, no personal data, retries, never blocking."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlmodel import select

from models import WebhookDelivery
from services.cases import warnings
from services.cases.create import PartyInput
from services.core.config import get_settings
from services.core.errors import PermissionDenied, ValidationFailed
from services.notify import inbox as notifications
from services.notify import outbox, webhooks
from tests.case_factories import accepted_case, make_world

NAME, PHONE, ID_NO, ADDRESS = "金丝雀", "13912345678", "11010519491231002X", "幸福路88号"
SECRET = "robot-secret-key-1234"


class Robot:
    """A local robot endpoint: records every JSON body; answers per `mode` (ok / fail / hang / fail_once)."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.mode = "ok"
        self.release = threading.Event()
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                robot.bodies.append(body)
                if robot.mode == "hang":
                    robot.release.wait(10)
                failing = robot.mode == "fail" or (robot.mode == "fail_once" and len(robot.bodies) == 1)
                self.send_response(500 if failing else 200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"errcode":0,"errmsg":"ok"}')

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/cgi-bin/webhook/send?key={SECRET}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def robot(monkeypatch: pytest.MonkeyPatch) -> Iterator[Robot]:
    monkeypatch.setenv("MEDIATION_WEBHOOK_ALLOW_LOCAL", "1")
    monkeypatch.setenv("MEDIATION_WEBHOOK_BACKOFF", "0")
    monkeypatch.setenv("MEDIATION_WEBHOOK_TIMEOUT", "2")
    get_settings.cache_clear()
    server = Robot()
    yield server
    server.close()


def _world_with_robot(db, url: str, org: str = "v1"):
    w = make_world(db)
    parties = [
        PartyInput(side="applicant", name=NAME, phone=PHONE, id_number=ID_NO, address=ADDRESS),
        PartyInput(side="respondent", name="李四", phone="13700000001"),
    ]
    case = accepted_case(db, w.mediator, parties=parties)
    with db.write() as s:
        webhooks.save_webhook(s, actor=w.coordinator, org_id=w.orgs[org].id, vendor="wecom", url=url)
    return w, case


def _statuses(db) -> list[tuple[str, int]]:
    with db.read() as s:
        return [(d.status, d.attempts) for d in s.exec(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()]


def test_send_one_message_per_event_without_personal_data(db, robot):
    w, case = _world_with_robot(db, robot.url)
    canary = {"case_no": case.case_no, "name": NAME, "phone": PHONE, "id": ID_NO, "place": ADDRESS}
    with db.write() as s:  # the same once-only event twice, and one plain event
        notifications.notify_org(
            s, org_id=w.orgs["v1"].id, key="notify.reopened", case_id=case.id, params=canary, dedupe_key="reopen:1"
        )
        notifications.notify_org(
            s, org_id=w.orgs["v1"].id, key="notify.reopened", case_id=case.id, params=canary, dedupe_key="reopen:1"
        )
        notifications.notify_org(s, org_id=w.orgs["v1"].id, key="notify.handover_in", case_id=case.id, params=canary)
    assert outbox.deliver_until_idle(db) == {"sent": 2}
    assert outbox.deliver_until_idle(db) == {}
    assert len(robot.bodies) == 2
    for body in robot.bodies:
        assert body["msgtype"] == "text" and set(body) == {"msgtype", "text"}
        content = body["text"]["content"]
        assert case.case_no in content and f"/case?case={case.id}" in content
        for secret in (NAME, PHONE, ID_NO, ADDRESS, "李四", "13700000001"):
            assert secret not in content
    assert ["协议未履行" in b["text"]["content"] for b in robot.bodies] == [True, False]


def test_send_warning_once_to_the_coordination_office(db, robot):
    w, case = _world_with_robot(db, robot.url, org="coord")
    for _ in range(2):  # the same flag again raises nothing new
        with db.write() as s:
            warnings.flag_case(s, actor=w.mediator, case_id=case.id, flags=["violence"])
    outbox.deliver_until_idle(db)
    assert [b["text"]["content"].splitlines()[0] for b in robot.bodies] == ["【调解联动平台】预警案件"]


def test_retry_failing_server_then_log_failed(db, robot, caplog):
    robot.mode = "fail"
    w, case = _world_with_robot(db, robot.url)
    with db.write() as s:
        notifications.notify_org(
            s,
            org_id=w.orgs["v1"].id,
            key="notify.handover_in",
            case_id=case.id,
            params={"case_no": case.case_no, "name": NAME},
        )
    with caplog.at_level(logging.WARNING, logger="mediation.webhooks"):
        assert outbox.deliver_until_idle(db) == {"pending": outbox.MAX_ATTEMPTS - 1, "failed": 1}
    assert len(robot.bodies) == outbox.MAX_ATTEMPTS
    assert _statuses(db) == [("failed", outbox.MAX_ATTEMPTS)]
    logged = caplog.text
    assert f"failed after {outbox.MAX_ATTEMPTS} attempts" in logged and "http 500" in logged
    assert NAME not in logged and SECRET not in logged and case.case_no not in logged


def test_retry_refused_connection_then_fail(db, robot):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    w, case = _world_with_robot(db, f"http://127.0.0.1:{port}/robot?key={SECRET}")
    with db.write() as s:
        notifications.notify_org(s, org_id=w.orgs["v1"].id, key="notify.handover_in", case_id=case.id)
    outbox.deliver_until_idle(db)
    with db.read() as s:
        row = s.exec(select(WebhookDelivery)).one()
    assert (row.status, row.attempts, row.last_error) == ("failed", outbox.MAX_ATTEMPTS, "ConnectionRefusedError")


def test_retry_succeeds_after_one_failure(db, robot):
    robot.mode = "fail_once"
    w, case = _world_with_robot(db, robot.url)
    with db.write() as s:
        notifications.notify_org(s, org_id=w.orgs["v1"].id, key="notify.handover_in", case_id=case.id)
    outbox.deliver_until_idle(db)
    assert len(robot.bodies) == 2 and _statuses(db) == [("sent", 2)]


def test_backoff_waits_before_the_next_attempt(db, robot, monkeypatch):
    monkeypatch.setenv("MEDIATION_WEBHOOK_BACKOFF", "1")  # production delays: 1 min before the second attempt
    get_settings.cache_clear()
    robot.mode = "fail"
    w, case = _world_with_robot(db, robot.url)
    with db.write() as s:
        notifications.notify_org(s, org_id=w.orgs["v1"].id, key="notify.handover_in", case_id=case.id)
    assert outbox.deliver_due(db) == {"pending": 1}
    assert outbox.deliver_due(db) == {}  # not due yet
    assert len(robot.bodies) == 1


def test_claim_due_is_exclusive_between_dispatchers(db, robot):
    w, case = _world_with_robot(db, robot.url)
    with db.write() as s:
        notifications.notify_org(s, org_id=w.orgs["v1"].id, key="notify.handover_in", case_id=case.id)
    with db.write() as s:
        first = outbox.claim_due(s, worker="a")
    with db.write() as s:
        second = outbox.claim_due(s, worker="b")
    assert len(first) == 1 and second == []
    with db.write() as s:  # a's lease runs out (a crashed): b takes the row over, a's late result is dropped
        row = s.get(WebhookDelivery, first[0])
        row.lease_until = row.next_at
        s.add(row)
    with db.write() as s:
        assert outbox.claim_due(s, worker="b") == first
    with db.write() as s:
        assert outbox.finish(s, delivery_id=first[0], worker="a", result=webhooks.SendResult(True, "")) == "lost"
        assert outbox.finish(s, delivery_id=first[0], worker="b", result=webhooks.SendResult(True, "")) == "sent"


def test_notify_returns_immediately_while_server_hangs(db, robot):
    robot.mode = "hang"
    w, case = _world_with_robot(db, robot.url)
    dispatcher = outbox.Dispatcher(db, poll=0.05).start()
    try:
        with db.write() as s:
            notifications.notify_org(s, org_id=w.orgs["v1"].id, key="notify.handover_in", case_id=case.id)
        deadline = time.monotonic() + 5
        while not robot.bodies and time.monotonic() < deadline:  # the dispatcher is now stuck in the post
            time.sleep(0.02)
        assert robot.bodies
        started = time.perf_counter()
        with db.write() as s:  # the user's next action, while the robot hangs
            warnings.flag_case(s, actor=w.mediator, case_id=case.id, flags=["violence"])
            notifications.notify_org(s, org_id=w.orgs["v1"].id, key="notify.reopened", case_id=case.id)
        elapsed = time.perf_counter() - started
        assert elapsed < 0.5, elapsed
    finally:
        robot.release.set()
        dispatcher.stop()
        dispatcher.thread.join(5)


def test_validate_url_https_vendor_host_and_local_http(monkeypatch):
    ok = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"
    assert webhooks.validate_url("wecom", ok) == ok
    assert webhooks.validate_url("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=x")
    for vendor, url, key in (
        ("wecom", "http://qyapi.weixin.qq.com/x", "error.webhook_https"),
        ("wecom", "https://evil.example.com/x", "error.webhook_host"),
        ("dingtalk", ok, "error.webhook_host"),
        ("wecom", "http://127.0.0.1:9/x", "error.webhook_https"),
        ("slack", ok, "error.webhook_vendor"),
        ("wecom", "not a url", "error.webhook_url"),
    ):
        with pytest.raises(ValidationFailed) as err:
            webhooks.validate_url(vendor, url)
        assert err.value.key == key, url
    monkeypatch.setenv("MEDIATION_WEBHOOK_ALLOW_LOCAL", "1")
    get_settings.cache_clear()
    assert webhooks.validate_url("wecom", "http://127.0.0.1:9/x")
    with pytest.raises(ValidationFailed):
        webhooks.validate_url("wecom", "http://10.0.0.1/x")
    masked = webhooks.mask_url(ok + "defghijklmnop")
    assert "abcdefghi" not in masked and masked.endswith("mnop")


def test_save_webhook_needs_the_office_and_shows_it_masked(db, robot):
    w, _ = _world_with_robot(db, robot.url)
    with pytest.raises(PermissionDenied), db.write() as s:
        webhooks.save_webhook(s, actor=w.mediator, org_id=w.orgs["v1"].id, vendor="wecom", url=robot.url)
    with db.read() as s:
        view = webhooks.get_webhook(s, actor=w.coordinator, org_id=w.orgs["v1"].id)
        listed = {o.org_id: o.webhook for o in webhooks.list_webhook_orgs(s, actor=w.coordinator)}
    assert view is not None and SECRET not in view.masked_url and listed[w.orgs["v1"].id] == view
    with db.write() as s:
        assert webhooks.disable_webhook(s, actor=w.coordinator, org_id=w.orgs["v1"].id) is True
    w_case = accepted_case(db, w.mediator)
    with db.write() as s:  # a switched-off robot gets nothing
        notifications.notify_org(s, org_id=w.orgs["v1"].id, key="notify.handover_in", case_id=w_case.id)
    assert outbox.deliver_until_idle(db) == {} and robot.bodies == []


def test_send_one_message_for_an_intake_seen_by_many(db, robot):
    from models import Case
    from services.intake import pipeline as intake
    from tests.factories import make_actor

    w, case = _world_with_robot(db, robot.url)
    with db.write() as s:
        make_actor(s, w.orgs["v1"], ["mediator"])  # a second person who works the intake queue
        assert intake.notify_staff(s, case=s.get(Case, case.id), key="notify.intake_new") == 2
    outbox.deliver_until_idle(db)
    assert len(robot.bodies) == 1 and "新的扫码申请" in robot.bodies[0]["text"]["content"]


def test_claim_due_from_two_app_instances_never_overlaps(db, robot):
    from services.core.db import make_database

    w, case = _world_with_robot(db, robot.url)
    with db.write() as s:
        for _ in range(30):
            notifications.notify_org(s, org_id=w.orgs["v1"].id, key="notify.handover_in", case_id=case.id)
    instances = [make_database(db.url), make_database(db.url)]  # two processes' own engines and locks
    taken: dict[str, list[int]] = {"a": [], "b": []}

    def run(name: str) -> None:
        inst = instances[0] if name == "a" else instances[1]
        while True:
            with inst.write() as s:
                got = outbox.claim_due(s, worker=name, limit=3)
            if not got:
                return
            taken[name] += got

    threads = [threading.Thread(target=run, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    for inst in instances:
        inst.dispose()
    assert set(taken["a"]).isdisjoint(taken["b"])
    assert len(taken["a"]) + len(taken["b"]) == 30


def test_dispatcher_runs_the_periodic_jobs(db):
    ran = threading.Event()
    dispatcher = outbox.Dispatcher(db, poll=0.05, periodic=lambda _db: ran.set()).start()
    try:
        assert ran.wait(5)
    finally:
        dispatcher.stop()
        dispatcher.thread.join(5)
    assert not dispatcher.thread.is_alive()


def test_skip_queued_messages_of_a_robot_switched_off(db, robot):
    w, case = _world_with_robot(db, robot.url)
    with db.write() as s:
        notifications.notify_org(s, org_id=w.orgs["v1"].id, key="notify.handover_in", case_id=case.id)
        webhooks.disable_webhook(s, actor=w.coordinator, org_id=w.orgs["v1"].id)
    assert outbox.deliver_until_idle(db) == {"failed": 1}
    assert robot.bodies == [] and _statuses(db) == [("failed", 1)]
