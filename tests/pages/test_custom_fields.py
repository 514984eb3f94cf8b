"""AppTest: a custom field added to the intake forms appears, is required when marked, shows on the case page and
is exported; the staff form keeps what was typed when a custom field is refused."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from models import Case, DictionaryEntry, User
from services.cases import export as case_export
from services.stats.sql import Filters
from tests.case_factories import make_world
from tests.pages.conftest import page_text
from tests.services.lowcode.test_custom_fields import STAFF_FIELDS, add_version, this_year

INTAKE, NEW_CASE, CASE, QUICK = (
    "pages/public/intake.py",
    "pages/staff/new_case.py",
    "pages/staff/case.py",
    "pages/staff/quick_case.py",
)
VILLAGE = {"key": "village", "type": "text", "label_zh": "所在村民小组", "label_en": "Village group", "required": True}


@pytest.fixture
def world(db, make_app, monkeypatch):  # make_app first: it points the settings at the test database
    monkeypatch.setenv("MEDIATION_INTAKE_MIN_SECONDS", "0")
    monkeypatch.setenv("MEDIATION_INTAKE_CLIENT_LIMIT", "1000/600")
    return make_world(db)


def _user(db, actor) -> User:
    with db.read() as s:
        return s.get(User, actor.user_id)


def _open(make_app, path, user=None, lang="zh-CN", query=None):
    at = make_app(user=user, lang=lang, query=query)
    at.run()
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.switch_page(path).run()
    assert not at.exception, at.exception
    return at


def test_submit_intake_requires_new_custom_field_and_shows_it_to_staff(db, world, make_app):
    add_version(db, "intake", [VILLAGE])
    at = _open(make_app, INTAKE, query={"org": "V1"})
    assert at.text_input(key="intake.custom.village").label == "所在村民小组"
    at.text_input(key="intake.applicant_name").input("张三")
    at.text_input(key="intake.applicant_phone").input("13812345678")
    at.text_area(key="intake.description").input("邻居家排水沟堵塞，雨水流进我家院子。")
    at.checkbox(key="intake.consent").check()
    at.button(key="intake.submit").click().run()
    assert not at.exception and "请填写此项。" in page_text(at)
    assert at.text_area(key="intake.description").value == "邻居家排水沟堵塞，雨水流进我家院子。"  # nothing lost
    with db.read() as s:
        assert s.exec(select(Case)).first() is None
    at.text_input(key="intake.custom.village").input("东村二组")
    at.button(key="intake.submit").click().run()
    assert not at.exception and at.metric  # the tracking code
    with db.read() as s:
        case = s.exec(select(Case)).one()
    assert case.custom == {"village": "东村二组"}
    board = _open(make_app, "pages/public/board.py")
    assert "东村二组" not in page_text(board) + " ".join(str(e.value) for e in board.get("dataframe"))  # never public
    staff = _open(make_app, CASE, user=_user(db, world.mediator), query={"case": str(case.id)})
    assert "所在村民小组：东村二组" in page_text(staff)
    english = _open(make_app, CASE, user=_user(db, world.coordinator), lang="en", query={"case": str(case.id)})
    assert "Village group：东村二组" in page_text(english)
    with db.read() as s:
        data = case_export.export_cases_xlsx(s, actor=world.coordinator, filters=Filters(period=this_year()))
    rows = [[c.value for c in r] for r in load_workbook(io.BytesIO(data)).active.iter_rows()]
    assert rows[0][-1] == "所在村民小组" and rows[1][-1] == "东村二组"


def test_new_case_page_keeps_typing_when_custom_field_refused(db, world, make_app):
    add_version(db, "staff_intake", STAFF_FIELDS)
    at = _open(make_app, NEW_CASE, user=_user(db, world.mediator))
    at.text_input(key="new_case.party.name.0").input("张三")
    at.text_input(key="new_case.party.name.1").input("李四")
    at.text_area(key="new_case.description").input("宅基地边界纠纷")
    at.selectbox(key="new_case.custom.channel").set_value("call")
    at.button(key="FormSubmitter:new_case.form-保存").click().run()
    assert not at.exception, at.exception
    text = page_text(at)
    assert "请填写此项。" in text and "有 1 处需要修改" in text
    assert at.text_area(key="new_case.description").value == "宅基地边界纠纷"
    assert at.selectbox(key="new_case.custom.channel").value == "call"
    with db.read() as s:
        assert s.exec(select(Case)).first() is None
    at.text_input(key="new_case.custom.village_group").input("三组")
    at.radio(key="new_case.custom.repeat").set_value("yes")
    at.button(key="FormSubmitter:new_case.form-保存").click().run()
    assert not at.exception, at.exception
    with db.read() as s:
        case = s.exec(select(Case)).one()
    assert case.custom["village_group"] == "三组" and case.custom["channel"] == "call" and case.custom["repeat"]
    assert case.custom["_form"] == {"code": "staff_intake", "version": 2}
    page = _open(make_app, CASE, user=_user(db, world.coordinator), query={"case": str(case.id)})
    assert "村民小组：三组\n反映渠道：来电\n重复来访：是" in page_text(page)


def test_quick_case_page_takes_custom_field(db, world, make_app):
    add_version(db, "staff_intake", STAFF_FIELDS[:1])
    at = _open(make_app, QUICK, user=_user(db, world.mediator))
    at.text_input(key="quick_case.parties").input("张三、李四")
    at.text_area(key="quick_case.terms").input("李四当场道歉")
    at.button(key="FormSubmitter:quick_case.form-登记并结案").click().run()
    assert not at.exception and "请填写此项。" in page_text(at)
    assert at.text_area(key="quick_case.terms").value == "李四当场道歉"
    at.text_input(key="quick_case.custom.village_group").input("五组")
    at.button(key="FormSubmitter:quick_case.form-登记并结案").click().run()
    assert not at.exception, at.exception
    with db.read() as s:
        case = s.exec(select(Case)).one()
    assert case.custom["village_group"] == "五组" and f"已登记：{case.case_no}" in page_text(at)
    at.button(key="quick_case.next").click().run()
    assert at.text_area(key="quick_case.terms").value == ""  # a fresh form for the next dispute


def test_stats_cases_page_offers_export_to_office_only(db, world, make_app):
    office = _open(make_app, "pages/staff/stats_cases.py", user=_user(db, world.coordinator))
    assert [b for b in office.get("download_button") if "导出案件清单" in str(b.proto.label)]


def test_admin_page_adds_category_with_committee_and_retires_it(db, world, make_app):
    at = _open(make_app, "pages/staff/admin.py", user=_user(db, world.coordinator), query={"entity": "dictionary"})
    next(b for b in at.button if b.key == "admin.dictionary.new").click().run()
    at.selectbox(key="admin.dictionary.field.dictionary").select("category")
    at.text_input(key="admin.dictionary.field.code").input("village_group")
    at.text_input(key="admin.dictionary.field.label_zh").input("村组纠纷")
    at.text_input(key="admin.dictionary.field.label_en").input("Village group")
    at.selectbox(key="admin.dictionary.field.sector").select("labour")
    at.toggle(key="admin.dictionary.field.committee").set_value(True)
    next(b for b in at.button if b.key and "FormSubmitter:admin.dictionary.form" in b.key).click().run()
    assert not at.exception and "已创建" in page_text(at)
    assert "**专业领域**\u3000劳动" in page_text(at) and "**由专业调委会受理**\u3000是" in page_text(at)
    with db.read() as s:
        entry = s.exec(select(DictionaryEntry).where(DictionaryEntry.code == "village_group")).one()
    assert entry.meta == {"sector": "labour", "committee": True} and entry.label_en == "Village group"
    assert at.toggle(key="admin.dictionary.field.committee").value is True
    at.toggle(key="admin.dictionary.field.active").set_value(False)
    next(b for b in at.button if b.key and "FormSubmitter:admin.dictionary.form" in b.key).click().run()
    assert not at.exception and "已保存" in page_text(at)
    new_case = _open(make_app, NEW_CASE, user=_user(db, world.mediator))
    assert "村组纠纷" not in new_case.selectbox(key="new_case.category").options  # retired: not offered
    assert "邻里纠纷" in new_case.selectbox(key="new_case.category").options
