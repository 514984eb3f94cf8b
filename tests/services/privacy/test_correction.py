"""Correction (PIPL 46): a party's details corrected by staff handling the case, re-encrypted, re-indexed, audited."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from models import AuditLog, Case, CaseEvent, Party
from models.base import utc_now
from services.core.config import get_settings
from services.core.errors import PermissionDenied, ValidationFailed
from services.core.security import blind_index, decrypt_id
from services.privacy.correction import PartyCorrection, correct_party
from tests.case_factories import accepted_case, make_world
from tests.privacy.canary import Canary

NEW = Canary(900)


def _party(db, case_id):
    with db.read() as s:
        return s.exec(select(Party).where(Party.case_id == case_id, Party.side == "applicant")).one()


def test_correct_party_reencrypts_and_audits_masked(db):
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    p = _party(db, case.id)
    with db.write() as s:
        correct_party(
            s,
            actor=w.mediator,
            party_id=p.id,
            correction=PartyCorrection(name=NEW.name, phone=NEW.phone, address=NEW.address, id_number=NEW.id_number),
        )
    key = get_settings().data_key
    after = _party(db, case.id)
    assert (after.name, after.phone, after.address) == (NEW.name, NEW.phone, NEW.address)
    assert decrypt_id(after.id_number_enc, [key]) == NEW.id_number
    assert after.id_number_index == blind_index(NEW.id_number, key)
    assert after.phone_index == blind_index(NEW.phone, key, "phone")
    with db.read() as s:
        row = s.exec(select(AuditLog).where(AuditLog.action == "party.correct")).one()
        event = s.exec(select(CaseEvent).where(CaseEvent.kind == "party.corrected")).one()
    text = json.dumps(row.detail, ensure_ascii=False) + json.dumps(event.data, ensure_ascii=False)
    assert row.detail["after"]["phone"] == NEW.phone[:3] + "****" + NEW.phone[-4:]
    assert row.detail["before"]["name"] == "张某" and set(row.detail["fields"]) == {
        "name",
        "phone",
        "address",
        "id_number",
    }
    assert [v for v in NEW.values() if v in text] == []


def test_correct_party_clears_a_phone(db):
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    p = _party(db, case.id)
    with db.write() as s:
        correct_party(s, actor=w.mediator, party_id=p.id, correction=PartyCorrection(phone=""))
    assert (_party(db, case.id).phone, _party(db, case.id).phone_index) == ("", None)


def test_correct_party_refuses_bad_values_and_other_villages(db):
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    p = _party(db, case.id)
    with pytest.raises(ValidationFailed), db.write() as s:
        correct_party(s, actor=w.mediator, party_id=p.id, correction=PartyCorrection(id_number="511524199001011234"))
    with pytest.raises(PermissionDenied), db.write() as s:
        correct_party(s, actor=w.mediator2, party_id=p.id, correction=PartyCorrection(name="王五"))
    assert _party(db, case.id).name == p.name


def test_correct_party_refuses_an_anonymised_case(db):
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    with db.write() as s:
        c = s.get(Case, case.id)
        c.anonymised_at = utc_now()
        s.add(c)
    with pytest.raises(ValidationFailed), db.write() as s:
        correct_party(s, actor=w.mediator, party_id=_party(db, case.id).id, correction=PartyCorrection(name="王五"))
