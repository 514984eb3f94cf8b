"""Keyset paging of the generic admin lists: every row once, in order, with ties and NULLs, while rows arrive."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from models import Mediator
from services.admin import entities as admin
from services.admin.entities import ListQuery
from tests.factories import make_actor, make_tree


@pytest.fixture
def county(db):
    """A county coordinator and 53 mediators in its villages: names with ties, stars with ties and NULLs."""
    with db.write() as s:
        tree = make_tree(s)
        s.add_all(
            Mediator(name=f"调解员{i % 7}", org_id=tree["v1" if i % 2 else "v2"].id, stars=(i % 4) or None)
            for i in range(53)
        )
        return make_actor(s, tree["county"], ["coordinator"]), tree["v1"].id


def _expected(db, order: str) -> list[int]:
    """The ids in the list's order, computed in Python: the column (NULLs last either way), then the id."""
    name, desc = order.lstrip("-"), order.startswith("-")
    with db.read() as s:
        rows = s.exec(select(Mediator)).all()
    present = sorted((r for r in rows if getattr(r, name) is not None), key=lambda r: r.id or 0)
    present.sort(key=lambda r: getattr(r, name), reverse=desc)  # stable: ties stay in id order
    return [r.id or 0 for r in present] + sorted(r.id or 0 for r in rows if getattr(r, name) is None)


def _walk(db, actor, order: str, between=None) -> list[int]:
    seen: list[int] = []
    after = None
    while True:
        with db.read() as s:
            page = admin.list_rows(s, actor=actor, entity="mediator", query=ListQuery(order=order, after=after))
        seen += [r.id for r in page.rows]
        if page.after is None:
            return seen
        after = page.after
        if between is not None:
            between(seen)


@pytest.mark.parametrize("order", ["name", "-name", "stars", "-stars", ""])
def test_walk_every_row_once_in_order_with_ties_and_nulls(db, county, order):
    actor, _ = county
    seen = _walk(db, actor, order)
    expected = _expected(db, order or "name")
    assert len(seen) == 53 and seen == expected


def test_rows_added_between_pages_neither_repeat_nor_skip_earlier_ones(db, county):
    actor, v1 = county
    before = _expected(db, "-stars")

    def add(seen: list[int]) -> None:  # a new mediator at the top, one at the bottom and one at the cursor's tie
        with db.write() as s:
            tie = s.get(Mediator, seen[-1]).stars
            s.add_all(Mediator(name="新", org_id=v1, stars=stars) for stars in (9, None, tie))

    seen = _walk(db, actor, "-stars", between=add)
    assert len(seen) == len(set(seen))
    assert [i for i in seen if i in set(before)] == before  # every earlier row, once, in its order
    with db.read() as s:
        added = set(s.exec(select(Mediator.id).where(col(Mediator.name) == "新")).all())
    assert set(seen) - set(before) <= added


def test_export_walks_every_row_by_cursor(db, county, monkeypatch):
    actor, _ = county
    monkeypatch.setattr(admin, "EXPORT_CHUNK", 10)
    with db.read() as s:
        ids = [r.id for r in admin.iter_export(s, actor=actor, entity="mediator", query=ListQuery(order="-stars"))]
        capped = list(admin.iter_export(s, actor=actor, entity="mediator", limit=25))
    assert ids == _expected(db, "-stars") and len(capped) == 25
