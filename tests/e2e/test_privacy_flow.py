"""Correcting a party on a phone (390×844): the mediator opens a case, corrects the applicant's phone in
"更正当事人信息", sees the success message and the new number masked; the server log never holds it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Browser, Page, expect
from sqlmodel import col, select

from models import Case, Party, User
from scripts.screenshots import DEMO_PASSWORD, PHONE_CONTEXT, LiveServer, sign_in, wait_for_app
from services.core.db import make_database

Shot = Callable[[Page, str], Path]
NEW_PHONE = "13799887766"


def test_mediator_corrects_a_party_on_phone(browser: Browser, live_server: LiveServer, shot: Shot) -> None:
    db = make_database(live_server.db_url)
    try:
        with db.read() as s:
            user = s.exec(select(User).where(User.username == "mediator")).one()
            case = (
                s.exec(
                    select(Case)
                    .where(Case.org_id == user.org_id, col(Case.status) == "in_mediation")
                    .order_by(col(Case.id))
                ).first()
                or s.exec(select(Case).where(Case.org_id == user.org_id).order_by(col(Case.id))).first()
            )
            assert case is not None
            party = s.exec(select(Party).where(Party.case_id == case.id).order_by(col(Party.id))).first()
        ctx = browser.new_context(**PHONE_CONTEXT)
        page = ctx.new_page()
        sign_in(page, live_server.url, "mediator", DEMO_PASSWORD, "/login")
        page.goto(f"{live_server.url}/case?case={case.id}")
        wait_for_app(page)
        page.get_by_text("更正当事人信息").click()
        page.get_by_label("新手机号（留空则不变）").fill(NEW_PHONE)
        shot(page, "privacy-correct-form")
        page.get_by_role("button", name="保存更正").click()
        wait_for_app(page)
        # the new number, masked, is the lasting sign (the "已更正" flash lives for one rerun only, and a busy
        # machine may run another before the check)
        expect(page.get_by_text("137****7766").first).to_be_visible(timeout=60_000)
        assert NEW_PHONE not in page.content()  # masked on the page, and the form was cleared
        shot(page, "privacy-corrected")
        ctx.close()
        with db.read() as s:
            assert s.get(Party, party.id).phone == NEW_PHONE
        assert NEW_PHONE not in live_server.log_path.read_text(errors="replace")
    finally:
        db.dispose()
