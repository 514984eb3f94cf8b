"""The workbench pages by keyset: every card once, in the tab's order (deadline ties and cards without a deadline
included), while cases keep arriving."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from models import Case
from services.access import scope as area_scope
from services.access.authz import case_visible_clause
from services.cases import confirmation, workbench
from services.core import clock
from tests.case_factories import accepted_case, handed_over, make_world, succeeded_case

DUES = (3, None, -1, 3, 10, None, 3, -1, 10, 3, None, 0, 3)  # days from today; ties and no deadline


def _set_due(db, case_id: int, days: int | None) -> None:
    with db.write() as s:
        c = s.get(Case, case_id)
        c.conclude_due = None if days is None else clock.today() + timedelta(days=days)
        s.add(c)


def _walk(db, actor, view: str, limit: int, between=None) -> list[int]:
    seen: list[int] = []
    after = None
    while True:
        with db.read() as s:
            page = workbench.page_cards(s, actor=actor, view=view, after=after, limit=limit)
        assert len(page.items) <= limit
        seen += [c.id for c in page.items]
        if (after := page.after) is None:
            return seen
        if between is not None:
            between()


def test_todo_walk_every_card_once_by_deadline_ties_by_newest(db):
    w = make_world(db)
    ids = []
    for days in DUES:
        ids.append(accepted_case(db, w.mediator).id)
        _set_due(db, ids[-1], days)
    with db.read() as s:
        whole = [c.id for c in workbench.list_cards(s, actor=w.mediator, limit=100)]
    due = dict(zip(ids, DUES, strict=True))
    expected = sorted(ids, key=lambda i: (due[i] is None, due[i] or 0, -i))  # the order _order() defines
    assert whole == expected
    for limit in (1, 2, 4, 5):
        assert _walk(db, w.mediator, "todo", limit) == expected


def test_cases_arriving_between_pages_neither_repeat_nor_skip_earlier_ones(db):
    w = make_world(db)
    ids = []
    for days in DUES:
        ids.append(accepted_case(db, w.mediator).id)
        _set_due(db, ids[-1], days)
    with db.read() as s:
        before_todo = workbench.list_cards(s, actor=w.mediator, limit=100)
        before_all = workbench.list_cards(s, actor=w.mediator, view="all", limit=100)

    def arrive() -> None:  # one with the earliest deadline (above the pages read), one with none (at the end)
        _set_due(db, accepted_case(db, w.mediator).id, -5)
        _set_due(db, accepted_case(db, w.mediator).id, None)

    for view, before in (("todo", before_todo), ("all", before_all)):
        seen = _walk(db, w.mediator, view, 3, between=arrive)
        old = [c.id for c in before]
        assert len(seen) == len(set(seen)) and [i for i in seen if i in set(old)] == old


def test_all_tab_newest_first_by_id(db):
    w = make_world(db)
    ids = [accepted_case(db, w.mediator).id for _ in range(7)]
    assert _walk(db, w.mediator, "all", 3) == sorted(ids, reverse=True)


def test_wide_area_walk_lists_exactly_the_visible_cases(db, monkeypatch):
    """全部 over a wide area tests each case by its per-row twin of case_visible_clause: the same cases."""
    w = make_world(db)
    handed_over(db, w)
    done = succeeded_case(db, w.mediator)
    with db.write() as s:
        confirmation.apply_confirmation(s, actor=w.mediator, case_id=done.id, court_org_id=w.orgs["court"].id)
    accepted_case(db, w.mediator2)
    for wide in (1, 10**6):  # 1: only the whole tree is wide; 10**6: every area is, so every actor walks
        monkeypatch.setattr(area_scope, "WIDE", wide)
        for actor in (w.mediator, w.mediator2, w.coordinator, w.police, w.court, w.justice):
            with db.read() as s:
                walked = [c.id for c in workbench.list_cards(s, actor=actor, view="all", limit=100)]
                visible = s.exec(select(Case.id).where(case_visible_clause(actor)).order_by(col(Case.id).desc()))
                assert walked == list(visible.all()), (wide, actor.username)


def test_overdue_walk_every_late_case_once_oldest_deadline_first(db):
    """已超期 picks its page from the overdue (id, deadline) pairs kind by kind: the same order and cursor as 待办."""
    w = make_world(db)
    late = (-1, -3, -1, -7, -3, -1, 2, None, -3)  # the last three but one are not overdue
    ids = []
    for days in late:
        ids.append(accepted_case(db, w.mediator).id)
        _set_due(db, ids[-1], days)
    due = dict(zip(ids, late, strict=True))
    expected = sorted((i for i in ids if (due[i] or 0) < 0), key=lambda i: (due[i], -i))
    with db.read() as s:
        whole = workbench.page_cards(s, actor=w.coordinator, view="overdue", limit=100)
    assert [c.id for c in whole.items] == expected and whole.after is None
    assert [c.due for c in whole.items] == [clock.today() + timedelta(days=due[i] or 0) for i in expected]
    for limit in (1, 2, 4):
        assert _walk(db, w.coordinator, "overdue", limit) == expected
