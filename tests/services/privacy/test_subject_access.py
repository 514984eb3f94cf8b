"""PRIV-4: subject access for 20 seeded people: 100% of their rows, 0 rows (or values) of anyone else."""

from __future__ import annotations

import json

import pytest
from openpyxl import load_workbook
from sqlmodel import col, select

from models import AuditLog, Party
from services.core.errors import ValidationFailed
from services.privacy.subject_access import subject_export, to_json, to_xlsx
from tests.privacy.canary import Canary, seed

SUBJECTS = 20


def test_subject_export_holds_everything_and_nobody_else(db):
    seed(db, SUBJECTS // 2, SUBJECTS // 2)  # canaries 0..39, two per case
    people = [Canary(i) for i in range(2 * SUBJECTS)]
    for n in range(0, 2 * SUBJECTS, 2):  # 20 subjects, each with a co-party in the same case
        me, other = Canary(n), Canary(n + 1)
        with db.write() as s:
            data = subject_export(s, id_number=me.id_number) if n % 4 else subject_export(s, phone=me.phone)
            mine = s.exec(select(Party).where(Party.phone == me.phone)).all()
        assert [p["id"] for p in data["parties"]] == [p.id for p in mine]
        assert data["parties"][0]["id_number"] == me.id_number and data["parties"][0]["address"] == me.address
        assert {c["id"] for c in data["cases"]} == {p.case_id for p in mine}
        assert len(data["sessions"]) == len(data["agreements"]) == len(data["follow_ups"]) == 1
        assert len(data["attachments"]) == 1 and "content" not in data["attachments"][0]
        body = to_json(data).decode()
        assert me.name in body
        foreign = [v for p in people if p.n != me.n for v in p.values() if v in body]
        assert foreign == [], (n, foreign)  # the co-party is 某 in the narratives; other cases are absent
        assert other.name[0] + "某" in body
    with db.read() as s:
        audits = s.exec(select(AuditLog).where(AuditLog.action == "privacy.subject_export")).all()
    assert len(audits) == SUBJECTS
    assert all(people[0].phone not in json.dumps(a.detail) for a in audits)


def test_subject_export_as_xlsx(db):
    seed(db, 1, 0)
    with db.write() as s:
        data = subject_export(s, phone=Canary(0).phone)
    wb = load_workbook(__import__("io").BytesIO(to_xlsx(data)))
    assert "parties" in wb.sheetnames and wb["parties"].max_row == 2


def test_subject_export_of_an_unknown_person_is_empty_and_audited(db):
    with db.write() as s:
        assert subject_export(s, phone="13900000000") == {"parties": []}
        assert s.exec(select(col(AuditLog.id)).where(AuditLog.action == "privacy.subject_export")).all()


def test_subject_export_refuses_a_bad_lookup(db):
    with pytest.raises(ValidationFailed), db.write() as s:
        subject_export(s, id_number="123")
