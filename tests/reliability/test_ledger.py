"""Ledger battery: the LED rows not already proven in tests/services (see README.md for the index).

LED-2 100 unverified cases → 0 claims (one by one and in bulk); LED-4 no float column in any money table;
LED-5 paying one batch 10× sequentially, from 10 threads at once and again after a restart → 1 payment;
LED-6 10 ways to change or remove ledger/audit rows → 0 succeed; LED-8 decisions read fresh rows (static);
LED-9 Streamlit's stop/rerun raised at every step of a multi-row write → 0 partial rows;
LED-10 every ledger row of a full claim life carries actor, org, UTC time and before → after.
"""

from __future__ import annotations

import ast
import itertools
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Float, Numeric, delete, text, update
from sqlmodel import Session, SQLModel, func, select
from streamlit.runtime.scriptrunner_utils.exceptions import RerunException, StopException
from streamlit.runtime.scriptrunner_utils.script_requests import RerunData

from models import AuditLog, Case, LedgerEntry, SubsidyClaim
from services.core import clock
from services.core.db import make_database
from services.core.errors import DomainError
from services.ledger import claims as ledger
from services.ledger import payout as ledger_payout
from tests.ledger_factories import make_world, succeeded_case
from tests.reliability.helpers import case_input, counts

ROOT = Path(__file__).resolve().parents[2]
MONEY_TABLES = ("subsidyclaim", "ledgerentry", "payoutbatch", "budget", "subsidyrate")


@pytest.fixture
def world(db):
    with db.write() as s:
        return make_world(s)


def _approved(db, world, n: int) -> list[int]:
    ids = []
    for _ in range(n):
        with db.write() as s:
            case = succeeded_case(s, world.tree["v1"], mediator_id=world.mediator_id, auditor=world.auditor)
            claim = ledger.claim_case(s, actor=world.mediator, case_id=case.id)
            ledger.audit_claim(s, actor=world.auditor, claim_id=claim.id)
            ledger.approve_claim(s, actor=world.approver, claim_id=claim.id)
            ids.append(claim.id)
    return ids


def _batch(db, world) -> int:
    with db.write() as s:
        return ledger_payout.create_batch(s, actor=world.approver, region_org_id=world.tree["justice"].id).id


# --- LED-2 ------------------------------------------------------------------------------------------------------

UNVERIFIED = ({"status": "in_mediation"}, {"status": "failed"}, {"grade_audited": None}, {"concluded_at": None})


def test_refuse_claims_for_100_unverified_cases(db, world):
    with db.write() as s:
        ids = []
        for n in range(100):
            case = succeeded_case(s, world.tree["v1"], mediator_id=world.mediator_id, auditor=None)
            for k, v in UNVERIFIED[n % 4].items():
                setattr(case, k, v)
            s.add(case)
            ids.append(case.id)
    refused = 0
    for case_id in ids:
        try:
            with db.write() as s:
                ledger.claim_case(s, actor=world.mediator, case_id=case_id)
        except DomainError:
            refused += 1
    today = clock.local_now().date()
    with db.write() as s:
        claimed, _, _ = ledger.bulk_claim(s, actor=world.auditor, start=today - timedelta(days=60), end=today)
    with db.read() as s:
        rows = s.exec(select(func.count()).select_from(SubsidyClaim)).one()
    assert (refused, claimed, rows) == (100, 0, 0)


# --- LED-4 ------------------------------------------------------------------------------------------------------


def test_keep_money_in_integer_fen_columns():
    tables = SQLModel.metadata.tables
    floats = [f"{t}.{c.name}" for t in MONEY_TABLES for c in tables[t].columns if isinstance(c.type, Float | Numeric)]
    money = [f"{t}.{c.name}" for t in MONEY_TABLES for c in tables[t].columns if c.name.endswith("_fen")]
    assert floats == [] and money
    assert all(str(tables[t].columns[c].type) in ("INTEGER", "BIGINT") for t, c in (m.split(".") for m in money)), money


# --- LED-5 ------------------------------------------------------------------------------------------------------


