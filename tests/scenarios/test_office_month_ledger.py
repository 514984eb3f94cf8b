"""The office month's ledger, on SQLite and PostgreSQL (issue 23): two villages' mediators claim their cases'
subsidies; the justice office audits the filtered list in one go, a second person approves it in one go (each
seeing the count and the total first), a third pays the county's batch; nobody did two steps of one claim, every
history row names its person, and the batch total equals the sum of its claims and of the pay entries."""

from __future__ import annotations

import pytest
from sqlmodel import col, func, select

from models import LedgerEntry, PayoutBatch, SubsidyClaim
from services.core.errors import PermissionDenied
from services.ledger import bulk
from services.ledger import claims as ledger
from services.ledger import payout as ledger_payout
from services.ledger.views import claim_history
from tests.ledger_factories import make_world, succeeded_case


def test_a_month_of_claims_goes_through_four_people_and_adds_up(db):
    with db.write() as s:
        w = make_world(s)
    claims = []
    for i in range(6):
        org, mediator, mediator_id = (
            (w.tree["v1"], w.mediator, w.mediator_id) if i % 2 else (w.tree["v2"], w.mediator2, w.mediator2_id)
        )
        with db.write() as s:
            case = succeeded_case(s, org, mediator_id=mediator_id, auditor=w.auditor)
            claims.append(ledger.claim_case(s, actor=mediator, case_id=case.id or 0).id or 0)

    # the auditor ticks "all N shown" and confirms, having seen the count and the total
    with db.read() as s:
        to_audit = bulk.candidates(s, actor=w.auditor, action="audit", status="claimed")
    assert {p.claim_id for p in to_audit.picks} == set(claims) and to_audit.count == len(claims)
    with db.read() as s:
        claimed_total = int(
            s.exec(select(func.sum(SubsidyClaim.amount_fen)).where(col(SubsidyClaim.id).in_(claims))).one() or 0
        )
    assert to_audit.total_fen == claimed_total > 0
    audited = bulk.review_each(db, actor=w.auditor, action="audit", picks=to_audit.picks)
    assert len(audited.done) == len(claims) and not audited.refused and not audited.changed

    # the auditor may not approve what they audited: the whole selection is refused, claim by claim
    with db.read() as s:
        own = bulk.candidates(s, actor=w.auditor, action="approve", status="audited")
    refused = bulk.review_each(db, actor=w.auditor, action="approve", picks=own.picks)
    assert not refused.done and {r.key for r in refused.refused} == {"error.ledger_duty.audit_approve"}

    # a second person approves the lot
    with db.read() as s:
        to_approve = bulk.candidates(s, actor=w.approver, action="approve", status="audited")
    assert (to_approve.count, to_approve.total_fen) == (len(claims), claimed_total)
    approved = bulk.review_each(db, actor=w.approver, action="approve", picks=to_approve.picks)
    assert len(approved.done) == len(claims)

    # a third makes the county's batch and pays it; the approver could not have
    with db.write() as s:
        batch = ledger_payout.create_batch(s, actor=w.payer, region_org_id=w.tree["county"].id or 0)
    with pytest.raises(PermissionDenied) as err, db.write() as s:
        ledger_payout.mark_batch_paid(s, actor=w.approver, batch_id=batch.id or 0)
    assert err.value.key == "error.ledger_duty.approve_pay"
    with db.write() as s:
        paid = ledger_payout.mark_batch_paid(s, actor=w.payer, batch_id=batch.id or 0)
    with db.write() as s:  # a double click pays nothing again
        assert ledger_payout.mark_batch_paid(s, actor=w.payer, batch_id=batch.id or 0).replayed
    assert paid.paid_claims == len(claims)

    with db.read() as s:
        stored = s.get(PayoutBatch, batch.id)
        statuses = set(s.exec(select(SubsidyClaim.status).where(col(SubsidyClaim.id).in_(claims))).all())
        pay_total = s.exec(
            select(func.sum(LedgerEntry.amount_fen)).where(
                col(LedgerEntry.claim_id).in_(claims), LedgerEntry.action == "pay"
            )
        ).one()
        for claim_id in claims:
            people = s.exec(
                select(LedgerEntry.actor_id).where(
                    LedgerEntry.claim_id == claim_id, col(LedgerEntry.action).in_(("claim", "audit", "approve", "pay"))
                )
            ).all()
            assert len(people) == len(set(people)) == 4, "one person did two steps of a claim"
            history = claim_history(s, actor=w.auditor, claim_id=claim_id)
            assert all(row.actor_name for row in history), "a history row without its person"
    assert statuses == {"paid"}
    assert stored is not None and stored.total_fen == claimed_total == pay_total
