from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from models import AuditLog, CaseEvent, Party
from services.access.authz import get_case_in_scope
from services.cases.create import PartyInput
from services.core.config import get_settings
from services.core.errors import NotFound, OutOfScope, ValidationFailed
from services.core.security import decrypt_id
from tests.factories import make_actor, make_case, make_tree


def test_create_case_numbers_and_history(db):
    with db.write() as s:
        tree = make_tree(s)
        c1 = make_case(s, tree["v1"])
        c2 = make_case(s, tree["v1"])
        assert c1.case_no.endswith("-V1-00001") and c2.case_no.endswith("-V1-00002")
        assert c1.county_id == tree["county"].id
    with db.read() as s:
        assert s.exec(select(CaseEvent).where(CaseEvent.case_id == c1.id)).one().kind == "created"


def test_create_case_encrypts_id_number(db):
    with db.write() as s:
        tree = make_tree(s)
        case = make_case(
            s, tree["v1"], parties=[PartyInput(side="applicant", name="王五", id_number="11010519491231002X")]
        )
    with db.read() as s:
        party = s.exec(select(Party).where(Party.case_id == case.id)).one()
        assert "11010519491231002X" not in (party.id_number_enc or "")
        assert party.id_number_masked == "1101**********002X"
        assert decrypt_id(party.id_number_enc or "", [get_settings().data_key]) == "11010519491231002X"


def test_create_case_bad_id_refused(db):
    with db.write() as s:
        tree = make_tree(s)
        with pytest.raises(ValidationFailed) as err:
            make_case(
                s, tree["v1"], parties=[PartyInput(side="applicant", name="王五", id_number="110105194912310021")]
            )
        assert err.value.key == "error.id_invalid"


def test_get_case_refuses_other_village(db):
    with db.write() as s:
        tree = make_tree(s)
        case = make_case(s, tree["v2"])
        actor = make_actor(s, tree["v1"], ["mediator"])
        town_actor = make_actor(s, tree["town"], ["coordinator"])
    with db.read() as s:
        with pytest.raises(OutOfScope):
            get_case_in_scope(s, actor, case.id)
        with pytest.raises(NotFound):
            get_case_in_scope(s, actor, 999999)
        assert get_case_in_scope(s, town_actor, case.id).id == case.id


def test_audit_log_is_append_only(db):
    with db.write() as s:
        make_tree(s)
        make_case(s, s.exec(select(__import__("models").Organisation)).first())
    with pytest.raises(DBAPIError), db.write() as s:
        row = s.exec(select(AuditLog)).first()
        row.action = "tampered"
        s.add(row)
