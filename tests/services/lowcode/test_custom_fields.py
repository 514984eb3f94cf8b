"""Custom fields on the built-in forms: staff intake stores them with its version, the case shows them, export."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlmodel import col, func, select

from models import Case, FormSpec
from models.base import utc_now
from services.cases import export as case_export
from services.cases import record as case_record
from services.cases import view as case_view
from services.core import clock
from services.core.config import Limit
from services.core.errors import OutOfScope, PermissionDenied
from services.intake.form import IntakeForm, IntakeInvalid, issue_form_token
from services.intake.pipeline import IntakeSettings, submit_intake
from services.lowcode import custom_fields
from services.stats.sql import Filters, Period
from tests.case_factories import make_world, staff_input
from tests.factories import make_actor

OPEN = IntakeSettings(min_seconds=3, client=Limit(1000, 600), org=Limit(1000, 3600))
ID_NUMBER = "11010519491231002X"
STAFF_FIELDS = [
    {"key": "village_group", "type": "text", "label_zh": "村民小组", "label_en": "Village group", "required": True},
    {
        "key": "channel",
        "type": "choice",
        "label_zh": "反映渠道",
        "label_en": "Channel",
        "options": [
            {"code": "visit", "label_zh": "上门", "label_en": "Visit"},
            {"code": "call", "label_zh": "来电", "label_en": "Call"},
        ],
    },
    {"key": "repeat", "type": "yes_no", "label_zh": "重复来访", "label_en": "Repeat visit"},
    {"key": "households", "type": "number", "label_zh": "涉及户数", "label_en": "Households"},
    {"key": "first_seen", "type": "date", "label_zh": "首次发现", "label_en": "First seen"},
]


def add_version(db, code: str, fields: list[dict[str, Any]]) -> int:
    """A new version of a built-in form's spec (the way the form builder saves one)."""
    with db.write() as s:
        newest = s.exec(select(func.max(FormSpec.version)).where(FormSpec.code == code)).one() or 0
        s.add(FormSpec(code=code, version=newest + 1, title_zh=code, title_en=code, fields=fields))
        return newest + 1


def count_cases(db) -> int:
    with db.read() as s:
        return int(s.exec(select(func.count()).select_from(Case)).one())


def test_register_case_stores_custom_values_with_version(db):
    w = make_world(db)
    version = add_version(db, "staff_intake", STAFF_FIELDS)
    values = {
        "village_group": " 三组 ",
        "channel": "call",
        "repeat": "yes",
        "households": 4.0,
        "first_seen": date(2026, 11, 2),
    }
    with db.write() as s:
        case = case_record.register_case(s, actor=w.mediator, data=staff_input(custom=values))
        case_id = case.id
    with db.read() as s:
        stored = s.get(Case, case_id).custom
    assert stored == {
        "village_group": "三组",
        "channel": "call",
        "repeat": True,
        "households": 4,
        "first_seen": "2026-11-02",
        "_form": {"code": "staff_intake", "version": version},
    }


def test_register_case_refuses_missing_required_field(db):
    w = make_world(db)
    add_version(db, "staff_intake", STAFF_FIELDS)
    with pytest.raises(IntakeInvalid) as err, db.write() as s:
        case_record.register_case(s, actor=w.mediator, data=staff_input(custom={"channel": "fax", "households": "x"}))
    assert {(p.field, p.key) for p in err.value.problems} == {
        ("custom.village_group", "error.intake_required"),
        ("custom.channel", "error.intake_choice_invalid"),
        ("custom.households", "error.intake_number_invalid"),
    }
    assert count_cases(db) == 0


def test_register_case_without_spec_fields_stores_nothing(db):
    w = make_world(db)
    with db.write() as s:
        case = case_record.register_case(s, actor=w.mediator, data=staff_input())
    assert case.custom == {}


def test_quick_case_checks_and_stores_custom_values(db):
    w = make_world(db)
    add_version(db, "staff_intake", STAFF_FIELDS[:1])
    data = case_record.QuickCaseInput(parties_text="张三、李四", terms="当场道歉", custom={})
    with pytest.raises(IntakeInvalid), db.write() as s:
        case_record.quick_case(s, actor=w.mediator, data=data)
    data.custom = {"village_group": "五组"}
    with db.write() as s:
        case = case_record.quick_case(s, actor=w.mediator, data=data)
    assert case.custom["village_group"] == "五组" and case.custom["_form"]["code"] == "staff_intake"


def test_get_case_detail_labels_values_by_filed_version(db):
    w = make_world(db)
    add_version(db, "staff_intake", STAFF_FIELDS)
    with db.write() as s:
        case_id = (
            case_record.register_case(
                s,
                actor=w.mediator,
                data=staff_input(custom={"village_group": "三组", "channel": "visit", "repeat": "no"}),
            ).id
            or 0
        )
    renamed = [{**STAFF_FIELDS[0], "label_zh": "所在小组", "label_en": "Group"}]
    add_version(db, "staff_intake", renamed)
    with db.read() as s:
        detail = case_view.get_case_detail(s, actor=w.mediator, case_id=case_id)
    shown = [(v.label("zh-CN"), v.text("zh-CN")) for v in detail.custom]
    assert shown == [("村民小组", "三组"), ("反映渠道", "上门"), ("重复来访", "否")]
    assert [(v.label("en"), v.text("en")) for v in detail.custom][1:] == [("Channel", "Visit"), ("Repeat visit", "No")]


