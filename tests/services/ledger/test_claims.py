"""Claims and the review chain: eligibility, rates, holds, who may do what, and every step on the ledger."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from models import Agreement, AuditLog, FollowUp, LedgerEntry, SubsidyClaim, SubsidyRate
from models.ledger import ClaimStatus
from services.access.authz import Actor
from services.access.permissions import P
from services.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from services.ledger import claims as ledger
from services.ledger.policy import parse_hold_reason, parse_yuan, rate_in_force
from services.ledger.views import claim_history, claimable_cases, my_claims
from tests.ledger_factories import make_world, succeeded_case, unique_parties

# Engine-neutral rules run on SQLite only (keeps the suite fast); money, locks, constraints and dates
# run on both engines through the plain `db` fixture.
SQLITE_ONLY = pytest.mark.parametrize("db", ["sqlite"], indirect=True)


@pytest.fixture
def world(db):
    with db.write() as s:
        return make_world(s)


def _case(db, world, org="v1", **kw):
    with db.write() as s:
        kw.setdefault("mediator_id", world.mediator_id)
        return succeeded_case(s, world.tree[org], auditor=world.auditor, **kw)


def _entries(db, claim_id):
    with db.read() as s:
        return s.exec(select(LedgerEntry).where(LedgerEntry.claim_id == claim_id).order_by(LedgerEntry.id)).all()


def test_claim_case_at_rate_in_force_on_closing_date(db, world):
    with db.write() as s:
        s.add(SubsidyRate(grade="standard", amount_fen=12_000, valid_from=date(2026, 7, 1)))
    before = _case(db, world, concluded=datetime(2026, 6, 30, 15, 0, tzinfo=UTC))  # 23:00 in China: still June 30
    after = _case(db, world, concluded=datetime(2026, 6, 30, 16, 30, tzinfo=UTC))  # 00:30 on July 1 in China
    with db.write() as s:
        c1 = ledger.claim_case(s, actor=world.mediator, case_id=before.id)
        c2 = ledger.claim_case(s, actor=world.mediator, case_id=after.id)
    assert (c1.amount_fen, c2.amount_fen) == (10_000, 12_000)
    assert c1.status == c2.status == "claimed" and c1.mediator_id == world.mediator_id


@SQLITE_ONLY
def test_rate_in_force_prefers_kind_then_region_then_latest(db, world):
    tree = world.tree
    with db.write() as s:
        for fen, start, region, end in (
            (7_000, 2024, "county", None),
            (8_000, 2024, "town", None),
            (9_000, 2025, "town", date(2025, 12, 31)),
        ):
            s.add(
                SubsidyRate(
                    grade="simple",
                    amount_fen=fen,
                    valid_from=date(start, 1, 1),
                    region_org_id=tree[region].id,
                    valid_to=end,
                )
            )
    with db.read() as s:
        v1, county2, police = (s.get(type(tree["v1"]), tree[k].id) for k in ("v1", "county2", "police"))
        assert rate_in_force(s, grade="simple", org=v1, on=date(2024, 6, 1)).amount_fen == 8_000
        assert rate_in_force(s, grade="simple", org=v1, on=date(2025, 6, 1)).amount_fen == 9_000
        assert rate_in_force(s, grade="simple", org=v1, on=date(2026, 6, 1)).amount_fen == 8_000
        assert rate_in_force(s, grade="simple", org=county2, on=date(2026, 6, 1)).amount_fen == 6_000
        assert rate_in_force(s, grade="simple", org=police, on=date(2019, 6, 1)) is None


@SQLITE_ONLY
def test_claim_petition_room_and_on_the_spot_rates(db, world):
    from services.roster.orgs import create_org

    with db.write() as s:
        room = create_org(s, code="PT1", name="信访调委会", kind="petition_room", parent=world.tree["county"])
        pet = succeeded_case(s, room, grade="complex", mediator_id=world.mediator_id)
    spot = _case(db, world, grade="standard", on_the_spot=True)
    with db.write() as s:
        spot_claim = ledger.claim_case(s, actor=world.mediator, case_id=spot.id)
    assert (spot_claim.grade, spot_claim.amount_fen) == ("simple", 6_000)  # 随手调 at the simple rate
    with db.write() as s:
        assert ledger.bulk_claim(s, actor=world.auditor, start=date(2000, 1, 1), end=date(2000, 1, 2)) == (0, 0, 0)
    today = datetime.now(UTC).date()
    with db.write() as s:  # the office claims the rest of the period in bulk
        counts = ledger.bulk_claim(
            s, actor=world.auditor, start=today - timedelta(days=30), end=today + timedelta(days=1)
        )
    assert counts == (1, 0, 0)
    with db.read() as s:
        row = s.exec(select(SubsidyClaim).where(SubsidyClaim.case_id == pet.id)).one()
    assert row.amount_fen == 150_000 and row.claimed_by == world.auditor.user_id


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"status": "in_mediation"}, "error.ledger_not_succeeded"),
        ({"status": "failed"}, "error.ledger_not_succeeded"),
        ({"grade_audited": None}, "error.ledger_grade_not_audited"),
        ({"grade_audited": "major"}, "error.ledger_major_needs_award"),
    ],
)
def test_refuse_claim_of_ineligible_case(db, world, change, key):
    case = _case(db, world)
    with db.write() as s:
        row = s.get(type(case), case.id)
        for k, v in change.items():
            setattr(row, k, v)
        s.add(row)
    with pytest.raises(ValidationFailed) as err, db.write() as s:
        ledger.claim_case(s, actor=world.mediator, case_id=case.id)
    assert err.value.key == key
    with db.read() as s:
        assert s.exec(select(SubsidyClaim)).all() == []


def test_refuse_second_claim_cleanly_and_allow_after_rejection(db, world):
    case = _case(db, world)
    with db.write() as s:
        first = ledger.claim_case(s, actor=world.mediator, case_id=case.id)
    with pytest.raises(Conflict) as err, db.write() as s:
        ledger.claim_case(s, actor=world.mediator, case_id=case.id)
    assert err.value.key == "error.ledger_already_claimed" and err.value.params["case_no"] == case.case_no
    with db.write() as s:
        ledger.reject_claim(s, actor=world.auditor, claim_id=first.id, reason="协议书缺少签名")
    with db.write() as s:
        again = ledger.claim_case(s, actor=world.mediator, case_id=case.id)
    assert again.id != first.id


def test_database_refuses_second_live_claim_directly(db, world):
    case = _case(db, world)
    with db.write() as s:
        ledger.claim_case(s, actor=world.mediator, case_id=case.id)
    for kind in ("subsidy", "award"):
        with pytest.raises(IntegrityError), db.write() as s:
            s.add(SubsidyClaim(case_id=case.id, kind=kind, org_id=case.org_id, grade="standard", amount_fen=1))
            s.flush()


@SQLITE_ONLY
def test_hold_splitting_with_reason_then_release(db, world):
    parties = unique_parties()
    first = _case(db, world, parties=parties, category="loan")
    second = _case(db, world, parties=parties, category="loan")
    other_category = _case(db, world, parties=parties, category="neighbour")
    with db.write() as s:
        a = ledger.claim_case(s, actor=world.mediator, case_id=first.id)
        b = ledger.claim_case(s, actor=world.mediator, case_id=second.id)
        c = ledger.claim_case(s, actor=world.mediator, case_id=other_category.id)
    assert a.status == "held" and b.status == "held" and c.status == "claimed"
    assert parse_hold_reason(b.hold_reason) == [("splitting", first.case_no)]
    with pytest.raises(Conflict), db.write() as s:
        ledger.audit_claim(s, actor=world.auditor, claim_id=b.id)
    with pytest.raises(ValidationFailed), db.write() as s:
        ledger.release_hold(s, actor=world.auditor, claim_id=b.id, note="")
    with db.write() as s:
        ledger.release_hold(s, actor=world.auditor, claim_id=b.id, note="已核实为两起独立纠纷")
        ledger.audit_claim(s, actor=world.auditor, claim_id=b.id)
    assert [e.action for e in _entries(db, b.id)] == ["claim", "hold", "release", "audit"]


@SQLITE_ONLY
def test_hold_no_splitting_for_different_people_or_far_apart(db, world):
    far = datetime.now(UTC) - timedelta(days=80)
    parties = unique_parties()
    _case(db, world, parties=parties, received_at=far, concluded=far + timedelta(days=1))
    near = _case(db, world, parties=parties)
    stranger = _case(db, world)
    with db.write() as s:
        assert ledger.claim_case(s, actor=world.mediator, case_id=near.id).status == "claimed"
        assert ledger.claim_case(s, actor=world.mediator, case_id=stranger.id).status == "claimed"


@SQLITE_ONLY
@pytest.mark.parametrize("broken", ["followup", "agreement"])
def test_hold_when_agreement_broken(db, world, broken):
    case = _case(db, world)
    with db.write() as s:
        if broken == "followup":
            s.add(FollowUp(case_id=case.id, done_at=datetime.now(UTC), agreement_holds=False))
        else:
            s.add(Agreement(case_id=case.id, kind="oral", terms="赔偿500元", performance="breached"))
    with db.write() as s:
        claim = ledger.claim_case(s, actor=world.mediator, case_id=case.id)
    assert claim.status == "held" and parse_hold_reason(claim.hold_reason) == [("agreement_broken", "")]


def test_review_chain_records_who_when_why(db, world):
    case = _case(db, world)
    with db.write() as s:
        claim = ledger.claim_case(s, actor=world.mediator, case_id=case.id)
        ledger.audit_claim(s, actor=world.auditor, claim_id=claim.id, note="卷宗齐全")
        ledger.approve_claim(s, actor=world.approver, claim_id=claim.id, note="同意")
    rows = _entries(db, claim.id)
    assert [(e.action, e.from_status, e.to_status) for e in rows] == [
        ("claim", "", "claimed"),
        ("audit", "claimed", "audited"),
        ("approve", "audited", "approved"),
    ]
    assert [e.actor_id for e in rows] == [world.mediator.user_id, world.auditor.user_id, world.approver.user_id]
    assert rows[0].actor_org_id == world.tree["v1"].id and rows[1].actor_org_id == world.tree["justice"].id
    assert rows[1].note == "卷宗齐全" and all(e.at.tzinfo is not None for e in rows)
    with db.read() as s:
        hist = claim_history(s, actor=world.auditor, claim_id=claim.id)
        actions = [a.action for a in s.exec(select(AuditLog).where(AuditLog.entity == "subsidyclaim")).all()]
    assert [h.actor_name for h in hist] == [
        world.mediator.display_name,
        world.auditor.display_name,
        world.approver.display_name,
    ]
    assert actions == ["ledger.claim", "ledger.audit", "ledger.approve"]


def _reviewer(*permissions: str) -> Actor:
    return Actor(1, "r", "r", 1, "/1/", permissions=frozenset(permissions))


AUDIT, APPROVE = P.LEDGER_AUDIT, P.LEDGER_APPROVE
OFFERED = {  # status → (audit only, approve only, both, neither)
    "claimed": (["audit", "reject"], [], ["audit", "reject"], []),
    "held": (["release", "reject"], [], ["release", "reject"], []),
    "audited": (["reject"], ["approve"], ["approve", "reject"], []),
    "approved": (["reject"], [], ["reject"], []),
    "paid": ([], ["reverse"], ["reverse"], []),
    "rejected": ([], [], [], []),
    "reversed": ([], [], [], []),
}


@pytest.mark.parametrize("status", sorted(OFFERED))
def test_allowed_actions_per_state_and_role(status):
    roles = (_reviewer(AUDIT), _reviewer(APPROVE), _reviewer(AUDIT, APPROVE), _reviewer(P.LEDGER_CLAIM))
    assert [ledger.allowed_actions(r, status=status) for r in roles] == list(OFFERED[status])


def test_allowed_actions_cover_every_claim_state():
    assert set(OFFERED) == {str(s) for s in ClaimStatus}


@SQLITE_ONLY
def test_review_claim_takes_the_offered_action(db, world):
    case = _case(db, world)
    with db.write() as s:
        claim = ledger.claim_case(s, actor=world.mediator, case_id=case.id)
    for actor, action in ((world.auditor, "audit"), (world.approver, "approve"), (world.auditor, "reject")):
        with db.read() as s:
            status = s.get(SubsidyClaim, claim.id).status
        assert action in ledger.allowed_actions(actor, status=status)
        with db.write() as s:
            ledger.review_claim(s, actor=actor, claim_id=claim.id, action=action, note="核对无误")
    assert [e.action for e in _entries(db, claim.id)] == ["claim", "audit", "approve", "reject"]
    with pytest.raises(ValidationFailed) as err, db.write() as s:
        ledger.review_claim(s, actor=world.auditor, claim_id=claim.id, action="pay", note="")
    assert err.value.key == "error.action_unknown"


@SQLITE_ONLY
def test_refuse_review_by_claimer_or_payee(db, world):
    case = _case(db, world)
    with db.write() as s:
        today = datetime.now(UTC).date()
        ledger.bulk_claim(s, actor=world.auditor, start=today - timedelta(days=30), end=today + timedelta(days=1))
        claim_id = s.exec(select(SubsidyClaim.id).where(SubsidyClaim.case_id == case.id)).one()
    with pytest.raises(PermissionDenied) as err, db.write() as s:
        ledger.audit_claim(s, actor=world.auditor, claim_id=claim_id)
    assert err.value.key == "error.ledger_duty.claim_audit"  # the office's default: claimant ≠ auditor
    with db.write() as s:
        ledger.audit_claim(s, actor=world.approver, claim_id=claim_id)
    with pytest.raises(PermissionDenied), db.write() as s:
        ledger.approve_claim(s, actor=world.auditor, claim_id=claim_id)


@SQLITE_ONLY
def test_refuse_review_without_permission_or_out_of_area(db, world):
    case = _case(db, world)
    with db.write() as s:
        claim = ledger.claim_case(s, actor=world.mediator, case_id=case.id)
    with pytest.raises(PermissionDenied), db.write() as s:
        ledger.audit_claim(s, actor=world.mediator2, claim_id=claim.id)
    with pytest.raises(NotFound), db.write() as s:
        ledger.audit_claim(s, actor=world.outsider, claim_id=claim.id)
    with pytest.raises(NotFound), db.write() as s:
        ledger.claim_case(s, actor=world.mediator2, case_id=case.id)  # V2's mediator cannot see V1's case


def test_refuse_step_twice_and_out_of_order(db, world):
    case = _case(db, world)
    with db.write() as s:
        claim = ledger.claim_case(s, actor=world.mediator, case_id=case.id)
    with pytest.raises(Conflict), db.write() as s:
        ledger.approve_claim(s, actor=world.approver, claim_id=claim.id)
    with db.write() as s:
        ledger.audit_claim(s, actor=world.auditor, claim_id=claim.id)
    with pytest.raises(Conflict), db.write() as s:
        ledger.audit_claim(s, actor=world.approver, claim_id=claim.id)
    with pytest.raises(IntegrityError), db.write() as s:  # and the database says so too
        s.add(LedgerEntry(claim_id=claim.id, action="audit"))
        s.flush()


@SQLITE_ONLY
def test_award_for_major_case_within_cap_approved_by_bureau(db, world):
    case = _case(db, world, grade="major")
    with pytest.raises(ValidationFailed) as err, db.write() as s:
        ledger.request_award(s, actor=world.mediator, case_id=case.id, amount_fen=200_001, reason="化解重大群体纠纷")
    assert err.value.params["cap"] == "2,000.00"
    with pytest.raises(ValidationFailed), db.write() as s:
        ledger.request_award(s, actor=world.mediator, case_id=case.id, amount_fen=100_000, reason="")
    with db.write() as s:
        claim = ledger.request_award(
            s, actor=world.mediator, case_id=case.id, amount_fen=180_000, reason="化解涉及60户的征地纠纷"
        )
        ledger.audit_claim(s, actor=world.auditor, claim_id=claim.id)
    assert claim.kind == "award" and _entries(db, claim.id)[0].note == "化解涉及60户的征地纠纷"
    with pytest.raises(PermissionDenied) as err, db.write() as s:  # a town 司法所 is not the bureau
        ledger.approve_claim(s, actor=world.town_justice, claim_id=claim.id)
    assert err.value.key == "error.ledger_award_bureau"
    with db.write() as s:
        ledger.approve_claim(s, actor=world.approver, claim_id=claim.id)


@SQLITE_ONLY
def test_refuse_award_for_non_major_and_subsidy_for_major(db, world):
    standard = _case(db, world)
    with pytest.raises(ValidationFailed) as err, db.write() as s:
        ledger.request_award(s, actor=world.mediator, case_id=standard.id, amount_fen=50_000, reason="表现突出")
    assert err.value.key == "error.ledger_award_needs_major"


@SQLITE_ONLY
@pytest.mark.parametrize("bad", [-100, 0, 10**12, True, 1.5])
def test_refuse_bad_award_amounts(db, world, bad):
    case = _case(db, world, grade="major")
    with pytest.raises(ValidationFailed), db.write() as s:
        ledger.request_award(s, actor=world.mediator, case_id=case.id, amount_fen=bad, reason="化解重大纠纷")


@pytest.mark.parametrize(
    ("typed", "fen"), [("1500", 150_000), ("1,500.5", 150_050), ("１５００", 150_000), ("0.01", 1), (" 60元 ", 6_000)]
)
def test_parse_yuan_to_fen(typed, fen):
    assert parse_yuan(typed) == fen


@pytest.mark.parametrize("typed", ["-5", "0", "1e12", "NaN", "inf", "0.1+0.2", "1.005", "abc", ""])
def test_parse_yuan_refuses(typed):
    with pytest.raises(ValidationFailed):
        parse_yuan(typed)


def test_ledger_rows_refuse_update_and_delete(db, world):
    case = _case(db, world)
    with db.write() as s:
        claim = ledger.claim_case(s, actor=world.mediator, case_id=case.id)
    for sql in ("UPDATE ledgerentry SET amount_fen = 1", "DELETE FROM ledgerentry"):
        with pytest.raises(Exception, match="append-only"), db.write() as s:
            s.execute(text(sql))
    assert len(_entries(db, claim.id)) == 1


@SQLITE_ONLY
def test_mediator_views_my_claims_and_claimable(db, world):
    mine = _case(db, world)
    open_case = _case(db, world)
    _case(db, world, org="v2", mediator_id=world.mediator2_id)
    with db.write() as s:
        ledger.claim_case(s, actor=world.mediator, case_id=mine.id)
    with db.read() as s:
        rows = my_claims(s, actor=world.mediator)
        can = claimable_cases(s, actor=world.mediator)
    assert [r.case_no for r in rows] == [mine.case_no] and rows[0].mediator_name == "王调解"
    assert [c.case_no for c in can] == [open_case.case_no]


@SQLITE_ONLY
@pytest.mark.parametrize("change", [{"status": "in_mediation"}, {"grade_audited": "complex"}])
def test_refuse_audit_when_case_changed_after_claim(db, world, change):
    case = _case(db, world)
    with db.write() as s:
        claim = ledger.claim_case(s, actor=world.mediator, case_id=case.id)
        row = s.get(type(case), case.id)
        for k, v in change.items():
            setattr(row, k, v)
        s.add(row)
    with pytest.raises(ValidationFailed) as err, db.write() as s:
        ledger.audit_claim(s, actor=world.auditor, claim_id=claim.id)
    assert err.value.key == "error.ledger_case_changed"
    with db.write() as s:
        ledger.reject_claim(s, actor=world.auditor, claim_id=claim.id, reason="案件已重新调解")
