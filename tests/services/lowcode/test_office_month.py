"""Issue 23 item 7, the low-code part: whole-number fields, the register list's time and channel, yes/no in words,
generated field codes and the intake form's field count."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from models import FormSubmission
from models.base import utc_now
from services.core.i18n import translate
from services.intake.form import issue_form_token
from services.lowcode import forms, register_views, registers
from services.lowcode.fields import FieldSpec, FormInvalid, display_value, next_field_key, parse_field, validate_values
from tests.services.lowcode.test_registers import entry
from tests.services.lowcode.test_registers import world as world  # the fixture

PEOPLE = {"key": "people", "type": "number", "label_zh": "参加人数", "required": True, "integer": True}


def test_people_count_45_5_is_refused_in_chinese_and_45_00_stored_as_45():
    field = parse_field(PEOPLE)
    assert field is not None and field.integer
    with pytest.raises(FormInvalid) as err:
        validate_values([field], {"people": 45.5})
    problem = err.value.problems[0]
    assert problem.key == "error.form_number_integer"
    assert "整数" in translate(problem.key, "zh-CN")
    assert validate_values([field], {"people": 45.0})[0] == {"people": 45}
    assert validate_values([field], {"people": "45.00"})[0] == {"people": 45}


def test_number_field_without_integer_option_still_takes_decimals():
    field = parse_field({**PEOPLE, "integer": False, "label_zh": "金额"})
    assert field is not None and not field.integer
    assert validate_values([field], {"people": 12.5})[0] == {"people": 12.5}


def test_custom_yes_no_answer_shows_shi_fou_not_false():
    yes_no = FieldSpec(key="risk", type="yes_no", label_zh="是否发现风险", label_en="Risk")
    retyped = FieldSpec(key="risk", type="text", label_zh="是否发现风险", label_en="Risk")  # the type changed since
    assert display_value(yes_no, False, "zh-CN") == "否"
    assert display_value(yes_no, "false", "zh-CN") == "否"  # an old entry that stored it as text
    assert display_value(retyped, False, "zh-CN") == "否"
    assert display_value(retyped, True, "zh-CN") == "是"


def test_new_field_code_is_generated_from_position_not_typed():
    assert next_field_key([]) == "f1"
    assert next_field_key([{"key": "date"}, {"key": "f1"}, {"key": "f2"}]) == "f3"
    assert next_field_key([{"key": "f7"}, {"key": "place"}]) == "f8"  # stable: never reuses a removed gap


def test_intake_form_spec_counts_its_fixed_fields():
    assert forms.fixed_field_count("intake") >= 10  # parties, the dispute, photos
    assert forms.field_count("intake", []) == forms.fixed_field_count("intake")
    assert forms.field_count("village_talks", [{"key": "f1"}]) == 1


def test_register_list_shows_submission_time_in_china_time_and_channel(db, world):
    _, coordinator, m1, _ = world
    with db.write() as s:
        registers.add_entry(s, actor=m1, code="village_talks", values=entry())
    token = issue_form_token(utc_now() - timedelta(seconds=20))
    registers.submit_public_entry(
        db, code="village_talks", token=token, values=entry(), client="1.2.3.4", org_code="V1"
    )
    with db.write() as s:  # 23:30 UTC on 30 Nov is 07:30 on 1 Dec in China
        for e in s.exec(select(FormSubmission).where(FormSubmission.form_code == "village_talks")).all():
            e.created_at = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
            s.add(e)
    with db.read() as s:
        rows = register_views.list_entries(s, actor=coordinator, code="village_talks")
        data = register_views.export_entries(s, actor=coordinator, code="village_talks", lang="zh-CN")
    assert sorted(r.channel for r in rows) == ["qr", "staff"]
    assert all(r.submitted.startswith("2026-12-01 07:30") for r in rows)
    sheet = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert sheet[0][-2:] == ("提交时间", "填报渠道")
    assert sorted(r[-1] for r in sheet[1:]) == ["二维码", "工作人员"]