def test_register_case_encrypts_and_masks_id_numbers(db):
    w = make_world(db)
    add_version(
        db,
        "staff_intake",
        [
            {"key": "agent_id", "type": "id_number", "label_zh": "代理人身份证号", "label_en": "Agent ID"},
            {
                "key": "helpers",
                "type": "multi_choice",
                "label_zh": "协助单位",
                "label_en": "Helpers",
                "options": [
                    {"code": "police", "label_zh": "派出所", "label_en": "Police"},
                    {"code": "court", "label_zh": "法庭", "label_en": "Court"},
                ],
            },
        ],
    )
    with pytest.raises(IntakeInvalid), db.write() as s:
        case_record.register_case(s, actor=w.mediator, data=staff_input(custom={"agent_id": "110105194912310021"}))
    with db.write() as s:
        case = case_record.register_case(
            s, actor=w.mediator, data=staff_input(custom={"agent_id": ID_NUMBER, "helpers": ["court", "police"]})
        )
        case.custom = {**case.custom, "note": ID_NUMBER}  # an ID number typed into a text field is masked too
        s.add(case)
        case_id = case.id or 0
    with db.read() as s:
        stored = s.get(Case, case_id).custom
        values = custom_fields.case_values(s, s.get(Case, case_id))
    assert ID_NUMBER not in str(stored["agent_id"]) and stored["agent_id"]["masked"] == "1101**********002X"
    assert [(v.label("zh-CN"), v.text("zh-CN")) for v in values] == [
        ("代理人身份证号", "1101**********002X"),
        ("协助单位", "法庭、派出所"),
        ("note", "1101**********002X"),
    ]


def _public_case(db, custom: dict[str, Any]) -> int:
    form = IntakeForm(
        org_code="V1",
        form_token=issue_form_token(utc_now() - timedelta(seconds=30)),
        applicant_name="王五",
        applicant_phone="13812345678",
        category="neighbour",
        consent=True,
        description="邻居家排水沟堵塞，雨水流进我家院子，多次协商无果。",
        custom=custom,
    )
    return submit_intake(db, form, client="10.0.0.1", settings=OPEN).case_id or 0


def test_public_intake_field_shows_on_case_and_export(db):
    w = make_world(db)
    add_version(
        db,
        "intake",
        [{"key": "village", "type": "text", "label_zh": "所在村组", "label_en": "Village", "required": True}],
    )
    add_version(db, "staff_intake", STAFF_FIELDS[:2])
    public_id = _public_case(db, {"village": "东村二组"})
    with db.write() as s:
        case_record.register_case(
            s,
            actor=w.coordinator,
            data=staff_input(org_id=w.orgs["v1"].id, custom={"village_group": "=1+1", "channel": "call"}),
        )
    with db.read() as s:
        detail = case_view.get_case_detail(s, actor=w.coordinator, case_id=public_id)
        data = case_export.export_cases_xlsx(s, actor=w.coordinator, filters=Filters(period=this_year()), lang="zh-CN")
    assert [(v.label("zh-CN"), v.text("zh-CN")) for v in detail.custom] == [("所在村组", "东村二组")]
    sheet = load_workbook(io.BytesIO(data)).active
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert rows[0][-3:] == ["所在村组", "村民小组", "反映渠道"]
    by_no = {r[0]: r for r in rows[1:]}
    with db.read() as s:
        numbers = dict(s.exec(select(Case.source, Case.case_no)).all())
    assert by_no[numbers["qr"]][-3:] == ["东村二组", None, None]
    assert by_no[numbers["walk_in"]][-3:] == [None, "'=1+1", "来电"]  # a formula stays text
    assert "王五" not in str(rows) and "13812345678" not in str(rows)


def test_export_cases_refuses_without_permission_or_scope(db):
    w = make_world(db)
    with db.write() as s:
        outsider = make_actor(s, w.orgs["v2"], ["coordinator"])
    with pytest.raises(PermissionDenied), db.read() as s:
        case_export.export_cases_xlsx(s, actor=w.mediator, filters=Filters(period=this_year()))
    with pytest.raises(OutOfScope), db.read() as s:
        case_export.export_cases_xlsx(s, actor=outsider, filters=Filters(period=this_year(), org_id=w.orgs["v1"].id))


def test_export_columns_cover_every_version(db):
    add_version(db, "staff_intake", STAFF_FIELDS[:1])
    add_version(db, "staff_intake", [{**STAFF_FIELDS[0], "label_zh": "所在小组"}, STAFF_FIELDS[1]])
    with db.read() as s:
        columns = [(code, f.key, f.label_zh) for code, f in custom_fields.export_columns(s)]
        newest = s.exec(
            select(FormSpec).where(FormSpec.code == "staff_intake").order_by(col(FormSpec.version).desc())
        ).first()
    assert columns == [("staff_intake", "village_group", "所在小组"), ("staff_intake", "channel", "反映渠道")]
    assert newest is not None and newest.version == 3


def this_year() -> Period:
    today = clock.today()  # statistics periods are days in China
    return Period(date(today.year - 1, 1, 1), date(today.year, 12, 31))
