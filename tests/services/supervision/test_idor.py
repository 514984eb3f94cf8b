"""AZ-5 for supervision: every service function taking a case, order or request id refuses an actor from another
village or county, with the same refusal as for a missing id."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta

import pytest

from services.core import clock
from services.core.db import Database
from services.core.errors import NotFound, PermissionDenied
from services.roster.orgs import create_org
from services.supervision import desk, orders, person, response, risk
from tests.case_factories import make_world, new_case
from tests.factories import make_actor

MODULES = (desk, orders, person, response, risk)
ID_PARAMS = {"case_id", "order_id", "request_id"}


def _calls(case_id: int, order_id: int, request_id: int):  # type: ignore[no-untyped-def]
    held = datetime.now(UTC) - timedelta(hours=1)
    return {
        "desk.case_orders": lambda s, a: desk.case_orders(s, actor=a, case_id=case_id),
        "orders.open_order": lambda s, a: orders.open_order(
            s, actor=a, case_id=case_id, reason="overdue", deadline=clock.today()
        ),
        "orders.file_report": lambda s, a: orders.file_report(s, actor=a, order_id=order_id, text="x"),
        "orders.request_change": lambda s, a: orders.request_change(
            s, actor=a, order_id=order_id, kind="delist", reason="x"
        ),
        "orders.decide_request": lambda s, a: orders.decide_request(
            s, actor=a, request_id=request_id, approve=False, reason="x"
        ),
        "person.person_disputes": lambda s, a: person.person_disputes(s, actor=a, case_id=case_id),
        "response.record_response": lambda s, a: response.record_response(s, actor=a, case_id=case_id, step="contact"),
        "response.record_consultation": lambda s, a: response.record_consultation(
            s, actor=a, case_id=case_id, held_at=held, participants="a", decision="b"
        ),
        "response.risk_view": lambda s, a: response.risk_view(s, actor=a, case_id=case_id),
    }


def test_every_id_taking_function_is_covered() -> None:
    """A new actor-facing function with an id parameter needs a row above."""
    found = {
        f"{m.__name__.rsplit('.', 1)[1]}.{name}"
        for m in MODULES
        for name, fn in inspect.getmembers(m, inspect.isfunction)
        if fn.__module__ == m.__name__
        and not name.startswith("_")
        and "actor" in inspect.signature(fn).parameters
        and ID_PARAMS & set(inspect.signature(fn).parameters)
    }
    assert found == set(_calls(0, 0, 0))


def test_foreign_and_missing_ids_are_refused(db: Database) -> None:
    w = make_world(db)
    case = new_case(db, w.orgs["v1"], group_size=40)
    with db.write() as s:
        risk.refresh_case(s, case.id)
        order = orders.open_order(
            s, actor=w.coordinator, case_id=case.id, reason="overdue", deadline=clock.today() + timedelta(days=5)
        )
        ask = orders.request_change(
            s,
            actor=w.mediator,
            order_id=order.id,
            kind="extend",
            reason="x",
            new_deadline=order.deadline + timedelta(days=3),
        )
        other = create_org(s, code="C2", name="另一县", kind="county", parent=w.orgs["root"])
        office = create_org(s, code="CO2", name="另一县矛调中心", kind="coordination", parent=other)
        foreign_coord = make_actor(s, office, ["coordinator"])
    for call in _calls(case.id, order.id, ask.id).values():
        for actor in (w.mediator2, foreign_coord):
            with pytest.raises(PermissionDenied), db.write() as s:
                call(s, actor)
    for call in _calls(10**9, 10**9, 10**9).values():
        with pytest.raises((NotFound, PermissionDenied)), db.write() as s:
            call(s, w.coordinator)
