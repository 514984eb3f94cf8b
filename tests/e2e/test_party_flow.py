"""A party on their own phone (390×844): staff issue a personal link, the party opens it, wrong digits are
refused and repeated failures lock the link, the right digits open the agreement, the party confirms, the
case timeline shows it; a new agreement version asks again; a withdrawn link shows a clear message only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, update
from sqlmodel import col, select

from models import Agreement, Case, Party, PartyLink, User
from models.base import utc_now
from scripts.screenshots import DEMO_PASSWORD, PHONE_CONTEXT, LiveServer, sign_in, wait_for_app
from services.access.accounts import load_actor
from services.cases import party_links
from services.core.db import make_database
from services.core.security import normalise_phone, token_digest

Shot = Callable[[Page, str], Path]


def _pick_case(db) -> tuple[int, str, int, str]:  # type: ignore[no-untyped-def]
    """A case of the demo mediator's organisation with an agreement and a party with a phone."""
    with db.read() as s:
        user = s.exec(select(User).where(User.username == "mediator")).one()
        latest = select(Agreement.case_id, func.max(Agreement.version).label("v")).group_by(Agreement.case_id)
        for case in s.exec(
            select(Case)
            .where(Case.org_id == user.org_id, col(Case.id).in_(select(latest.subquery().c.case_id)))
            .order_by(col(Case.id))
        ).all():
            parties = s.exec(select(Party).where(Party.case_id == case.id).order_by(col(Party.id))).all()
            if len(parties) >= 2 and all(len(normalise_phone(p.phone)) == 11 for p in parties):
                return case.id or 0, case.case_no, parties[0].id or 0, normalise_phone(parties[0].phone)
    raise AssertionError("no demo case with an agreement and parties with phones")


def _digits(page: Page, digits: str) -> None:
    page.get_by_label("手机号码后四位").fill(digits)
    page.get_by_role("button", name="打开").click()
    wait_for_app(page)


def test_party_confirms_on_phone(browser: Browser, live_server: LiveServer, shot: Shot) -> None:
    db = make_database(live_server.db_url)
    try:
        case_id, case_no, party_id, phone = _pick_case(db)
        # staff issue the link on their phone
        staff_ctx = browser.new_context(**PHONE_CONTEXT)
        staff = staff_ctx.new_page()
        sign_in(staff, live_server.url, "mediator", DEMO_PASSWORD, f"/party-links?case={case_id}")
        staff.goto(f"{live_server.url}/party-links?case={case_id}")
        wait_for_app(staff)
        expect(staff.get_by_text(case_no).first).to_be_visible()
        staff.get_by_role("button", name="生成链接").click()
        wait_for_app(staff)
        code = staff.get_by_test_id("stCode").first
        expect(code).to_be_visible(timeout=30_000)
        url = code.inner_text().strip()
        assert "/party?t=" in url and "case" not in url and phone not in url  # only the token in the URL
        shot(staff, "party_links_staff")
        # the party issues nothing but the link; the first link of the form belongs to the first party (the
        # select's default), so the right digits are that party's
        token = url.split("t=", 1)[1]
        with db.read() as s:
            link = s.exec(select(PartyLink).where(PartyLink.token_hash == token_digest(token))).one()
        assert link.party_id == party_id

        party_ctx = browser.new_context(**PHONE_CONTEXT)
        party = party_ctx.new_page()
        party.goto(url.replace(url.split("/party", 1)[0], live_server.url))
        wait_for_app(party)
        expect(party.get_by_label("手机号码后四位")).to_be_visible()
        assert party.get_by_text(case_no).count() == 0
        shot(party, "party_page_digits")
        wrong = "0000" if not phone.endswith("0000") else "1111"
        _digits(party, wrong)
        expect(party.get_by_text("手机号后四位不正确，还可以尝试 4 次。")).to_be_visible()
        assert party.get_by_text(case_no).count() == 0
        shot(party, "party_page_wrong_digits")
        for _ in range(4):
            _digits(party, wrong)
        expect(party.get_by_text("链接已暂时锁定", exact=False)).to_be_visible()
        shot(party, "party_page_locked")
        _digits(party, phone[-4:])  # still locked, even with the right digits
        expect(party.get_by_text("链接已暂时锁定", exact=False)).to_be_visible()
        assert party.get_by_text(case_no).count() == 0
        with db.write() as s:  # the lock's half hour passes
            s.execute(
                update(PartyLink)
                .where(col(PartyLink.id) == link.id)
                .values(locked_until=utc_now() - timedelta(minutes=1))
            )
        party.reload()
        wait_for_app(party)
        _digits(party, phone[-4:])
        expect(party.get_by_text(case_no)).to_be_visible()
        expect(party.get_by_text("本人", exact=False).first).to_be_visible()
        shot(party, "party_page_agreement")
        party.get_by_role("button", name="我已阅读并确认协议").click()
        wait_for_app(party)
        expect(party.get_by_text("您已于", exact=False)).to_be_visible()
        shot(party, "party_page_confirmed")

        # the case timeline shows it
        staff.goto(f"{live_server.url}/case?case={case_id}")
        wait_for_app(staff)
        expect(staff.get_by_text("当事人通过个人链接确认调解协议", exact=False).first).to_be_visible(timeout=30_000)

        # a new agreement version (as services/cases/outcomes.py writes one) asks again
        with db.write() as s:
            old = s.exec(
                select(Agreement).where(Agreement.case_id == case_id).order_by(col(Agreement.version).desc())
            ).first()
            s.add(
                Agreement(
                    case_id=case_id,
                    version=old.version + 1,
                    kind=old.kind,
                    terms=old.terms + "（修改）",
                    amount_fen=old.amount_fen,
                    obligations=old.obligations,
                )
            )
        party.get_by_role("button", name="刷新").click()
        wait_for_app(party)
        expect(party.get_by_role("button", name="我已阅读并确认协议")).to_be_visible()
        assert party.get_by_text("您已于", exact=False).count() == 0

        # a withdrawn link: a clear message and nothing of the case
        with db.write() as s:
            actor = load_actor(s, s.exec(select(User.id).where(User.username == "mediator")).one())
            party_links.revoke_link(s, actor=actor, link_id=link.id or 0)
        fresh = party_ctx.new_page()
        fresh.goto(url.replace(url.split("/party", 1)[0], live_server.url))
        wait_for_app(fresh)
        expect(fresh.get_by_text("该链接已被调解组织收回", exact=False)).to_be_visible()
        assert fresh.get_by_text(case_no).count() == 0 and fresh.get_by_label("手机号码后四位").count() == 0
        shot(fresh, "party_page_revoked")
        staff_ctx.close()
        party_ctx.close()
    finally:
        db.dispose()
