"""LED-1: 20 concurrent claims for each of 50 cases → exactly 50 claims, the rest a clean "already claimed"."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import func, select

from models import LedgerEntry, SubsidyClaim
from services.core.errors import Conflict, DomainError
from services.ledger import claims as ledger
from tests.factories import make_actor
from tests.ledger_factories import add_mediator, make_world, succeeded_case

CASES, PER_CASE = 50, 20


def _storm(db, world, mediators, n_cases=CASES):
    """Claim every case PER_CASE times from 20 threads at once; tally what each attempt ended in."""
    with db.write() as s:
        cases = [
            succeeded_case(s, world.tree["v1"], mediator_id=world.mediator_id, auditor=world.auditor).id
            for _ in range(n_cases)
        ]
    tally: Counter[str] = Counter()
    lock = threading.Lock()
    gate = threading.Barrier(PER_CASE)

    def attempt(n: int) -> None:
        case_id, actor = cases[n // PER_CASE], mediators[n % len(mediators)]
        if n < PER_CASE:
            gate.wait(timeout=30)  # the very first case: all 20 start together
        try:
            with db.write() as s:
                ledger.claim_case(s, actor=actor, case_id=case_id)
            outcome = "claimed"
        except Conflict as err:
            outcome = err.key
        except DomainError as err:  # pragma: no cover - would be a failure below
            outcome = f"domain:{err.key}"
        except Exception as err:  # an uncaught error is exactly what this test looks for
            outcome = f"uncaught:{type(err).__name__}:{str(err)[:200]}"
        with lock:
            tally[outcome] += 1

    with ThreadPoolExecutor(max_workers=PER_CASE) as pool:
        list(pool.map(attempt, range(n_cases * PER_CASE)))
    return cases, tally


def _assert_exactly_one_per_case(db, cases, tally):
    n = len(cases)
    assert tally == Counter({"claimed": n, "error.ledger_already_claimed": n * (PER_CASE - 1)})
    with db.read() as s:
        per_case = dict(s.exec(select(SubsidyClaim.case_id, func.count()).group_by(SubsidyClaim.case_id)).all())
        entries = s.exec(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.action == "claim")).one()
    assert per_case == dict.fromkeys(cases, 1)
    assert entries == n


@pytest.fixture
def world_with_mediators(db):
    with db.write() as s:
        world = make_world(s)
        extra = [make_actor(s, world.tree["v1"], ["mediator"]) for _ in range(3)]
        for i, actor in enumerate(extra):
            add_mediator(s, actor, f"调解员{i}")
    return world, [world.mediator, *extra]


def test_claim_concurrently_once_per_case(db, world_with_mediators):
    world, mediators = world_with_mediators
    cases, tally = _storm(db, world, mediators)
    _assert_exactly_one_per_case(db, cases, tally)


def test_claim_concurrently_once_per_case_by_index_alone(db, world_with_mediators, monkeypatch):
    """Without the lock and the look-up first, the unique index alone still lets exactly one through.

    Fewer cases here: every loser now runs the whole eligibility check before the index refuses it."""
    world, mediators = world_with_mediators
    real = ledger.case_for_ledger
    monkeypatch.setattr(ledger, "live_claim", lambda session, case_id: None)
    monkeypatch.setattr(
        ledger, "case_for_ledger", lambda session, actor, case_id, for_update=False: real(session, actor, case_id)
    )
    cases, tally = _storm(db, world, mediators, n_cases=CASES // 5)
    _assert_exactly_one_per_case(db, cases, tally)
