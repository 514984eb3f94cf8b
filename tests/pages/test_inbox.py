"""The inbox page: unread count, newest first, mark one read, mark all read, open the case."""

from __future__ import annotations

from sqlmodel import select

from models import User
from services.notify import inbox as notifications
from tests.case_factories import accepted_case, make_world
from tests.pages.conftest import page_text


def _setup(db):
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    with db.write() as s:
        notifications.notify_org(
            s, org_id=w.orgs["v1"].id, key="notify.handover_in", case_id=case.id, params={"case_no": case.case_no}
        )
        notifications.notify_user(
            s, user_id=w.mediator.user_id, key="notify.assigned", case_id=case.id, params={"case_no": case.case_no}
        )
        notifications.notify_org(
            s, org_id=w.orgs["v2"].id, key="notify.reopened", case_id=case.id, params={"case_no": "FOREIGN-1"}
        )
        user = s.exec(select(User).where(User.id == w.mediator.user_id)).one()
    return w, case, user


def test_show_unread_count_and_mark_read(db, make_app):
    w, case, user = _setup(db)
    at = make_app(user=user)
    at.run()
    at.switch_page("pages/staff/inbox.py").run()
    assert not at.exception
    assert [m.value for m in at.metric] == ["2"]
    text = page_text(at)
    assert f"案件已分派给您：{case.case_no}" in text and f"有新的移交案件待接收：{case.case_no}" in text
    assert text.index("案件已分派给您") < text.index("有新的移交案件待接收")  # newest first
    assert "FOREIGN-1" not in text
    assert at.button(key=f"inbox.open.{_ids(db, w)[0]}").label == f"案件 {case.case_no}"
    at.button(key=f"inbox.read.{_ids(db, w)[0]}").click().run()
    assert [m.value for m in at.metric] == ["1"]
    at.button(key="inbox.mark_all").click().run()
    assert not at.exception
    assert [m.value for m in at.metric] == ["0"]
    assert "没有未读消息" in page_text(at) and "已将 1 条消息标为已读" in page_text(at)
    at.segmented_control(key="inbox.view").set_value("all").run()
    assert page_text(at).count("已读 · ") == 2


def test_open_case_marks_read_and_goes_to_the_case(db, make_app):
    w, case, user = _setup(db)
    at = make_app(user=user)
    at.run()
    at.switch_page("pages/staff/inbox.py").run()
    at.button(key=f"inbox.open.{_ids(db, w)[0]}").click().run()
    assert not at.exception
    assert case.case_no in page_text(at)  # the case page
    with db.read() as s:
        assert notifications.count_unread(s, actor=w.mediator) == 1


def test_show_inbox_in_english(db, make_app):
    _, _, user = _setup(db)
    at = make_app(user=user, lang="en")
    at.run()
    at.switch_page("pages/staff/inbox.py").run()
    assert "A case was assigned to you" in page_text(at) and "inbox." not in page_text(at)


def _ids(db, w) -> list[int]:
    with db.read() as s:
        return [n.id for n in notifications.list_notifications(s, actor=w.mediator)]


def test_unread_count_is_the_same_everywhere(db, make_app, monkeypatch):
    """Issue 23: the workbench said 新提醒（10） (the ten it listed) while the menu said 115."""
    import streamlit as st

    w, case, user = _setup(db)
    with db.write() as s:  # 2 + 13 = 15 unread: more than the workbench lists
        for i in range(13):
            notifications.notify_org(
                s, org_id=w.orgs["v1"].id, key="notify.reopened", case_id=case.id, params={"case_no": f"X-{i}"}
            )
    titles: list[str] = []
    real = st.navigation

    def spy(pages, *args, **kwargs):  # type: ignore[no-untyped-def]
        titles.extend(p.title for section in pages.values() for p in section)
        return real(pages, *args, **kwargs)

    monkeypatch.setattr(st, "navigation", spy)
    at = make_app(user=user)
    at.run()
    at.switch_page("pages/staff/workbench.py").run()
    assert not at.exception
    assert "消息 (15)" in titles
    assert [e.label for e in at.expander if e.label.startswith("新提醒")] == ["新提醒（15）"]
    at.switch_page("pages/staff/inbox.py").run()
    assert [m.value for m in at.metric] == ["15"]
