"""Keyset paging on the pages (AppTest): 下一页 / 上一页 on the ledger and admin lists, 加载更多 on the workbench."""

from __future__ import annotations

import pytest

from models import Mediator, User
from services.cases import workbench
from services.ledger import claims as ledger
from tests.case_factories import accepted_case
from tests.case_factories import make_world as case_world
from tests.factories import make_tree, make_user
from tests.ledger_factories import make_world as ledger_world
from tests.ledger_factories import succeeded_case
from tests.pages.conftest import page_text

pytestmark = pytest.mark.parametrize("db", ["sqlite"], indirect=True)  # the services run on both engines


def _open(make_app, user, page, query=None):
    at = make_app(user=user, query=query)
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _click(at, key: str):
    next(b for b in at.button if b.key == key).click().run()
    assert not at.exception, at.exception
    return at


def _keys(at, prefix: str) -> set[str]:
    return {b.key for b in at.button if (b.key or "").startswith(prefix)}


def test_admin_list_next_and_previous_page(db, make_app):
    with db.write() as s:
        tree = make_tree(s)
        s.add_all(Mediator(name=f"调解员{i:02d}", org_id=tree["v1"].id) for i in range(45))
        user = make_user(s, tree["county"], ["coordinator"], username="keyset_admin")
    at = _open(make_app, user, "pages/staff/admin.py", {"entity": "mediator"})
    first = _keys(at, "admin.mediator.open.")
    assert len(first) == 20 and "第 1/3 页" in page_text(at)
    second = _keys(_click(at, "admin.mediator.next"), "admin.mediator.open.")
    assert len(second) == 20 and not first & second and "第 2/3 页" in page_text(at)
    third = _keys(_click(at, "admin.mediator.next"), "admin.mediator.open.")
    assert len(third) == 5 and not (first | second) & third
    assert next(b for b in at.button if b.key == "admin.mediator.next").disabled
    assert _keys(_click(at, "admin.mediator.prev"), "admin.mediator.open.") == second


def test_ledger_next_previous_and_first_page(db, make_app):
    with db.write() as s:
        world = ledger_world(s)
    for _ in range(53):
        with db.write() as s:
            case = succeeded_case(s, world.tree["v1"], mediator_id=world.mediator_id, auditor=world.auditor)
            ledger.claim_case(s, actor=world.mediator, case_id=case.id)
    with db.read() as s:
        user = s.get(User, world.auditor.user_id)
    at = _open(make_app, user, "pages/staff/ledger.py")
    picks = lambda: set(at.selectbox(key="ledger.pick").options)  # noqa: E731 - the claims of the page shown
    first = picks()
    assert len(first) == 50 and not _keys(at, "ledger.prev")
    _click(at, "ledger.next")
    assert len(picks()) == 3 and not picks() & first and not _keys(at, "ledger.next")
    _click(at, "ledger.prev")
    assert picks() == first
    _click(at, "ledger.next")
    _click(at, "ledger.first")
    assert picks() == first


def test_workbench_load_more_adds_the_next_page(db, make_app):
    w = case_world(db)
    ids = [accepted_case(db, w.mediator).id for _ in range(workbench.PAGE + 3)]
    with db.read() as s:
        user = s.get(User, w.mediator.user_id)
    at = _open(make_app, user, "pages/staff/workbench.py")
    first = _keys(at, "workbench.open.")
    assert len(first) == workbench.PAGE
    _click(at, "workbench.more")
    assert _keys(at, "workbench.open.") == {f"workbench.open.{i}" for i in ids} and not _keys(at, "workbench.more")