def test_pay_batch_once_across_threads_replays_and_restart(db, world):
    ids = _approved(db, world, 3)
    batch_id = _batch(db, world)

    def pay(_: int):
        with db.write() as s:
            return ledger_payout.mark_batch_paid(s, actor=world.payer, batch_id=batch_id)

    with ThreadPoolExecutor(max_workers=10) as pool:  # ten taps / tabs at once
        results = list(pool.map(pay, range(10)))
    results += [pay(0) for _ in range(10)]  # then 10 replays one after another
    restarted = make_database(db.url)  # a fresh process's engines on the same database
    try:
        with restarted.write() as s:
            results.append(ledger_payout.mark_batch_paid(s, actor=world.payer, batch_id=batch_id))
    finally:
        restarted.dispose()
    assert [r.replayed for r in results].count(False) == 1
    assert sum(r.paid_fen for r in results) == 30_000
    with db.read() as s:
        pays = s.exec(select(LedgerEntry.claim_id).where(LedgerEntry.action == "pay")).all()
    assert sorted(pays) == sorted(ids)


# --- LED-6 ------------------------------------------------------------------------------------------------------


def _tamper(db, claim_id: int) -> list:
    """Ten attempts to change or remove history through the ORM, SQL and the bare driver."""

    def orm_edit(s: Session) -> None:
        row = s.exec(select(LedgerEntry).where(LedgerEntry.claim_id == claim_id)).first()
        row.amount_fen = 999_999
        s.add(row)

    def orm_delete(s: Session) -> None:
        s.delete(s.exec(select(LedgerEntry).where(LedgerEntry.claim_id == claim_id)).first())

    return [
        orm_edit,
        orm_delete,
        lambda s: s.exec(update(LedgerEntry).values(note="改")),  # type: ignore[call-overload]
        lambda s: s.exec(delete(LedgerEntry)),  # type: ignore[call-overload]
        lambda s: s.execute(text("UPDATE ledgerentry SET to_status = 'paid'")),
        lambda s: s.execute(text("DELETE FROM ledgerentry WHERE claim_id = :c"), {"c": claim_id}),
        lambda s: s.exec(update(AuditLog).values(action="x")),  # type: ignore[call-overload]
        lambda s: s.exec(delete(AuditLog)),  # type: ignore[call-overload]
        lambda s: s.execute(text("UPDATE auditlog SET actor_id = NULL")),
        "driver",
    ]


def test_refuse_every_change_to_ledger_and_audit_rows(db, world):
    (claim_id,) = _approved(db, world, 1)
    with db.read() as s:
        before = (s.exec(select(LedgerEntry)).all(), s.exec(select(func.count()).select_from(AuditLog)).one())
    succeeded = []
    for n, attempt in enumerate(_tamper(db, claim_id)):
        try:
            if attempt == "driver":
                if db.dialect == "sqlite":
                    with sqlite3.connect(db.url.removeprefix("sqlite:///")) as c:
                        c.execute("UPDATE ledgerentry SET amount_fen = 1")
                else:
                    with db.write_engine.connect() as c:
                        c.exec_driver_sql("UPDATE ledgerentry SET amount_fen = 1")
                        c.commit()
            else:
                with db.write() as s:
                    attempt(s)
            succeeded.append(n)
        except Exception as err:  # every attempt must end here
            assert "append-only" in str(err), err
    with db.read() as s:
        after = (s.exec(select(LedgerEntry)).all(), s.exec(select(func.count()).select_from(AuditLog)).one())
    assert succeeded == []
    assert [e.model_dump() for e in after[0]] == [e.model_dump() for e in before[0]] and after[1] == before[1]


# --- LED-8 ------------------------------------------------------------------------------------------------------

DECISIONS = {
    "claim_case",
    "request_award",
    "bulk_claim",
    "audit_claim",
    "approve_claim",
    "reject_claim",
    "release_hold",
    "reverse_payment",
    "create_batch",
    "cancel_batch",
    "mark_batch_paid",
}


