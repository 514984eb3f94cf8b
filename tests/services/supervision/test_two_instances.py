"""Two app processes on one PostgreSQL run the overdue-report check at the same moment: one accountability event,
and only one of them writes its timeline entry and notifications."""

from __future__ import annotations

import multiprocessing
import os
import sys
import types
from datetime import timedelta

import pytest
from sqlmodel import select

from models import AccountabilityEvent, CaseEvent, Notification
from services.core import clock
from services.core.db import Database
from tests.case_factories import make_world, new_case
from tests.services.supervision import race


def test_two_instances_record_one_accountability_event(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    if db.dialect != "postgresql":
        pytest.skip("two processes on one database: PostgreSQL only")
    from services.supervision import orders

    w = make_world(db)
    case = new_case(db, w.orgs["v1"])
    with db.write() as s:
        order = orders.open_order(
            s,
            actor=w.coordinator,
            case_id=case.id,
            reason="overdue",
            deadline=clock.today() + timedelta(days=9),
            report_every_days=2,
        )
    later = order.report_due + timedelta(days=1)
    # the workers start from the worker module alone: an AppTest script left as __main__ must not be re-run there
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    env = {k: v for k, v in os.environ.items() if k in ("DATA_KEY", "AUTH_COOKIE_KEY", "MEDIATION_SECRETS_FILE")}
    procs = [ctx.Process(target=race.check_overdue, args=(env, db.url, later, barrier, results)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    got = sorted(results.get(timeout=30) for _ in procs)
    assert got == [0, 1]
    with db.read() as s:
        assert len(s.exec(select(AccountabilityEvent)).all()) == 1
        assert len(s.exec(select(CaseEvent).where(CaseEvent.kind == "supervision.accountability")).all()) == 1
        assert (
            len(s.exec(select(Notification).where(Notification.key == "notify.supervision_accountability")).all()) == 2
        )
