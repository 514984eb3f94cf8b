"""The low-code pages in AppTest: the public register form, the staff register list and entry, the form builder."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import col, select

from models import FormSpec, FormSubmission, User
from services.lowcode import forms
from tests.factories import make_tree, make_user
from tests.pages.conftest import page_text

pytestmark = pytest.mark.parametrize("db", ["sqlite"], indirect=True)
PUBLIC = "pages/public/register.py"


@pytest.fixture
def people(db) -> dict[str, User]:
    with db.write() as s:
        tree = make_tree(s)
        return {
            "coordinator": make_user(s, tree["town"], ["coordinator"]),
            "mediator": make_user(s, tree["v1"], ["mediator"]),
            "police": make_user(s, tree["police"], ["police"]),
        }


def _staff(make_app, user, page, lang="zh-CN", query=None):
    at = make_app(user=user, lang=lang, query=query)
    at.run()
    at.switch_page(f"pages/staff/{page}.py").run()
    assert not at.exception, at.exception
    return at


def _public(make_app, code, **kw):
    at = make_app(query={"f": code, **kw})
    at.run()
    at.switch_page(PUBLIC).run()
    assert not at.exception, at.exception
    return at


def test_file_public_entry_shows_reference(db, make_app, people):
    at = _public(make_app, "legal_education", org="V1")
    assert "法治宣传活动登记" in page_text(at)
    k = "register.legal_education.v"
    at.date_input(key=f"{k}.event_date").set_value(date(2026, 11, 2))
    at.text_input(key=f"{k}.place").input("东村文化广场")
    at.text_input(key=f"{k}.topic").input("民法典进农家")
    at.selectbox(key=f"{k}.kind").set_value("stall")
    at.number_input(key=f"{k}.audience").set_value(60)
    at.text_input(key=f"{k}.organiser").input("东村调委会")
    at.button(key="register.submit").click().run()
    assert not at.exception
    with db.read() as s:
        entry = s.exec(select(FormSubmission).where(FormSubmission.form_code == "legal_education")).one()
    assert f"DJ{entry.id:06d}" in page_text(at) and "提交成功" in page_text(at)
    assert entry.data["audience"] == 60 and entry.data["kind"] == "stall"
    token = at.query_params["t"]  # a phone that lost its session comes back with only this address
    token = token[0] if isinstance(token, list) else token
    again = _public(make_app, "legal_education", org="V1", t=token)
    assert f"DJ{entry.id:06d}" in page_text(again) and "提交成功" in page_text(again)
    again.button(key="register.another").click().run()
    assert again.query_params["t"] != token and "提交成功" not in page_text(again)


def test_file_public_entry_shows_problems_under_fields(db, make_app, people):
    at = _public(make_app, "legal_education")
    at.text_input(key="register.legal_education.v.place").input("东村")
    at.button(key="register.submit").click().run()
    text = page_text(at)
    assert "请填写此项" in text and "处需要修改" in text
    with db.read() as s:
        assert s.exec(select(FormSubmission)).first() is None


def test_open_public_register_refuses_staff_only_register(make_app, people):
    at = _public(make_app, "joint_meeting")
    assert "找不到代码为" in page_text(at) and not at.button


def test_add_entry_on_registers_page_lists_it(db, make_app, people):
    at = _staff(make_app, people["mediator"], "registers")
    at.selectbox(key="registers.pick").set_value("screening_visit").run()
    k = "registers.v.screening_visit"
    at.date_input(key=f"{k}.visit_date").set_value(date(2026, 11, 5))
    at.text_input(key=f"{k}.places").input("东村一组、二组")
    at.number_input(key=f"{k}.disputes_found").set_value(3)
    at.radio(key=f"{k}.risk_found").set_value("yes").run()
    assert at.selectbox(key=f"{k}.risk_level")  # the condition shows the field at once
    at.selectbox(key=f"{k}.risk_level").set_value("high")
    at.text_area(key=f"{k}.risks").input("宅基地边界争议可能激化")
    at.button(key="registers.save").click().run()
    assert not at.exception, at.exception
    text = page_text(at)
    assert "已登记，编号 DJ" in text and "记录数 1" in text and "发现纠纷数合计 3" in text
    with db.read() as s:
        entry = s.exec(select(FormSubmission).where(FormSubmission.form_code == "screening_visit")).one()
    assert entry.data["risk_level"] == "high" and entry.submitted_by == people["mediator"].id
    at.selectbox(key="registers.entry").set_value(entry.id).run()
    assert not at.exception and "宅基地边界争议可能激化" in page_text(at) and "重大" in page_text(at)


def test_open_registers_page_in_english_with_poster(make_app, people):
    at = _staff(make_app, people["coordinator"], "registers", lang="en", query={"f": "legal_education"})
    text = page_text(at)
    assert "Registers" in text and "/register?f=legal_education&org=T1" in text
    assert any(b.label == "Export to Excel" for b in at.get("download_button"))


def test_open_registers_page_refuses_police(make_app, people):
    at = make_app(user=people["police"])
    at.run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):  # not in a police liaison's menu
        at.switch_page("pages/staff/registers.py")


def test_save_new_field_version_in_builder(db, make_app, people):
    at = _staff(make_app, people["coordinator"], "forms")
    at.selectbox(key="forms.pick_form").set_value("joint_meeting").run()
    editor = "forms.f.joint_meeting.0.new"
    at.selectbox(key=f"{editor}.type").set_value("multi_choice")
    at.text_input(key=f"{editor}.key").input("departments")
    at.text_input(key=f"{editor}.label_zh").input("牵头部门")
    at.text_area(key=f"{editor}.options").input("police | 派出所 | Police\ncourt | 法庭 | Court")
    at.button(key=f"{editor}.apply").click().run()
    assert not at.exception, at.exception
    assert "有未保存的修改" in page_text(at)
    at.button(key="forms.save").click().run()
    assert not at.exception, at.exception
    assert "已保存为第 2 版" in page_text(at)
    with db.read() as s:
        spec = forms.get_form(s, "joint_meeting")
    assert spec.version == 2 and spec.fields[-1]["options"][1] == {
        "code": "court",
        "label_zh": "法庭",
        "label_en": "Court",
    }


def test_save_builder_lists_problems_and_saves_nothing(db, make_app, people):
    at = _staff(make_app, people["coordinator"], "forms")
    at.selectbox(key="forms.pick_form").set_value("joint_meeting").run()
    editor = "forms.f.joint_meeting.0.new"
    at.selectbox(key=f"{editor}.type").set_value("choice")
    at.text_input(key=f"{editor}.key").input("topics")
    at.text_input(key=f"{editor}.label_zh").input("议题类型")
    at.button(key=f"{editor}.apply").click().run()
    at.button(key="forms.save").click().run()
    text = page_text(at)
    assert "与前面的字段重复" in text and "没有选项" in text
    with db.read() as s:
        assert (
            s.exec(
                select(FormSpec.version).where(FormSpec.code == "joint_meeting").order_by(col(FormSpec.version).desc())
            ).first()
            == 1
        )


def test_create_form_in_builder(db, make_app, people):
    at = _staff(make_app, people["coordinator"], "forms")
    at.selectbox(key="forms.pick_form").set_value("__new_form__").run()
    at.text_input(key="forms.new_code").input("training")
    at.text_input(key="forms.new_title_zh").input("调解员培训")
    at.checkbox(key="forms.new_public").check()
    at.button(key="forms.create").click().run()
    assert not at.exception, at.exception
    assert "已保存为第 1 版" in page_text(at)
    with db.read() as s:
        spec = forms.get_form(s, "training")
    assert spec.public and spec.fields[0]["type"] == "date"


def test_open_builder_refuses_mediator(make_app, people):
    at = make_app(user=people["mediator"])
    at.run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/staff/forms.py")


def test_new_field_gets_a_code_without_typing_one(db, make_app, people):
    at = _staff(make_app, people["coordinator"], "forms")
    at.selectbox(key="forms.pick_form").set_value("joint_meeting").run()
    editor = "forms.f.joint_meeting.0.new"
    at.selectbox(key=f"{editor}.type").set_value("number")
    at.text_input(key=f"{editor}.label_zh").input("参会人数")
    at.checkbox(key=f"{editor}.integer").check()
    at.button(key=f"{editor}.apply").click().run()
    at.button(key="forms.save").click().run()
    assert not at.exception, at.exception
    assert "已保存为第 2 版" in page_text(at)
    with db.read() as s:
        new = forms.get_form(s, "joint_meeting").fields[-1]
    assert new["label_zh"] == "参会人数" and new["integer"] is True
    assert new["key"].startswith("f") and new["key"][1:].isdigit()


def test_intake_form_spec_counts_its_fields(db, make_app, people):
    at = _staff(make_app, people["coordinator"], "forms")
    at.selectbox(key="forms.pick_form").set_value("intake").run()
    text = page_text(at)
    assert "共 0 个字段" not in text
    assert f"共 {forms.fixed_field_count('intake')} 个字段" in text
