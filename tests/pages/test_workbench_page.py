"""The workbench page (AppTest): 待办 holds only what the user must act on; warnings read as on the dashboard."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from models import Case, User
from services.core import clock
from services.stats import dashboard as stats
from tests.case_factories import accepted_case, handed_over, make_world, succeeded_case
from tests.pages.conftest import page_text


def _user(db, actor) -> User:
    with db.read() as s:
        return s.get(User, actor.user_id)


def _workbench(make_app, user):
    at = make_app(user=user)
    at.run()
    at.switch_page("pages/staff/workbench.py").run()
    assert not at.exception, at.exception
    return at


def _cards(at) -> dict[str, str]:
    """The case cards' buttons: key → label."""
    return {b.key: b.label for b in at.button if (b.key or "").startswith("workbench.open.")}


def _metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_police_liaison_sees_the_grade_audit_on_top_not_cases_to_view(db, make_app):
    w = make_world(db)
    sent = handed_over(db, w)
    audit = succeeded_case(db, w.room_mediator)
    at = _workbench(make_app, _user(db, w.police))
    assert _cards(at) == {f"workbench.open.{audit.id}": "审核难度等级"}
    assert [m.label for m in at.metric] == ["待办", "高风险", "已超期"] and _metric(at, "待办") == "1"
    at.segmented_control(key="workbench.view").set_value("all").run()
    assert not at.exception
    assert _cards(at) == {f"workbench.open.{sent.id}": "查看", f"workbench.open.{audit.id}": "审核难度等级"}


def test_village_mediator_todo_has_next_steps_and_says_what_counts(db, make_app):
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    at = _workbench(make_app, _user(db, w.mediator))
    assert _cards(at) == {f"workbench.open.{case.id}": "记录调解"}
    assert [m.label for m in at.metric] == ["待办", "待受理", "高风险", "已超期"]
    text = page_text(at)
    assert "高风险 = 尚未办结且带有风险标记" in text and "超期 = 已过受理、办结或回访期限" in text
    assert "与统计看板口径一致" in text
    helps = {m.label: m.proto.help for m in at.metric}
    assert "可能民转刑" in helps["高风险"] and "超过回访期限仍未回访" in helps["已超期"]


def test_workbench_warning_counts_equal_the_dashboards(db, make_app):
    w = make_world(db)
    accepted_case(db, w.mediator, group_size=30)
    succeeded_case(db, w.mediator2, group_size=30)  # concluded: not a warning on either page
    late = accepted_case(db, w.mediator2)
    with db.write() as s:
        row = s.exec(select(Case).where(Case.id == late.id)).one()
        row.conclude_due = clock.today() - timedelta(days=1)
        s.add(row)
    stats.clear_cache()
    user = _user(db, w.coordinator)
    at = _workbench(make_app, user)
    high, overdue = _metric(at, "高风险"), _metric(at, "已超期")
    at.switch_page("pages/staff/dashboard.py").run()
    assert not at.exception, at.exception
    assert (high, overdue) == ("1", "1") and _metric(at, "高风险") == high
    assert f"超期合计 {overdue} 件" in page_text(at) and "高风险 = 尚未办结" in page_text(at)
