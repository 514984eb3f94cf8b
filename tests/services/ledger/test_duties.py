"""Separation of duties (issue 23 #5): by default claimant, auditor, approver and payer are four people; the office
may relax a pair in its rules; every history row names its person; bulk review one short transaction per claim."""

from __future__ import annotations

import pytest
from sqlmodel import select

from models import LedgerEntry, SubsidyClaim, User
from services.core.errors import PermissionDenied
from services.core.i18n import translate
from services.ledger import bulk, duties
from services.ledger import claims as ledger
from services.ledger import payout as ledger_payout
from services.ledger.views import claim_history
from tests.factories import make_actor
from tests.ledger_factories import make_world, succeeded_case


@pytest.fixture
def world(db):
    with db.write() as s:
        return make_world(s)


def _claim(db, world) -> int:
    with db.write() as s:
        case = succeeded_case(s, world.tree["v1"], mediator_id=world.mediator_id, auditor=world.auditor)
        return ledger.claim_case(s, actor=world.mediator, case_id=case.id).id or 0


def test_one_person_cannot_audit_and_approve_the_same_claim(db, world):
    claim_id = _claim(db, world)
    with db.write() as s:
        ledger.audit_claim(s, actor=world.auditor, claim_id=claim_id)
    with pytest.raises(PermissionDenied) as err, db.write() as s:
        ledger.approve_claim(s, actor=world.auditor, claim_id=claim_id)
    assert err.value.key == "error.ledger_duty.audit_approve"
    words = translate(err.value.key, "zh-CN", **err.value.params)
    assert "同一人不能既审核又审批同一笔补贴" in words and err.value.params["case_no"] in words
    with db.write() as s:
        ledger.approve_claim(s, actor=world.approver, claim_id=claim_id)
        batch = ledger_payout.create_batch(s, actor=world.approver, region_org_id=world.tree["county"].id)
    for did_a_step in (world.approver, world.auditor):  # the payout too: nobody pays what they approved or audited
        with pytest.raises(PermissionDenied) as err, db.write() as s:
            ledger_payout.mark_batch_paid(s, actor=did_a_step, batch_id=batch.id)
        assert err.value.key in ("error.ledger_duty.approve_pay", "error.ledger_duty.audit_pay")
    with db.read() as s:
        assert s.get(SubsidyClaim, claim_id).status == "approved"
    with db.write() as s:
        assert ledger_payout.mark_batch_paid(s, actor=world.payer, batch_id=batch.id).paid_claims == 1
    with db.read() as s:
        people = s.exec(select(LedgerEntry.actor_id).where(LedgerEntry.claim_id == claim_id)).all()
    assert len(people) == len(set(people)) == 4


def test_office_may_let_its_auditor_approve(db, world):
    with db.write() as s:
        coordinator = make_actor(s, world.tree["county"], ["coordinator"])
        assert duties.current(s, actor=coordinator).value == {"may_share": []}  # the default: four people
        duties.change(s, actor=coordinator, value={"may_share": ["audit_approve"]}, base_version=0, note="人手少")
    claim_id = _claim(db, world)
    with db.write() as s:
        ledger.audit_claim(s, actor=world.auditor, claim_id=claim_id)
        ledger.approve_claim(s, actor=world.auditor, claim_id=claim_id)
        batch = ledger_payout.create_batch(s, actor=world.auditor, region_org_id=world.tree["county"].id)
    with pytest.raises(PermissionDenied) as err, db.write() as s:  # paying stays apart: not allowed by the office
        ledger_payout.mark_batch_paid(s, actor=world.auditor, batch_id=batch.id)
    assert err.value.key == "error.ledger_duty.audit_pay"
    with db.read() as s:
        history = duties.history(s, actor=coordinator)
    assert [(v.version, v.note) for v in history] == [(1, "人手少")]
    assert [(c.path, c.before, c.after) for c in history[0].changes] == [(("may_share", "audit_approve"), None, True)]
    with db.write() as s:
        duties.rollback(s, actor=coordinator, version=0, base_version=1)
    claim2 = _claim(db, world)
    with db.write() as s:
        ledger.audit_claim(s, actor=world.auditor, claim_id=claim2)
    with pytest.raises(PermissionDenied), db.write() as s:
        ledger.approve_claim(s, actor=world.auditor, claim_id=claim2)


def test_claim_history_names_every_person(db, world):
    claim_id = _claim(db, world)
    with db.write() as s:
        ledger.audit_claim(s, actor=world.auditor, claim_id=claim_id, note="卷宗齐全")
        ledger.approve_claim(s, actor=world.approver, claim_id=claim_id)
        batch = ledger_payout.create_batch(s, actor=world.payer, region_org_id=world.tree["county"].id)
        ledger_payout.mark_batch_paid(s, actor=world.payer, batch_id=batch.id)
    with db.read() as s:
        rows = claim_history(s, actor=world.auditor, claim_id=claim_id)
        names = {
            a.user_id: s.get(User, a.user_id).display_name
            for a in (world.mediator, world.auditor, world.approver, world.payer)
        }
    assert [(r.action, r.actor_name) for r in rows] == [
        ("claim", names[world.mediator.user_id]),
        ("audit", names[world.auditor.user_id]),
        ("approve", names[world.approver.user_id]),
        ("pay", names[world.payer.user_id]),
    ]
    assert all(r.org_name for r in rows)

    with db.write() as s:  # a claim seeded or imported without its user (the demo's village claims)
        case = succeeded_case(s, world.tree["v1"], mediator_id=world.mediator_id, auditor=world.auditor)
        claim = SubsidyClaim(
            case_id=case.id, mediator_id=world.mediator_id, org_id=case.org_id, grade="standard", amount_fen=10_000
        )
        s.add(claim)
        s.flush()
        s.add(LedgerEntry(claim_id=claim.id, action="claim", amount_fen=10_000, to_status="claimed"))
        seeded = claim.id
    with db.read() as s:
        (row,) = claim_history(s, actor=world.auditor, claim_id=seeded)
    assert (row.action, row.actor_name, row.org_name) == ("claim", "王调解", world.tree["v1"].name)


def test_bulk_review_reports_claims_changed_meanwhile_and_refused(db, world):
    ids = [_claim(db, world) for _ in range(3)]
    with db.write() as s:
        ledger.audit_claim(s, actor=world.auditor, claim_id=ids[0])
        ledger.audit_claim(s, actor=world.auditor, claim_id=ids[1])
        ledger.audit_claim(s, actor=world.approver, claim_id=ids[2])  # the approver audited this one himself
    with db.read() as s:
        shown = bulk.candidates(s, actor=world.approver, action="approve", status="audited")
    assert (shown.count, shown.total_fen, shown.blocked) == (3, 30_000, 1)
    with db.write() as s:  # meanwhile a colleague refuses one of them
        ledger.reject_claim(s, actor=world.auditor, claim_id=ids[1], reason="材料不全，退回")
    result = bulk.review_each(db, actor=world.approver, action="approve", picks=shown.picks)
    assert [p.claim_id for p in result.done] == [ids[0]]
    assert [p.claim_id for p in result.changed] == [ids[1]]
    assert [(r.pick.claim_id, r.key) for r in result.refused] == [(ids[2], "error.ledger_duty.audit_approve")]
    with db.read() as s:
        status = {c.id: c.status for c in s.exec(select(SubsidyClaim)).all()}
    assert [status[i] for i in ids] == ["approved", "rejected", "audited"]
