"""The group-robot settings page: the office saves a webhook (shown masked); a bad address is refused clearly."""

from __future__ import annotations

import pytest
from sqlmodel import select

from models import OrgWebhook, User
from tests.case_factories import make_world
from tests.pages.conftest import page_text

KEY = "0123456789abcdef-secret"


def test_save_webhook_shows_it_masked(db, make_app):
    w = make_world(db)
    v1 = w.orgs["v1"].id
    with db.read() as s:
        user = s.exec(select(User).where(User.id == w.coordinator.user_id)).one()
    at = make_app(user=user)
    at.run()
    at.switch_page("pages/staff/webhooks.py").run()
    assert not at.exception
    at.selectbox(key="webhooks.org").set_value(v1).run()
    at.text_input(key="webhooks.url").input("http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x")
    at.button(key="webhooks.save").click().run()
    assert "https://" in page_text(at)  # the refusal says what is wanted
    with db.read() as s:
        assert s.exec(select(OrgWebhook)).all() == []
    at.text_input(key="webhooks.url").input(f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}")
    at.button(key="webhooks.save").click().run()
    assert not at.exception
    text = page_text(at)
    assert "已启用企业微信群机器人" in text and "qyapi.weixin.qq.com" in text and KEY not in text
    with db.read() as s:
        assert [(h.org_id, h.active) for h in s.exec(select(OrgWebhook)).all()] == [(v1, True)]
    at.button(key="webhooks.disable").click().run()
    assert "尚未设置群机器人" in page_text(at)


def test_webhooks_page_refuses_a_mediator(db, make_app):
    w = make_world(db)
    with db.read() as s:
        user = s.exec(select(User).where(User.id == w.mediator.user_id)).one()
    at = make_app(user=user)
    at.run()
    with pytest.raises(ValueError):  # the page is not even registered for this role
        at.switch_page("pages/staff/webhooks.py")
