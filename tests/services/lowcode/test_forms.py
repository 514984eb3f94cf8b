"""The form builder's service: create, save versions (validated, audited), retire, list, history."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from models import AuditLog, FormSpec
from services.core.errors import Conflict, PermissionDenied
from services.lowcode import forms
from services.lowcode.spec_checks import SpecInvalid
from tests.factories import make_actor, make_tree

FIELDS = [
    {"key": "day", "type": "date", "label_zh": "日期", "label_en": "Date", "required": True},
    {"key": "kind", "type": "choice", "label_zh": "类型", "dictionary": "category"},
]


@pytest.fixture
def office(db):
    with db.write() as s:
        tree = make_tree(s)
        return make_actor(s, tree["county"], ["coordinator"]), make_actor(s, tree["v1"], ["mediator"])


def draft(**kw):
    return forms.FormDraft(**{"code": "village_visit", "title_zh": "走访登记", "fields": FIELDS, **kw})


def test_create_form_saves_version_one_and_audits(db, office):
    coordinator, _ = office
    with db.write() as s:
        spec = forms.create_form(s, actor=coordinator, draft=draft())
    with db.read() as s:
        assert forms.get_form(s, "village_visit").version == 1
        assert spec.org_id == coordinator.org_id and spec.is_register and spec.title_en == "走访登记"
        log = s.exec(select(AuditLog).where(AuditLog.action == "form.create", AuditLog.entity_id == spec.id)).one()
        assert log.actor_id == coordinator.user_id and log.detail["fields"] == ["day", "kind"]


def test_create_form_refuses_mediator(db, office):
    _, mediator = office
    with pytest.raises(PermissionDenied), db.write() as s:
        forms.create_form(s, actor=mediator, draft=draft())


def test_create_form_refuses_bad_code_and_taken_code(db, office):
    coordinator, _ = office
    with pytest.raises(SpecInvalid) as err, db.write() as s:
        forms.create_form(s, actor=coordinator, draft=draft(code="Bad Code"))
    assert err.value.problems[0].key == "error.form_code_syntax"
    with pytest.raises(Conflict), db.write() as s:
        forms.create_form(s, actor=coordinator, draft=draft(code="screening_visit"))


def test_save_version_adds_a_row_and_keeps_the_old(db, office):
    coordinator, _ = office
    with db.write() as s:
        forms.create_form(s, actor=coordinator, draft=draft())
    with db.write() as s:
        v2 = forms.save_version(
            s,
            actor=coordinator,
            code="village_visit",
            expected_version=1,
            fields=[*FIELDS, {"key": "note", "type": "long_text", "label_zh": "备注"}],
        )
    with db.read() as s:
        history = forms.form_history(s, "village_visit")
        assert [h.version for h in history] == [2, 1] and len(history[1].fields) == 2 and v2.version == 2
        log = s.exec(select(AuditLog).where(AuditLog.action == "form.save_version", AuditLog.entity_id == v2.id)).one()
        assert len(log.detail["before"]["fields"]) == 2 and len(log.detail["after"]["fields"]) == 3


def test_save_version_refuses_invalid_fields_and_writes_nothing(db, office):
    coordinator, _ = office
    with db.write() as s:
        forms.create_form(s, actor=coordinator, draft=draft())
    bad = [
        *FIELDS,
        {"key": "day", "type": "number", "label_zh": "重复"},
        {"key": "x", "type": "text", "label_zh": "条件", "condition": {"field": "later", "equals": "1"}},
    ]
    with pytest.raises(SpecInvalid) as err, db.write() as s:
        forms.save_version(s, actor=coordinator, code="village_visit", fields=bad)
    assert {p.key for p in err.value.problems} == {"error.form_key_duplicate", "error.form_condition_field"}
    with db.read() as s:
        assert forms.get_form(s, "village_visit").version == 1


def test_save_version_refuses_stale_edit(db, office):
    coordinator, _ = office
    with db.write() as s:
        forms.create_form(s, actor=coordinator, draft=draft())
        forms.save_version(s, actor=coordinator, code="village_visit", fields=FIELDS, expected_version=1)
    with pytest.raises(Conflict), db.write() as s:
        forms.save_version(s, actor=coordinator, code="village_visit", fields=FIELDS, expected_version=1)


def test_save_version_refuses_register_types_on_intake(db, office):
    coordinator, _ = office
    with pytest.raises(SpecInvalid) as err, db.write() as s:
        forms.save_version(
            s, actor=coordinator, code="intake", fields=[{"key": "pic", "type": "photo", "label_zh": "照片"}]
        )
    assert err.value.problems[0].key == "error.form_type_not_here"
    with db.write() as s:  # an empty custom-field list is fine for the built-in form
        assert forms.save_version(s, actor=coordinator, code="intake", fields=[]).version == 2


def test_retire_form_and_list_forms(db, office):
    coordinator, _ = office
    with db.write() as s:
        forms.retire_form(s, actor=coordinator, code="joint_meeting")
    with db.read() as s:
        active = {f.code for f in forms.list_forms(s, registers_only=True, include_retired=False)}
        every = {f.code: f for f in forms.list_forms(s)}
        versions = s.exec(
            select(FormSpec.version).where(FormSpec.code == "joint_meeting").order_by(col(FormSpec.version))
        ).all()
    assert active == {"screening_visit", "legal_education"}
    assert every["joint_meeting"].status == "retired" and {"intake", "staff_intake"} <= set(every)
    assert versions == [1, 2]
    with pytest.raises(Conflict), db.write() as s:
        forms.retire_form(s, actor=coordinator, code="intake")


def test_spec_fields_fill_dictionary_options(db, office):
    with db.read() as s:
        spec = forms.get_form(s, "screening_visit")
        fields = {f.key: f for f in forms.spec_fields(s, spec)}
    assert "neighbour" in {c for c, _, _ in fields["category"].options}
