"""Payout batches, the xlsx sheet, paying once, reversals, budgets, the public notice and spending views."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from models import Budget, LedgerEntry, PayoutBatch, SubsidyClaim
from services.core import clock
from services.core.errors import Conflict, NotFound, OutOfScope, PermissionDenied, ValidationFailed
from services.ledger import claims as ledger
from services.ledger import payout as ledger_payout
from services.ledger.budget import budget_status, set_budget
from services.ledger.sheet import payout_workbook
from services.ledger.views import growth, list_batches, list_claims, spending_by_county, spending_by_month
from tests.ledger_factories import make_world, succeeded_case

# Engine-neutral rules run on SQLite only (keeps the suite fast); money, locks, constraints and dates
# run on both engines through the plain `db` fixture.
SQLITE_ONLY = pytest.mark.parametrize("db", ["sqlite"], indirect=True)


@pytest.fixture
def world(db):
    with db.write() as s:
        return make_world(s)


def _approved(db, world, n=1, org="v1", grade="standard", award_fen=None):
    """n claims taken through claim → audit → approve; returns their ids."""
    ids = []
    for _ in range(n):
        with db.write() as s:
            mediator, mid = (
                (world.mediator, world.mediator_id) if org == "v1" else (world.mediator2, world.mediator2_id)
            )
            case = succeeded_case(s, world.tree[org], grade=grade, mediator_id=mid, auditor=world.auditor)
            if award_fen:
                claim = ledger.request_award(
                    s, actor=mediator, case_id=case.id, amount_fen=award_fen, reason="化解重大纠纷"
                )
            else:
                claim = ledger.claim_case(s, actor=mediator, case_id=case.id)
            ledger.audit_claim(s, actor=world.auditor, claim_id=claim.id)
            ledger.approve_claim(s, actor=world.approver, claim_id=claim.id)
            ids.append(claim.id)
    return ids


def _batch(db, world, claim_ids=None):
    with db.write() as s:
        return ledger_payout.create_batch(
            s, actor=world.approver, region_org_id=world.tree["justice"].id, claim_ids=claim_ids
        )


@SQLITE_ONLY
def test_create_batch_numbers_and_totals_per_mediator_and_org(db, world):
    _approved(db, world, 2)
    _approved(db, world, 1, org="v2", grade="complex")
    _approved(db, world, 1, grade="major", award_fen=150_050)
    batch = _batch(db, world)
    assert batch.code == f"PB-C1-{clock.local_now():%Y%m%d}-01" and batch.total_fen == 2 * 10_000 + 15_000 + 150_050
    with db.read() as s:
        summary = ledger_payout.batch_summary(s, actor=world.auditor, batch_id=batch.id)
    payees = {(p.mediator_name, p.cases, p.subsidy_fen, p.award_fen) for p in summary.payees()}
    assert payees == {("王调解", 3, 20_000, 150_050), ("赵调解", 1, 15_000, 0)}
    assert summary.orgs() == [("东村调委会", 3, 170_050), ("西村调委会", 1, 15_000)]
    with pytest.raises(ValidationFailed), db.write() as s:  # nothing left to batch
        ledger_payout.create_batch(s, actor=world.approver, region_org_id=world.tree["county"].id)
    assert _batch_code_next(db, world) == f"PB-C1-{clock.local_now():%Y%m%d}-02"


def _batch_code_next(db, world):
    _approved(db, world, 1)
    return _batch(db, world).code


def test_payout_sheet_sums_to_batch_total_to_the_fen(db, world):
    _approved(db, world, 3)
    _approved(db, world, 1, grade="major", award_fen=123_457)
    _approved(db, world, 2, org="v2", grade="simple")
    batch = _batch(db, world)
    with db.write() as s:
        ledger_payout.mark_batch_paid(s, actor=world.payer, batch_id=batch.id)
    with db.read() as s:
        data = payout_workbook(s, actor=world.auditor, batch_id=batch.id)
    wb = load_workbook(BytesIO(data))
    assert wb.sheetnames == ["发放汇总", "发放明细", "按组织汇总"]

    def fen(v):
        return int(Decimal(str(v)) * 100)

    summary, detail, orgs = wb["发放汇总"], wb["发放明细"], wb["按组织汇总"]
    assert [c.value for c in summary[3]] == [
        "序号",
        "调解员",
        "所属调解组织",
        "案件数",
        "个案补贴（元）",
        "一事一奖（元）",
        "合计（元）",
        "领款人签字",
    ]
    body = [r for r in summary.iter_rows(min_row=4, values_only=True) if isinstance(r[0], int)]
    total_row = next(r for r in summary.iter_rows(min_row=4, values_only=True) if r[0] == "合计")
    assert sum(fen(r[6]) for r in body) == fen(total_row[6]) == batch.total_fen == 3 * 10_000 + 123_457 + 2 * 6_000
    assert sum(fen(r[4]) + fen(r[5]) for r in body) == batch.total_fen
    assert summary.cell(row=4, column=7).number_format == "#,##0.00"
    lines = [r for r in detail.iter_rows(min_row=4, values_only=True) if isinstance(r[0], int)]
    assert len(lines) == 6 and sum(fen(r[6]) for r in lines) == batch.total_fen
    assert {r[4] for r in lines} == {"个案补贴", "一事一奖"}
    assert (
        sum(fen(r[3]) for r in orgs.iter_rows(min_row=4, values_only=True) if isinstance(r[0], int)) == batch.total_fen
    )


def test_mark_paid_is_idempotent(db, world):
    ids = _approved(db, world, 3)
    batch = _batch(db, world)
    results = []
    for _ in range(10):
        with db.write() as s:
            results.append(ledger_payout.mark_batch_paid(s, actor=world.payer, batch_id=batch.id))
    assert results[0].paid_claims == 3 and results[0].paid_fen == 30_000 and not results[0].replayed
    assert all(r.replayed and r.paid_fen == 0 for r in results[1:])
    with db.read() as s:
        pays = s.exec(select(LedgerEntry).where(LedgerEntry.action == "pay")).all()
        statuses = {c.status for c in s.exec(select(SubsidyClaim)).all()}
    assert sorted(p.claim_id for p in pays) == sorted(ids) and sum(p.amount_fen for p in pays) == 30_000
    assert statuses == {"paid"} and all(p.batch_id == batch.id for p in pays)


@SQLITE_ONLY
def test_reject_refused_once_batched_and_cancel_batch_frees_claims(db, world):
    (claim_id,) = _approved(db, world, 1)
    batch = _batch(db, world)
    with pytest.raises(Conflict), db.write() as s:
        ledger.reject_claim(s, actor=world.auditor, claim_id=claim_id, reason="发现重复申报")
    with db.write() as s:
        ledger_payout.cancel_batch(s, actor=world.approver, batch_id=batch.id)
    with db.write() as s:
        ledger.reject_claim(s, actor=world.auditor, claim_id=claim_id, reason="发现重复申报")
    with pytest.raises(Conflict), db.write() as s:
        ledger_payout.mark_batch_paid(s, actor=world.payer, batch_id=batch.id)


def test_reverse_payment_points_at_original_and_frees_case(db, world):
    (claim_id,) = _approved(db, world, 1)
    batch = _batch(db, world)
    with db.write() as s:
        ledger_payout.mark_batch_paid(s, actor=world.payer, batch_id=batch.id)
    with pytest.raises(ValidationFailed), db.write() as s:
        ledger.reverse_payment(s, actor=world.approver, claim_id=claim_id, reason="")
    with db.write() as s:
        rev = ledger.reverse_payment(s, actor=world.approver, claim_id=claim_id, reason="等级审核有误，应为简易")
    with pytest.raises(Conflict), db.write() as s:
        ledger.reverse_payment(s, actor=world.approver, claim_id=claim_id, reason="再次冲正")
    with db.read() as s:
        pay = s.exec(select(LedgerEntry).where(LedgerEntry.claim_id == claim_id, LedgerEntry.action == "pay")).one()
        claim = s.get(SubsidyClaim, claim_id)
        page = list_claims(s, actor=world.auditor)
    assert rev.reverses_id == pay.id and rev.amount_fen == -pay.amount_fen == -10_000
    assert pay.to_status == "paid" and claim.status == "reversed"
    assert page.paid_net_fen == 0 and page.count == 1
    with db.write() as s:  # the case can now be claimed again (after its grade is put right)
        again = ledger.claim_case(s, actor=world.mediator, case_id=claim.case_id)
    assert again.status == "claimed" and again.id != claim_id


def test_budget_status_and_override_on_overrun(db):
    with db.write() as s:
        world = make_world(s, budget_fen=None)
        set_budget(
            s,
            actor=world.approver,
            region_org_id=world.tree["justice"].id,
            year=clock.local_now().year,
            line="case_subsidy",
            amount_fen=25_000,
        )
    _approved(db, world, 1)
    with db.write() as s:
        batch = ledger_payout.create_batch(s, actor=world.approver, region_org_id=world.tree["county"].id)
        ledger_payout.mark_batch_paid(s, actor=world.payer, batch_id=batch.id)
    _approved(db, world, 1)  # committed, unpaid
    with db.write() as s:
        case = succeeded_case(s, world.tree["v1"], mediator_id=world.mediator_id, auditor=world.auditor)
        claim = ledger.claim_case(s, actor=world.mediator, case_id=case.id)
        ledger.audit_claim(s, actor=world.auditor, claim_id=claim.id)
    with db.read() as s:
        (row,) = [
            b for b in budget_status(s, actor=world.auditor, year=clock.local_now().year) if b.line == "case_subsidy"
        ]
    assert (row.amount_fen, row.spent_fen, row.committed_fen, row.remaining_fen) == (25_000, 10_000, 10_000, 5_000)
    with pytest.raises(ValidationFailed) as err, db.write() as s:
        ledger.approve_claim(s, actor=world.approver, claim_id=claim.id)
    assert err.value.key == "error.ledger_over_budget" and err.value.params["remaining"] == "50.00"
    with db.write() as s:
        ledger.approve_claim(s, actor=world.approver, claim_id=claim.id, override_reason="年底追加预算已获批")
    with db.read() as s:
        entry = s.exec(
            select(LedgerEntry).where(LedgerEntry.claim_id == claim.id, LedgerEntry.action == "approve")
        ).one()
    assert entry.budget_override and "年底追加预算已获批" in entry.note


@SQLITE_ONLY
def test_approve_without_budget_needs_override(db):
    with db.write() as s:
        world = make_world(s, budget_fen=None)
        case = succeeded_case(s, world.tree["v1"], mediator_id=world.mediator_id, auditor=world.auditor)
        claim = ledger.claim_case(s, actor=world.mediator, case_id=case.id)
        ledger.audit_claim(s, actor=world.auditor, claim_id=claim.id)
    with pytest.raises(ValidationFailed) as err, db.write() as s:
        ledger.approve_claim(s, actor=world.approver, claim_id=claim.id)
    assert err.value.key == "error.ledger_no_budget"


@SQLITE_ONLY
def test_set_budget_updates_in_place_and_refuses_other_county(db, world):
    year = clock.local_now().year + 1
    with db.write() as s:
        set_budget(
            s, actor=world.approver, region_org_id=world.tree["county"].id, year=year, line="award", amount_fen=1_000
        )
        set_budget(
            s, actor=world.approver, region_org_id=world.tree["county"].id, year=year, line="award", amount_fen=2_000
        )
    with pytest.raises(OutOfScope), db.write() as s:
        set_budget(
            s, actor=world.approver, region_org_id=world.tree["county2"].id, year=year, line="award", amount_fen=1
        )
    with db.read() as s:
        rows = s.exec(select(Budget).where(Budget.year == year)).all()
    assert [(b.line, b.amount_fen) for b in rows] == [("award", 2_000)]


def test_published_notices_only_in_period_without_party_data(db, world):
    _approved(db, world, 2)
    batch = _batch(db, world)
    with pytest.raises(Conflict), db.write() as s:
        ledger_payout.publish_notice(s, actor=world.approver, batch_id=batch.id)
    with db.write() as s:
        ledger_payout.mark_batch_paid(s, actor=world.payer, batch_id=batch.id)
    today = clock.local_now().date()
    with db.read() as s:
        assert ledger_payout.published_notices(s, today) == []
    with db.write() as s:
        ledger_payout.publish_notice(s, actor=world.approver, batch_id=batch.id, days=7)
    with db.read() as s:
        (notice,) = ledger_payout.published_notices(s, today)
        assert ledger_payout.published_notices(s, today + timedelta(days=7)) == []
        assert ledger_payout.published_notices(s, today - timedelta(days=1)) == []
    assert notice.code == batch.code and notice.total_fen == 20_000 and notice.region_name == "江安县"
    assert [(ln.mediator_name, ln.org_name, ln.cases, ln.amount_fen) for ln in notice.lines] == [
        ("王调解", "东村调委会", 2, 20_000)
    ]
    text = repr(notice)
    assert "当事人" not in text and "139" not in text and "张三" not in text


@SQLITE_ONLY
def test_batch_not_visible_to_other_county(db, world):
    _approved(db, world, 1)
    batch = _batch(db, world)
    with pytest.raises(NotFound), db.read() as s:
        ledger_payout.batch_summary(s, actor=world.outsider, batch_id=batch.id)
    with db.read() as s:
        assert list_batches(s, actor=world.outsider) == []
        assert [b.code for b in list_batches(s, actor=world.auditor)] == [batch.code]


def test_spending_by_month_county_and_growth_from_demo_shaped_rows(db, world):
    """Rows shaped like services/demo/seed.py writes them (claim, audit, approve, pay), dated last and this year."""
    today = clock.local_now().date()
    this_year, last_year = today.year, today.year - 1
    with db.write() as s:
        case = succeeded_case(s, world.tree["v1"], mediator_id=world.mediator_id, auditor=world.auditor)
        county = world.tree["county"].id
        for year, fen in ((last_year, 6_000), (this_year, 9_000)):
            claim = SubsidyClaim(
                case_id=case.id,
                org_id=case.org_id,
                county_id=county,
                grade="simple",
                amount_fen=fen,
                status="paid" if year == this_year else "reversed",
                mediator_id=world.mediator_id,
            )
            s.add(claim)
            s.flush()
            at = datetime(year, 1, 1, 2, tzinfo=UTC)  # 10:00 on 1 January in China
            for action in ("claim", "audit", "approve", "pay"):
                s.add(
                    LedgerEntry(
                        claim_id=claim.id,
                        action=action,
                        amount_fen=0 if action == "audit" else fen,
                        actor_id=world.approver.user_id,
                        at=at,
                    )
                )
    with db.read() as s:
        months = spending_by_month(s, actor=world.auditor, year=this_year)
        counties = spending_by_county(s, actor=world.auditor, year=this_year)
        g = growth(s, actor=world.auditor, today=today)
        assert spending_by_month(s, actor=world.outsider, year=this_year)[0] == (1, 0)
    assert months[0] == (1, 9_000) and len(months) == 12 and sum(f for _, f in months) == 9_000
    assert counties == [("江安县", 9_000)]
    assert (g.this_fen, g.last_fen) == (9_000, 6_000) and g.rate == pytest.approx(0.5)


@SQLITE_ONLY
def test_list_claims_filters_and_totals(db, world):
    _approved(db, world, 2)
    with db.write() as s:
        case = succeeded_case(s, world.tree["v2"], mediator_id=world.mediator2_id, auditor=world.auditor)
        ledger.claim_case(s, actor=world.mediator2, case_id=case.id)
    with db.read() as s:
        everything = list_claims(s, actor=world.auditor)
        approved = list_claims(s, actor=world.auditor, status="approved")
        this_month = list_claims(s, actor=world.auditor, month=(clock.local_now().year, clock.local_now().month))
        other = list_claims(s, actor=world.outsider)
    assert (everything.count, everything.amount_fen) == (3, 30_000)
    assert (approved.count, approved.amount_fen, len(approved.rows)) == (2, 20_000, 2)
    assert this_month.count == 3 and other.count == 0
    assert {r.org_name for r in everything.rows} == {"东村调委会", "西村调委会"}


@SQLITE_ONLY
def test_demo_batch_with_justice_office_region_is_in_county_area(db, world):
    with db.write() as s:
        s.add(
            PayoutBatch(
                code="PB-DEMO",
                region_org_id=world.tree["justice"].id,
                status="paid",
                paid_at=datetime.now(UTC) - timedelta(days=1),
                notice_until=clock.local_now().date() + timedelta(days=3),
            )
        )
    with db.read() as s:
        assert [b.region_name for b in list_batches(s, actor=world.auditor)] == ["江安县"]
        (notice,) = ledger_payout.published_notices(s, clock.local_now().date())
    assert notice.lines == [] and notice.total_fen == 0


@SQLITE_ONLY
def test_pay_only_and_budget_only_roles_see_what_their_pages_need(db, world):
    """An office may compose roles: a cashier with only ledger.pay, a planner with only ledger.budget."""
    _approved(db, world, 1)
    cashier = replace(world.approver, permissions=frozenset({"ledger.pay"}))
    planner = replace(world.approver, permissions=frozenset({"ledger.budget"}))
    batch = _batch(db, world)
    with db.read() as s:
        assert list_claims(s, actor=cashier).count == 1
        assert ledger_payout.batch_summary(s, actor=cashier, batch_id=batch.id).total_fen == 10_000
        assert budget_status(s, actor=planner, year=clock.local_now().year)
        assert growth(s, actor=planner, today=clock.local_now().date()).this_fen == 0
        with pytest.raises(PermissionDenied):
            list_claims(s, actor=planner)
