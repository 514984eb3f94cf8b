"""The inbox on a phone (390×844): unread count in the menu, messages with the case number, mark all read;
and the running app's own dispatcher thread posting a group-robot message to a local server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlmodel import col, select

from models import Case, OrgWebhook, User
from scripts.screenshots import DEMO_PASSWORD, LiveServer, sign_in, wait_for_app
from services.core.db import make_database
from services.notify import inbox as notifications
from services.notify.reminders import run_reminders

Shot = Callable[[Page, str], Path]


def _seed(server: LiveServer, robot_url: str) -> tuple[str, int]:
    db = make_database(server.db_url)
    try:
        # today's reminders and overdue escalations first, so the background dispatcher's pass adds none after these
        run_reminders(db)
        with db.write() as s:
            user = s.exec(select(User).where(User.username == "mediator")).one()
            case = s.exec(select(Case).where(Case.org_id == user.org_id).order_by(col(Case.id).desc())).first()
            notifications.mark_all_read(s, actor=_actor(s, user.id))
            s.add(OrgWebhook(org_id=user.org_id, vendor="wecom", url=robot_url))
            s.flush()
            notifications.notify_org(
                s, org_id=user.org_id, key="notify.handover_in", case_id=case.id, params={"case_no": case.case_no}
            )
            notifications.notify_user(
                s, user_id=user.id, key="notify.assigned", case_id=case.id, params={"case_no": case.case_no}
            )
            return case.case_no, case.id
    finally:
        db.dispose()


def _actor(s, user_id):  # type: ignore[no-untyped-def]
    from services.access.accounts import load_actor

    return load_actor(s, user_id)


def _robot() -> tuple[ThreadingHTTPServer, list[dict]]:
    bodies: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"errcode":0}')

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, bodies


def test_inbox_on_a_phone_and_robot_message(page: Page, live_server: LiveServer, shot: Shot) -> None:
    robot, bodies = _robot()
    try:
        case_no, case_id = _seed(live_server, f"http://127.0.0.1:{robot.server_address[1]}/send?key=k")
        page.goto(live_server.url)  # a just-started server may answer its very first page with home
        wait_for_app(page)
        sign_in(page, live_server.url, "mediator", DEMO_PASSWORD, "/inbox")
        expect(page.get_by_text(f"案件已分派给您：{case_no}")).to_be_visible()
        expect(page.get_by_role("button", name=f"案件 {case_no}").first).to_be_visible()
        shot(page, "inbox-phone")
        page.get_by_test_id("stExpandSidebarButton").click()
        expect(page.get_by_test_id("stSidebarNav").get_by_text("消息 (2)")).to_be_visible()
        shot(page, "inbox-phone-menu")
        page.get_by_test_id("stSidebarCollapseButton").click()
        expect(page.get_by_test_id("stSidebar")).to_have_attribute("data-collapsed", "true")
        page.get_by_role("button", name="全部标为已读").click()
        expect(page.get_by_text("已将 2 条消息标为已读")).to_be_visible()
        wait_for_app(page)
        assert page.get_by_test_id("stException").count() == 0
        deadline = time.monotonic() + 15  # the app's dispatcher thread polls every 2 s
        while not bodies and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(bodies) == 1
        content = bodies[0]["text"]["content"]
        assert case_no in content and f"/case?case={case_id}" in content
    finally:
        robot.shutdown()
        robot.server_close()


def test_webhooks_page_on_a_phone(browser, live_server: LiveServer, shot: Shot) -> None:
    from scripts.screenshots import PHONE_CONTEXT

    context = browser.new_context(**PHONE_CONTEXT)
    page = context.new_page()
    try:
        page.goto(live_server.url)
        wait_for_app(page)
        # signed in at the workbench: /webhooks has a password-type field itself (the robot address holds a key),
        # which sign_in() would take for the sign-in form still being shown
        sign_in(page, live_server.url, "coordinator", DEMO_PASSWORD)
        page.goto(live_server.url + "/webhooks")
        wait_for_app(page)
        expect(page.get_by_role("heading", name="群机器人")).to_be_visible()
        page.get_by_placeholder("https://").fill("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=e2e-secret-9876")
        page.get_by_test_id("stFormSubmitButton").locator("button").click()
        expect(page.get_by_text("已启用企业微信群机器人")).to_be_visible(timeout=30_000)
        wait_for_app(page)
        assert page.get_by_text("e2e-secret-9876").count() == 0  # shown masked
        expect(page.get_by_text("…9876")).to_be_visible()
        shot(page, "webhooks-phone")
    finally:
        context.close()
