"""The supervision pages through AppTest: the risk levels on /rules (change, the re-grade count, rollback), the
case page's supervision form, the handling body's workbench list, the desk and the dashboard figures."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from models import CaseRisk, SupervisionOrder, User
from services.core import clock
from services.supervision import orders
from tests.case_factories import make_world, new_case
from tests.pages.conftest import page_text

RULES = "pages/staff/rules.py"


def _user(db, actor) -> User:  # type: ignore[no-untyped-def]
    with db.read() as s:
        return s.get(User, actor.user_id)


def _at(make_app, user, page, query=None):  # type: ignore[no-untyped-def]
    at = make_app(user=user)
    at.run()
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def test_edit_risk_levels_on_rules_page_regrades_and_rolls_back(db, make_app):
    w = make_world(db)
    case = new_case(db, w.orgs["v1"], group_size=12)
    at = _at(make_app, _user(db, w.coordinator), RULES)
    at.selectbox(key="rules.set").set_value("risk_levels").run()
    assert not at.exception and "风险分级" in at.selectbox(key="rules.set").format_func("risk_levels")
    at.number_input(key="rules.f.risk_levels.red.group").set_value(10)
    at.button(key="FormSubmitter:rules.f.risk_levels.form.red-保存为新版本").click().run()
    assert not at.exception
    text = page_text(at)
    assert "已保存第 1 版" in text and "其中 1 件风险等级改变" in text
    assert "风险等级 · 红色 · 群体人数（≥，0 为不用）: 30 → 10" in text
    with db.read() as s:
        assert s.exec(select(CaseRisk.level).where(CaseRisk.case_id == case.id)).one() == "red"
    at.button(key="rules.rollback.risk_levels.0").click().run()
    at.button(key="rules.rollback_yes.risk_levels.0").click().run()
    assert not at.exception and "已回退：第 2 版" in page_text(at)
    with db.read() as s:
        assert s.exec(select(CaseRisk.level).where(CaseRisk.case_id == case.id)).one() == "orange"


def test_open_supervision_on_case_page_and_see_it_on_the_workbench(db, make_app):
    w = make_world(db)
    case = new_case(db, w.orgs["v1"], group_size=40)
    at = _at(make_app, _user(db, w.coordinator), "pages/staff/case.py", {"case": str(case.id)})
    text = page_text(at)
    assert "红色风险：群体 40 人" in text and "红色风险须组织会商" in text
    at.text_area(key="sup.o_note").input("请三日内上门化解")
    at.button(key="FormSubmitter:sup.open-确认挂牌督办").click().run()
    assert not at.exception and "已挂牌督办" in page_text(at)
    with db.read() as s:
        assert s.exec(select(SupervisionOrder.state)).one() == "listed"
    med = _at(make_app, _user(db, w.mediator), "pages/staff/workbench.py")
    assert "督办待反馈（1 项）" in page_text(med)
    desk = at.switch_page("pages/staff/supervision.py").run()
    assert not desk.exception
    assert [m.value for m in desk.metric][:2] in (["1", "0"], ["0", "1"])
    assert "共 1 项" in page_text(desk)


def test_dashboard_figures_show_their_formulas(db, make_app):
    from streamlit.testing.v1 import AppTest

    w = make_world(db)
    case = new_case(db, w.orgs["v1"])
    with db.write() as s:
        orders.open_order(
            s, actor=w.coordinator, case_id=case.id, reason="overdue", deadline=clock.today() + timedelta(1)
        )

    def script() -> None:
        import os

        from pages.ui import supervision_figures
        from services.access.accounts import load_actor
        from services.core import clock
        from services.core.db import make_database

        with make_database(os.environ["DATABASE_URL"]).read() as s:
            actor = load_actor(s, int(os.environ["SUP_USER"]))
        # run alone, outside st.navigation: no page for the desk link to point at (the dashboard's page test
        # opens the figures within the app's navigation)
        supervision_figures.render(actor, clock.today(), clock.today(), desk_link=False)

    make_app()  # sets DATABASE_URL and clears the caches
    import os

    os.environ["SUP_USER"] = str(w.coordinator.user_id)
    at = AppTest.from_function(script, default_timeout=60).run()
    assert not at.exception, at.exception
    shown = {m.label: m.value for m in at.metric}
    assert shown["挂牌督办"] == "1" and shown["已摘牌"] == "0" and shown["平均摘牌天数"] == "—"
    assert "平均摘牌天数 = Σ(摘牌时间 − 挂牌时间) ÷ 已摘牌件数" in [m.help for m in at.metric]
