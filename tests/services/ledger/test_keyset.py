"""The office ledger pages by keyset: every claim once, newest first, while claims keep arriving."""

from __future__ import annotations

import pytest

from services.ledger import claims as ledger
from services.ledger.views import list_claims
from tests.ledger_factories import make_world, succeeded_case


@pytest.fixture
def world(db):
    with db.write() as s:
        return make_world(s)


def _claim(db, world, org="v1") -> int:
    with db.write() as s:
        mediator, mid = (world.mediator, world.mediator_id) if org == "v1" else (world.mediator2, world.mediator2_id)
        case = succeeded_case(s, world.tree[org], mediator_id=mid, auditor=world.auditor)
        return ledger.claim_case(s, actor=mediator, case_id=case.id).id


def test_walk_every_claim_once_newest_first_while_claims_arrive(db, world):
    first = [_claim(db, world, "v1" if i % 3 else "v2") for i in range(11)]
    seen: list[int] = []
    after = None
    while True:
        with db.read() as s:
            page = list_claims(s, actor=world.auditor, after=after, limit=4)
        assert page.count >= 11 and len(page.rows) <= 4
        seen += [r.id for r in page.rows]
        if page.after is None:
            break
        after = page.after
        _claim(db, world)  # a new claim between two page loads: it is newer, so above the pages already read
    assert seen == sorted(first, reverse=True)


def test_filtered_pages_keep_the_filter_past_the_cursor(db, world):
    ids = [_claim(db, world) for _ in range(7)]
    with db.write() as s:
        for claim_id in ids[::2]:
            ledger.audit_claim(s, actor=world.auditor, claim_id=claim_id)
    seen: list[int] = []
    after = None
    with db.read() as s:
        while True:
            page = list_claims(s, actor=world.auditor, status="audited", after=after, limit=2)
            seen += [r.id for r in page.rows]
            assert page.count == 4 and all(r.status == "audited" for r in page.rows)
            if (after := page.after) is None:
                break
    assert seen == sorted(ids[::2], reverse=True)
