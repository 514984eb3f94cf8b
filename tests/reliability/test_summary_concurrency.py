"""Statistics summaries under concurrent writers (issue 21): eight threads, each in its own transactions, create
cases and move them through statuses, agreements and follow-ups on the same few summary rows at once; no
update is lost (delta upserts, no read-modify-write), so the summaries equal a recount afterwards."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from models import Case, Organisation
from services.stats import summary
from tests.factories import make_tree
from tests.services.stats.data import add_agreement, add_follow_up, case_row, insert_cases

WRITERS, ROUNDS = 8, 12
STATUSES = ("accepted", "in_mediation", "succeeded", "failed", "withdrawn", "archived")


def _writer(db, org_ids: list[int], seed: int) -> int:
    rng = random.Random(seed)
    done = 0
    for _ in range(ROUNDS):
        for attempt in range(5):  # PostgreSQL may pick this transaction as a deadlock victim: retry it whole
            try:
                with db.write() as s:
                    org = s.get(Organisation, rng.choice(org_ids))
                    assert org is not None
                    (cid,) = insert_cases(s, [case_row(org, date(2026, 3, 1 + rng.randrange(3)))])
                    s.flush()
                    case = s.get(Case, cid)
                    assert case is not None
                    case.status = rng.choice(STATUSES)
                    s.add(case)
                    s.flush()
                    if case.status in ("succeeded", "archived"):
                        add_agreement(s, cid, kind=rng.choice(("written", "oral")), performance="fulfilled")
                        add_follow_up(s, cid, rng.choice((3, 5)))
                done += 1
                break
            except OperationalError:
                if attempt == 4:
                    raise
    return done


def test_summaries_equal_a_recount_after_eight_concurrent_writers(db):
    if db.dialect != "postgresql":
        pytest.skip("concurrent writers are a PostgreSQL matter (SQLite has one writer at a time)")
    with db.write() as s:
        tree = make_tree(s)
        org_ids = [tree["v1"].id or 0, tree["v2"].id or 0]  # two villages: every writer hits the same rows
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        done = list(pool.map(lambda i: _writer(db, org_ids, i), range(WRITERS)))
    assert sum(done) == WRITERS * ROUNDS
    with db.read() as s:
        assert summary.differences(s) == []
        assert len(s.exec(select(Case.id)).all()) == WRITERS * ROUNDS
