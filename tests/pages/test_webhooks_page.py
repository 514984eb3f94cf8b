"""The group-robot settings page: the office saves a webhook (shown masked); a bad address is refused clearly."""

from __future__ import annotations

import pytest
from sqlmodel import select

from models import OrgWebhook, User, WebhookDelivery
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


def test_robot_page_sends_a_test_message_and_shows_the_log_in_china_time(db, make_app, monkeypatch):
    from services.core.clock import format_local
    from services.core.config import get_settings
    from services.notify import inbox as notifications
    from services.notify import outbox, webhooks
    from tests.case_factories import accepted_case
    from tests.services.notify.test_webhooks import Robot

    monkeypatch.setenv("MEDIATION_WEBHOOK_ALLOW_LOCAL", "1")
    monkeypatch.setenv("MEDIATION_WEBHOOK_BACKOFF", "1")
    monkeypatch.setenv("MEDIATION_WEBHOOK_TIMEOUT", "5")
    get_settings.cache_clear()
    robot = Robot()
    try:
        robot.mode = "fail"
        w = make_world(db)
        v1 = w.orgs["v1"].id
        case = accepted_case(db, w.mediator)
        with db.write() as s:
            webhooks.save_webhook(s, actor=w.coordinator, org_id=v1, vendor="wecom", url=robot.url)
            notifications.notify_org(s, org_id=v1, key="notify.handover_in", case_id=case.id)
        assert outbox.deliver_due(db) == {"pending": 1}  # the robot answered 500: a retry in a minute
        with db.read() as s:
            queued = s.exec(select(WebhookDelivery)).one()
            user = s.exec(select(User).where(User.id == w.coordinator.user_id)).one()
        at = make_app(user=user)
        at.run()
        at.switch_page("pages/staff/webhooks.py").run()
        at.selectbox(key="webhooks.org").set_value(v1).run()
        assert not at.exception
        log = at.dataframe[0].value
        first = log.iloc[0].to_dict()
        assert first == {
            "产生时间": format_local(queued.created_at),
            "事件": "有新的移交案件待接收",
            "案件编号": case.case_no,
            "状态": "等待重试",
            "尝试次数": 1,
            "失败原因": "机器人服务返回错误（HTTP 500）",
            "发送 / 重试时间": f"{format_local(queued.next_at)} 重试",
        }
        robot.mode = "ok"
        at.button(key="webhooks.test").click().run()
        assert not at.exception
        assert "测试消息已发送" in page_text(at) and "测试消息" in robot.bodies[-1]["text"]["content"]
        log = at.dataframe[0].value
        assert list(log["事件"]) == ["测试消息", "有新的移交案件待接收"]
        assert list(log["状态"]) == ["已发送", "等待重试"]
    finally:
        robot.close()