def test_forbid_cached_reads_around_ledger_decisions():
    """No cached function (st.cache_data/cache_resource) makes or feeds a ledger decision; decisions load their
    rows inside the write transaction (SELECT … FOR UPDATE / BEGIN IMMEDIATE), as test_ledger.py's
    'changed after claim' cases prove at runtime."""
    hits = []
    for path in sorted((ROOT / "pages").rglob("*.py")) + sorted((ROOT / "services").glob("ledger*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and any("cache" in ast.unparse(d) for d in node.decorator_list):
                called = {
                    n.func.attr for n in ast.walk(node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                }
                if called & DECISIONS:
                    hits.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert hits == []


# --- LED-9 ------------------------------------------------------------------------------------------------------


def _interrupt_at(monkeypatch, k: int) -> None:
    """Raise Streamlit's stop (even k) or rerun (odd k) at the k-th add/flush/execute of the session."""
    steps = itertools.count(1)
    for name in ("add", "flush", "execute"):
        real = getattr(Session, name)

        def wrapped(self, *a, _real=real, **kw):
            if next(steps) == k:
                raise RerunException(RerunData()) if k % 2 else StopException()
            return _real(self, *a, **kw)

        monkeypatch.setattr(Session, name, wrapped)


def _steps(monkeypatch, unit) -> int:
    seen = itertools.count()
    with monkeypatch.context() as m:
        for name in ("add", "flush", "execute"):
            real = getattr(Session, name)
            m.setattr(Session, name, lambda self, *a, _real=real, **kw: (next(seen), _real(self, *a, **kw))[1])
        unit()
    return next(seen)


def test_leave_nothing_when_interrupted_at_any_step(db, world, monkeypatch):
    def create() -> None:
        with db.write() as s:
            from services.cases.create import create_case

            create_case(s, data=case_input(world.tree["v1"].id), actor_id=None)

    def claim() -> None:
        with db.write() as s:
            case = s.exec(select(Case).where(Case.description == "待申领")).one()
            ledger.claim_case(s, actor=world.mediator, case_id=case.id)

    with db.write() as s:
        succeeded_case(s, world.tree["v1"], mediator_id=world.mediator_id, auditor=world.auditor, description="待申领")
    create()  # the counter row exists; steps are counted for a typical (not the first) case
    interrupted = 0
    for unit in (create, claim):
        n = _steps(monkeypatch, unit)  # counts the steps (and really writes once; the baseline is read after)
        with db.read() as s:
            base = (
                counts(s),
                s.exec(select(func.count()).select_from(LedgerEntry)).one(),
                s.exec(select(func.count()).select_from(AuditLog)).one(),
            )
        if unit is claim:  # free the case again for the interrupted runs: reject the live claim
            with db.write() as s:
                live = ledger.live_claim(s, s.exec(select(Case.id).where(Case.description == "待申领")).one())
                ledger.reject_claim(s, actor=world.auditor, claim_id=live.id, reason="测试：重新申领")
            with db.read() as s:
                base = (
                    counts(s),
                    s.exec(select(func.count()).select_from(LedgerEntry)).one(),
                    s.exec(select(func.count()).select_from(AuditLog)).one(),
                )
        for k in range(1, n + 1):
            with monkeypatch.context() as m:
                _interrupt_at(m, k)
                with pytest.raises((RerunException, StopException)):
                    unit()
            interrupted += 1
            with db.read() as s:
                now = (
                    counts(s),
                    s.exec(select(func.count()).select_from(LedgerEntry)).one(),
                    s.exec(select(func.count()).select_from(AuditLog)).one(),
                )
            assert now == base, (unit.__name__, k)
    print(f"LED-9 {db.dialect}: {interrupted} interruptions, 0 partial writes")
    assert interrupted >= 10


# --- LED-10 -----------------------------------------------------------------------------------------------------


def test_record_who_where_when_and_transition_for_every_ledger_step(db, world):
    (claim_id,) = _approved(db, world, 1)
    batch_id = _batch(db, world)
    with db.write() as s:
        ledger_payout.mark_batch_paid(s, actor=world.payer, batch_id=batch_id)
    with db.write() as s:
        ledger.reverse_payment(s, actor=world.approver, claim_id=claim_id, reason="重复支付，冲正")
    with db.read() as s:
        rows = s.exec(select(LedgerEntry).where(LedgerEntry.claim_id == claim_id).order_by(LedgerEntry.id)).all()
        audits = s.exec(
            select(AuditLog.action).where(AuditLog.entity == "subsidyclaim", AuditLog.entity_id == claim_id)
        ).all()
    assert [r.action for r in rows] == ["claim", "audit", "approve", "pay", "reverse"]
    chain = [
        ("", "claimed"),
        ("claimed", "audited"),
        ("audited", "approved"),
        ("approved", "paid"),
        ("paid", "reversed"),
    ]
    assert [(r.from_status, r.to_status) for r in rows] == chain
    for r in rows:
        assert r.actor_id and r.actor_org_id, r
        at = r.at if r.at.tzinfo else r.at.replace(tzinfo=UTC)  # stored as UTC
        assert at.utcoffset() == timedelta(0)
    pay, reverse = rows[3], rows[4]
    assert pay.batch_id == batch_id and reverse.reverses_id == pay.id  # the idempotency key and the link back
    assert sorted(audits) == sorted(f"ledger.{r.action}" for r in rows)


# --- LED-7 ------------------------------------------------------------------------------------------------------


def test_hold_20_split_patterns_and_few_normal_cases(db, world):
    """20 disputes split in two (same people, same type, 0–29 days apart) among 100 normal cases: every split
    case is held for review (not auto-approvable); ≤ 5% of the normal ones are."""
    if db.dialect != "sqlite":
        pytest.skip("an engine-neutral rule (the ledger tests run its pieces on PostgreSQL)")
    from datetime import datetime

    from tests.ledger_factories import unique_parties

    now = datetime.now(UTC)
    split: list[int] = []
    normal: list[int] = []
    shared = None
    with db.write() as s:

        def case(parties, category, days_ago):
            when = now - timedelta(days=days_ago)
            return succeeded_case(
                s,
                world.tree["v1"],
                mediator_id=world.mediator_id,
                auditor=world.auditor,
                parties=parties,
                category=category,
                received_at=when,
                concluded=when + timedelta(hours=6),
            ).id

        categories = ("loan", "neighbour", "damages", "housing_land")
        for n in range(20):
            people = unique_parties(3 if n % 5 == 0 else 2)
            split += [case(people, categories[n % 4], 35), case(people, categories[n % 4], 35 - n % 30)]
        for n in range(100):
            people = unique_parties()
            if n % 4 == 1 and shared is not None:  # the same applicant again, in another dispute with someone else
                people[0] = shared
            if n % 10 == 3:  # the same two people again, but a different type of dispute
                normal.append(case(people, "loan", 20))
                normal.append(case(people, "neighbour", 20))
                continue
            if n % 10 == 7:  # the same two people again, two months later
                normal.append(case(people, "damages", 80))
                normal.append(case(people, "damages", 10))
                continue
            shared = people[0]
            normal.append(case(people, categories[n % 4], n % 40))
    today = clock.local_now().date()
    with db.write() as s:
        ledger.bulk_claim(s, actor=world.auditor, start=today - timedelta(days=120), end=today)
    with db.read() as s:
        status = dict(s.exec(select(SubsidyClaim.case_id, SubsidyClaim.status)).all())
    held_split = sum(status.get(c) == "held" for c in split)
    held_normal = sum(status.get(c) == "held" for c in normal)
    print(f"LED-7: split cases held {held_split}/{len(split)}, normal cases held {held_normal}/{len(normal)}")
    assert held_split == len(split)
    assert held_normal <= 0.05 * len(normal)
    with db.write() as s, pytest.raises(DomainError):  # a held claim cannot be audited (hence never approved)
        ledger.audit_claim(
            s,
            actor=world.auditor,
            claim_id=s.exec(select(SubsidyClaim.id).where(SubsidyClaim.case_id == split[0])).one(),
        )
