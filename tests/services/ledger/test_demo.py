"""The demo city's ledger rows (services/demo/seed.py writes them directly) are valid for the ledger services."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlmodel import col, func, select

from models import LedgerEntry, Organisation, PayoutBatch, SubsidyClaim, User
from services.access.accounts import load_actor
from services.core.db import make_database
from services.demo import seed as demo
from services.ledger import payout as ledger_payout
from services.ledger.budget import budget_status
from services.ledger.policy import parse_hold_reason
from services.ledger.sheet import payout_workbook
from services.ledger.views import list_batches, list_claims
from tests.factories import make_actor

TODAY = date(2026, 6, 15)


@pytest.fixture(scope="module")
def demo_db(sqlite_template, tmp_path_factory):
    folder = tmp_path_factory.mktemp("ledger-demo")
    shutil.copy(sqlite_template, folder / "demo.db")
    db = make_database(f"sqlite:///{folder / 'demo.db'}")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(demo, "LOGINS_FILE", folder / "logins.txt")
        demo.seed_demo(
            db, cases=300, seed=7, password="demo-passphrase-2026", today=TODAY, progress=lambda _d, _t: None
        )
    yield db
    db.dispose()


def _actor(db, username):
    with db.read() as s:
        user = s.exec(select(User).where(User.username == username)).one()
        return load_actor(s, user.id)


def test_demo_chain_is_complete_and_claimer_never_reviews(demo_db):
    with demo_db.read() as s:
        claims = {c.id: c for c in s.exec(select(SubsidyClaim)).all()}
        steps: dict[int, dict[str, LedgerEntry]] = {}
        for e in s.exec(select(LedgerEntry)).all():
            steps.setdefault(e.claim_id, {})[e.action] = e
    assert claims
    for cid, claim in claims.items():
        got = steps[cid]
        if claim.status == "paid":
            assert {"claim", "audit", "approve", "pay"} <= set(got)
        for act in ("audit", "approve"):
            assert act not in got or got[act].actor_id != claim.claimed_by
        if claim.status == "held":
            assert parse_hold_reason(claim.hold_reason)


def test_demo_office_sees_its_county_totals_and_budgets(demo_db):
    justice = _actor(demo_db, "justice")
    with demo_db.read() as s:
        page = list_claims(s, actor=justice)
        paid = s.exec(
            select(func.sum(LedgerEntry.amount_fen)).where(col(LedgerEntry.action).in_(("pay", "reverse")))
        ).one()  # the whole city
        budgets = budget_status(s, actor=justice, year=TODAY.year - 1)
        batches = list_batches(s, actor=justice)
    assert page.count > 0 and 0 < page.paid_net_fen <= paid
    assert budgets and any(b.spent_fen > 0 for b in budgets if b.line == "case_subsidy")
    assert batches and all(b.region_name.endswith(("县", "区", "市")) for b in batches)


def test_demo_open_batch_pays_once_and_sheet_adds_up(demo_db):
    justice = _actor(demo_db, "justice")
    with demo_db.read() as s:
        visible = {b.id for b in list_batches(s, actor=justice)}
        open_batch = s.exec(
            select(PayoutBatch).where(PayoutBatch.status == "open", col(PayoutBatch.id).in_(visible))
        ).first()
    if open_batch is None:
        pytest.skip("the demo has no open batch in this county")
    with demo_db.write() as s:  # the demo's justice user approved these claims: another person pays
        payer = make_actor(s, s.get(Organisation, justice.org_id), ["justice"])
    for _ in range(2):
        with demo_db.write() as s:
            result = ledger_payout.mark_batch_paid(s, actor=payer, batch_id=open_batch.id)
    assert result.replayed
    with demo_db.read() as s:
        data = payout_workbook(s, actor=justice, batch_id=open_batch.id)
    ws = load_workbook(BytesIO(data))["发放明细"]
    fen = sum(int(Decimal(str(r[6])) * 100) for r in ws.iter_rows(min_row=4, values_only=True) if isinstance(r[0], int))
    assert fen == open_batch.total_fen
