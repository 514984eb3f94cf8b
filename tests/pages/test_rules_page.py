"""/rules through AppTest: edit a rule, roll it back, and a permission change reaching a signed-in user."""

from __future__ import annotations

import pytest

from models import Organisation
from services.access.accounts import load_actor
from services.cases.deadlines import rules_for
from services.ledger.policy import award_cap_fen
from services.lowcode import rules
from tests.factories import make_tree, make_user
from tests.pages.conftest import page_text

PAGE = "pages/staff/rules.py"
NEW_CASE = "pages/staff/new_case.py"


@pytest.fixture
def users(db):
    with db.write() as s:
        tree = make_tree(s)
        return (
            make_user(s, tree["county"], ["coordinator"], username="coord"),
            make_user(s, tree["v1"], ["mediator"], username="med"),
        )


def _open(make_app, user, name, lang="zh-CN"):
    at = make_app(user=user, lang=lang)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    at.selectbox(key="rules.set").set_value(name).run()
    assert not at.exception
    return at


def test_remove_permission_reaches_signed_in_mediator(db, make_app, users):
    coordinator, mediator = users
    med = make_app(user=mediator)  # the mediator is signed in and working before the change
    med.run()
    med.switch_page(NEW_CASE).run()
    assert not med.exception and "登记" in page_text(med)

    at = _open(make_app, coordinator, "roles")
    at.selectbox(key="rules.role").set_value("mediator").run()
    box = at.checkbox(key="rules.f.roles.mediator.case.create")
    assert box.label == "登记纠纷" and box.value is True
    box.uncheck()
    at.text_input(key="rules.f.roles.note").input("暂停村调解员登记")
    at.button(key="FormSubmitter:rules.f.roles.form.mediator-保存为新版本").click().run()
    assert not at.exception
    text = page_text(at)
    assert "已保存第 1 版" in text and "调解员 · 权限 · 登记纠纷: 删除" in text and "暂停村调解员登记" in text

    med.run()  # the same signed-in session, next rerun
    assert not med.exception
    with pytest.raises(ValueError):
        med.switch_page(NEW_CASE)
    med.switch_page("pages/staff/workbench.py").run()
    assert not med.exception


def test_change_and_roll_back_deadlines(db, make_app, users):
    coordinator, _ = users
    at = _open(make_app, coordinator, "deadlines")
    at.number_input(key="rules.f.deadlines.accept_days").set_value(5)
    at.button(key="FormSubmitter:rules.f.deadlines.form-保存为新版本").click().run()
    assert not at.exception and "已保存第 1 版" in page_text(at)
    with db.read() as s:
        assert rules_for(s)["accept_days"] == 5
    assert "受理期限（天）: 3 → 5" in page_text(at)

    at.button(key="rules.rollback.deadlines.0").click().run()
    assert "确定把规则恢复为第 0 版吗" in page_text(at)
    at.button(key="rules.rollback_yes.deadlines.0").click().run()
    assert not at.exception and "已回退：第 2 版" in page_text(at)
    with db.read() as s:
        assert rules_for(s)["accept_days"] == 3


def test_refuse_invalid_weights_with_message(db, make_app, users):
    coordinator, _ = users
    at = _open(make_app, coordinator, "rating_schemes")
    at.number_input(key="rules.f.rating_schemes.mediator.w.cases").set_value(60.0)
    at.button(key="FormSubmitter:rules.f.rating_schemes.form.mediator-保存为新版本").click().run()
    assert not at.exception
    assert "权重合计须为 100，现在是 140" in "\n".join(e.value for e in at.error)


def test_refuse_stale_edit_with_reload(db, make_app, users):
    coordinator, _ = users
    with db.write() as s:
        other = make_user(s, s.get(Organisation, coordinator.org_id), ["coordinator"], username="coord2")
    first = _open(make_app, coordinator, "early_warning")
    second = _open(make_app, other, "early_warning")
    first.number_input(key="rules.f.early_warning.group_min_people").set_value(8)
    first.button(key="FormSubmitter:rules.f.early_warning.form-保存为新版本").click().run()
    assert "已保存第 1 版" in page_text(first)
    second.number_input(key="rules.f.early_warning.group_min_people").set_value(9)
    second.button(key="FormSubmitter:rules.f.early_warning.form-保存为新版本").click().run()
    assert not second.exception
    assert "他人刚刚修改了此规则" in "\n".join(e.value for e in second.error)
    second.button(key="rules.reload").click().run()
    assert second.number_input(key="rules.f.early_warning.group_min_people").value == 8


def test_show_rules_in_english(db, make_app, users):
    coordinator, _ = users
    at = make_app(user=coordinator, lang="en")
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    text = page_text(at)
    assert "Rules" in text and "Not changed here yet" in text and "Traceback" not in text


