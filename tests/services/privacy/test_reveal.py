from __future__ import annotations

import pytest
from sqlmodel import select

from models import AuditLog, CaseEvent, Party
from services.cases import joint
from services.cases.create import PartyInput
from services.core.errors import NotFound, OutOfScope, PermissionDenied, ValidationFailed
from services.privacy import reveal
from tests.case_factories import accepted_case, handed_over, make_world


def _case(db, w):
    case = accepted_case(
        db,
        w.mediator,
        parties=[
            PartyInput(side="applicant", name="王五", phone="13812345678", id_number="11010519491231002X"),
            PartyInput(side="respondent", name="李四"),
        ],
    )
    with db.read() as s:
        return case, s.exec(select(Party).where(Party.case_id == case.id).order_by(Party.id)).first()


def test_reveal_for_handling_mediator_audited_each_time(db):
    w = make_world(db)
    _, party = _case(db, w)
    for _ in range(2):
        with db.write() as s:
            assert reveal.reveal_party(s, actor=w.mediator, party_id=party.id, field="phone") == "13812345678"
    with db.write() as s:
        assert reveal.reveal_party(s, actor=w.mediator, party_id=party.id, field="id_number") == "11010519491231002X"
    with db.read() as s:
        rows = s.exec(select(AuditLog).where(AuditLog.action == "pii.reveal")).all()
        events = s.exec(select(CaseEvent).where(CaseEvent.kind == "pii.reveal")).all()
    assert len(rows) == 3 and {r.detail["field"] for r in rows} == {"phone", "id_number"}
    assert all(r.actor_id == w.mediator.user_id and r.entity_id == party.id for r in rows)
    assert len(events) == 3 and "13812345678" not in str([e.data for e in events])


def test_reveal_refused_outside_handling(db):
    w = make_world(db)
    _, party = _case(db, w)
    with pytest.raises(OutOfScope), db.write() as s:
        reveal.reveal_party(s, actor=w.mediator2, party_id=party.id, field="phone")
    # the justice office sees the county's cases but does not handle them
    with pytest.raises(PermissionDenied), db.write() as s:
        reveal.reveal_party(s, actor=w.justice, party_id=party.id, field="phone")
    with pytest.raises(NotFound), db.write() as s:
        reveal.reveal_party(s, actor=w.mediator, party_id=987654, field="phone")
    with pytest.raises(ValidationFailed), db.write() as s:
        reveal.reveal_party(s, actor=w.mediator, party_id=party.id, field="address")
    with db.write() as s:  # the coordination office may, within its county
        assert reveal.reveal_party(s, actor=w.coordinator, party_id=party.id, field="phone") == "13812345678"
    with db.read() as s:
        assert len(s.exec(select(AuditLog).where(AuditLog.action == "pii.reveal")).all()) == 1


def test_reveal_for_joint_participant_but_not_for_sender(db):
    w = make_world(db)
    case, party = _case(db, w)
    with db.write() as s:
        joint.add_participant(s, actor=w.coordinator, case_id=case.id, org_id=w.orgs["v2"].id)
    with db.write() as s:
        assert reveal.reveal_party(s, actor=w.mediator2, party_id=party.id, field="phone") == "13812345678"
    sent = handed_over(db, w)
    with db.read() as s:
        p = s.exec(select(Party).where(Party.case_id == sent.id)).first()
    # police hand over, they do not mediate
    with pytest.raises(PermissionDenied), db.write() as s:
        reveal.reveal_party(s, actor=w.police, party_id=p.id, field="phone")
