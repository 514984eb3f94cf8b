"""Dictionaries through the generic admin: add, rename, reorder, retire (never delete), zh and en; a category's
sector and professional-committee flag; every change audited; retired values read on old cases, not offered."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from models import AuditLog, DictionaryEntry
from services.admin import entities as admin
from services.admin.forms import FormInvalid
from services.cases import record as case_record
from services.core.errors import PermissionDenied, ValidationFailed
from services.lowcode import dictionaries
from tests.case_factories import make_world, staff_input


def _entry(db, dictionary: str, code: str) -> DictionaryEntry:
    with db.read() as s:
        return s.exec(
            select(DictionaryEntry).where(DictionaryEntry.dictionary == dictionary, DictionaryEntry.code == code)
        ).one()


def _audits(db, entry_id: int) -> list[AuditLog]:
    with db.read() as s:
        return list(
            s.exec(
                select(AuditLog)
                .where(AuditLog.entity == "dictionaryentry", AuditLog.entity_id == entry_id)
                .order_by(col(AuditLog.id))
            )
        )


def test_add_dictionary_value_with_sector_and_committee(db):
    w = make_world(db)
    with db.write() as s:
        new_id = admin.create_record(
            s,
            actor=w.coordinator,
            entity="dictionary",
            data={
                "dictionary": "category",
                "code": "village_group",
                "label_zh": "村组纠纷",
                "label_en": "Village group",
                "position": 3,
                "active": True,
                "sector": "labour",
                "committee": True,
            },
        )
    entry = _entry(db, "category", "village_group")
    assert entry.id == new_id and entry.meta == {"sector": "labour", "committee": True}
    with db.read() as s:
        assert dictionaries.labels(s, "category", "en")["village_group"] == "Village group"
        assert dictionaries.labels(s, "category", "zh-CN")["village_group"] == "村组纠纷"
    [log] = _audits(db, new_id)
    assert log.action == "admin.create" and log.actor_id == w.coordinator.user_id
    assert log.detail["values"]["committee"] is True and log.detail["values"]["sector"] == "labour"


def test_rename_reorder_and_flag_category_audited(db):
    w = make_world(db)
    loan = _entry(db, "category", "loan")
    old_position = loan.position
    assert dictionaries.committee_of(loan) is False and dictionaries.committee_of(_entry(db, "category", "medical"))
    with pytest.raises(ValidationFailed), db.write() as s:  # the code is fixed once created (old cases keep it)
        admin.update_record(
            s, actor=w.coordinator, entity="dictionary", record_id=loan.id or 0, data={"code": "renamed"}
        )
    with db.write() as s:
        changed = admin.update_record(
            s,
            actor=w.coordinator,
            entity="dictionary",
            record_id=loan.id or 0,
            data={"label_zh": "民间借贷纠纷", "label_en": "Private lending", "position": 0, "committee": True},
        )
    assert changed == ["committee", "label_en", "label_zh", "position"]
    loan = _entry(db, "category", "loan")
    assert (loan.label_zh, loan.position, dictionaries.committee_of(loan)) == ("民间借贷纠纷", 0, True)
    with db.read() as s:
        assert dictionaries.active_codes(s, "category")[:2] == ["marriage_family", "loan"]  # ties: oldest first
    [log] = _audits(db, loan.id or 0)
    assert log.detail["old"] == {
        "label_zh": "借贷纠纷",
        "label_en": "Loans and debts",
        "position": old_position,
        "committee": False,
    }
    assert log.detail["new"]["label_zh"] == "民间借贷纠纷"


def test_retire_value_keeps_old_cases_readable_and_refuses_new_ones(db):
    w = make_world(db)
    with db.write() as s:
        old_case = case_record.register_case(s, actor=w.mediator, data=staff_input(category="loan"))
    loan = _entry(db, "category", "loan")
    with db.write() as s:
        admin.update_record(s, actor=w.coordinator, entity="dictionary", record_id=loan.id or 0, data={"active": False})
    with db.read() as s:
        assert "loan" not in dictionaries.active_codes(s, "category")
        assert dictionaries.labels(s, "category", "zh-CN")[old_case.category] == "借贷纠纷"  # old cases read well
        assert s.get(DictionaryEntry, loan.id) is not None  # retired, never deleted
    with pytest.raises(ValidationFailed) as err, db.write() as s:
        case_record.register_case(s, actor=w.mediator, data=staff_input(category="借贷纠纷"))
    assert err.value.key == "error.category_invalid"
    assert [a.action for a in _audits(db, loan.id or 0)] == ["admin.update"]


def test_refuse_committee_flag_outside_categories(db):
    w = make_world(db)
    source = _entry(db, "source", "walk_in")
    with pytest.raises(FormInvalid) as err, db.write() as s:
        admin.update_record(
            s, actor=w.coordinator, entity="dictionary", record_id=source.id or 0, data={"committee": True}
        )
    assert err.value.errors == {"committee": ("error.dictionary_category_only", {})}
    assert _entry(db, "source", "walk_in").meta == {}


def test_refuse_dictionary_edit_without_permission(db):
    w = make_world(db)
    with pytest.raises(PermissionDenied), db.write() as s:
        admin.create_record(
            s,
            actor=w.mediator,
            entity="dictionary",
            data={"dictionary": "source", "code": "wechat", "label_zh": "微信", "label_en": "WeChat"},
        )


def test_refuse_duplicate_code_in_dictionary(db):
    w = make_world(db)
    with pytest.raises(FormInvalid), db.write() as s:
        admin.create_record(
            s,
            actor=w.coordinator,
            entity="dictionary",
            data={"dictionary": "category", "code": "loan", "label_zh": "借贷", "label_en": "Loan"},
        )