def test_change_award_cap_keeps_rate_table(db, make_app, users):
    coordinator, _ = users
    at = _open(make_app, coordinator, "subsidy_rates")
    at.number_input(key="rules.f.subsidy_rates.cap").set_value(3000.0)
    at.button(key="FormSubmitter:rules.f.subsidy_rates.form-保存为新版本").click().run()
    assert not at.exception and not at.error
    text = page_text(at)
    assert "已保存第 1 版" in text and "一事一奖上限: 2000.00 → 3000.00" in text
    with db.read() as s:
        assert award_cap_fen(s) == 300_000
        hist = rules.history(s, actor=load_actor(s, coordinator.id), name="subsidy_rates")
    assert [c.path for c in hist[0].changes] == [("award_cap_fen",)]  # the table came back exactly as it was


def test_refuse_unchanged_checklist(db, make_app, users):
    coordinator, _ = users
    at = _open(make_app, coordinator, "checklist")
    at.button(key="FormSubmitter:rules.f.checklist.form-保存为新版本").click().run()
    assert not at.exception
    assert "没有任何改动" in "\n".join(e.value for e in at.error)


def test_add_custom_role_from_existing_permissions(db, make_app, users):
    coordinator, _ = users
    at = _open(make_app, coordinator, "roles")
    at.text_input(key="rules.f.roles.new.code").input("village_helper")
    at.text_input(key="rules.f.roles.new.zh").input("村调信息员")
    at.text_input(key="rules.f.roles.new.en").input("Village helper")
    at.multiselect(key="rules.f.roles.new.p").select("workbench.view").select("case.view")
    at.button(key="FormSubmitter:rules.f.roles.new-添加角色").click().run()
    assert not at.exception and not at.error
    assert "已保存第 1 版" in page_text(at)
    assert "村调信息员" in at.selectbox(key="rules.role").options
    with db.read() as s:
        value = rules.current(s, actor=load_actor(s, coordinator.id), name="roles").value
    assert value["roles"]["village_helper"]["permissions"] == ["case.view", "workbench.view"]


def test_rates_grid_refuses_zero_without_confirmation(db, make_app, users, monkeypatch):
    import streamlit

    typed = {"simple": 0.0, "complex": 15000.0}  # 0 and a slip of the finger (15,000 for 150 yuan)
    real_editor = streamlit.data_editor

    def grid_as_typed(data, **kwargs):  # AppTest cannot type into a grid: the office's edits, as the grid returns them
        if kwargs.get("key") != "rules.f.subsidy_rates.table":
            return real_editor(data, **kwargs)
        real_editor(data, **kwargs)
        edited = data.copy()
        for grade, yuan in typed.items():
            edited.loc[(edited["grade"] == grade) & (edited["kind"] == "*"), "yuan"] = yuan
        return edited

    monkeypatch.setattr(streamlit, "data_editor", grid_as_typed)
    coordinator, _ = users
    at = _open(make_app, coordinator, "subsidy_rates")
    at.button(key="FormSubmitter:rules.f.subsidy_rates.form-保存为新版本").click().run()
    assert not at.exception
    errors = "\n".join(e.value for e in at.error)
    assert "以下补贴标准为 0 元或超出常规范围" in errors and "简易 0.00" in errors and "复杂 15000.00" in errors
    with db.read() as s:
        assert rules.latest_version(s, "subsidy_rates") == 0
    at.checkbox(key="rules.f.subsidy_rates.confirm").check()
    at.button(key="FormSubmitter:rules.f.subsidy_rates.form-保存为新版本").click().run()
    assert not at.exception and not at.error and "已保存第 1 版" in page_text(at)
    with db.read() as s:
        assert rules.current(s, actor=load_actor(s, coordinator.id), name="subsidy_rates").value["rates"]["simple"] == 0


def test_office_lets_its_auditor_approve_in_the_rules(db, make_app, users):
    from services.ledger import duties

    coordinator, _ = users
    at = _open(make_app, coordinator, "ledger_duties")
    assert "申报人、审核人、审批人、发放人须是四个不同的人" in page_text(at)
    at.checkbox(key="rules.f.ledger_duties.audit_approve").check()
    at.button(key="FormSubmitter:rules.f.ledger_duties.form-保存为新版本").click().run()
    assert not at.exception and not at.error
    text = page_text(at)
    assert "已保存第 1 版" in text and "允许同一人办理 · 审核与审批: 新增" in text
    with db.read() as s:
        assert duties.rule_for(s).allows("audit", "approve") and not duties.rule_for(s).allows("approve", "pay")
