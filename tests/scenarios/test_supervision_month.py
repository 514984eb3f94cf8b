"""A month of supervision as the county office and two villages live it, in China time: eight orders opened on a
Monday morning; the villages report on some days and forget others; the dispatcher's check runs just after
midnight every night; extensions asked and decided; de-listing refused and approved. Every total (desk counts,
accountability events, dashboard figures) is cross-checked against the rows, and nothing is recorded twice."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import time_machine
from sqlmodel import select

from models import AccountabilityEvent, CaseEvent, SupervisionOrder
from services.core import clock
from services.core.db import Database
from services.supervision import desk, figures, orders, overdue
from tests.case_factories import make_world, new_case

MONDAY_8AM = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)  # 08:00 in China on Monday 2 November


def china(day: int, hour: int, minute: int = 0) -> datetime:
    """The moment of `hour:minute` China time, `day` days after the Monday."""
    return MONDAY_8AM + timedelta(days=day, hours=hour - 8, minutes=minute)


def test_a_month_of_supervision(db: Database) -> None:
    w = make_world(db)
    with time_machine.travel(china(0, 8), tick=False):
        cases = [new_case(db, w.orgs["v1" if n % 2 == 0 else "v2"]) for n in range(8)]
        ids = []
        for n, case in enumerate(cases):
            with db.write() as s:
                o = orders.open_order(
                    s,
                    actor=w.coordinator,
                    case_id=case.id,
                    reason=("overdue", "protracted", "repeat_visits", "group")[n % 4],
                    deadline=date(2026, 11, 2) + timedelta(days=14 + n),
                    report_every_days=3,
                )
                ids.append(o.id)
    reporters = {0: w.mediator, 1: w.mediator2}
    missed: set[tuple[int, date]] = set()  # what the rows must show: (order, the report day that passed)
    for day in range(28):
        # the diligent half (even orders) reports every other afternoon at 15:30; the rest never reports
        with time_machine.travel(china(day, 15, 30), tick=False):
            for n, oid in enumerate(ids):
                with db.read() as s:
                    order = s.get(SupervisionOrder, oid)
                if order.state == "delisted" or n % 2 == 1 or day % 2 == 1:
                    continue
                with db.write() as s:
                    orders.file_report(s, actor=reporters[n % 2 == 1], order_id=oid, text=f"第{day}天进展")
        # 00:05 the next night (a new China day): the dispatcher's check, twice (two passes, nothing doubled)
        with time_machine.travel(china(day + 1, 0, 5), tick=False):
            today = clock.today()
            with db.read() as s:
                for o in s.exec(select(SupervisionOrder)).all():
                    if o.state != "delisted" and o.report_due < today:
                        missed.add((o.id, o.report_due))
            for _ in range(2):
                with db.write() as s:
                    overdue.record_overdue_reports(s)
        if day == 10:  # order 0 asks to de-list: refused once, then approved on day 12
            with time_machine.travel(china(day, 16), tick=False), db.write() as s:
                ask = orders.request_change(s, actor=w.mediator, order_id=ids[0], kind="delist", reason="已调解成功")
                orders.decide_request(s, actor=w.coordinator, request_id=ask.id, approve=False, reason="待履行")
        if day == 12:
            with time_machine.travel(china(day, 16), tick=False), db.write() as s:
                ask = orders.request_change(s, actor=w.mediator, order_id=ids[0], kind="delist", reason="已履行")
                orders.decide_request(s, actor=w.coordinator, request_id=ask.id, approve=True)
        if day == 5:  # order 2 asks for two more weeks; the office above approves
            with time_machine.travel(china(day, 9), tick=False), db.write() as s:
                order = s.get(SupervisionOrder, ids[2])
                ext = orders.request_change(
                    s,
                    actor=w.mediator,
                    order_id=ids[2],
                    kind="extend",
                    reason="当事人住院",
                    new_deadline=order.deadline + timedelta(days=14),
                )
                orders.decide_request(s, actor=w.coordinator, request_id=ext.id, approve=True)

    with db.read() as s:
        events = s.exec(select(AccountabilityEvent)).all()
        assert {(e.order_id, e.due) for e in events} == missed and len(events) == len(missed)
        assert all(e.org_id == s.get(SupervisionOrder, e.order_id).handling_org_id for e in events)
        timeline = Counter(e.kind for e in s.exec(select(CaseEvent)).all() if e.kind.startswith("supervision."))
        assert timeline["supervision.accountability"] == len(events)
        assert timeline["supervision.opened"] == 8 and timeline["supervision.delist_approved"] == 1
    with time_machine.travel(china(28, 10), tick=False), db.read() as s:
        counts, rows = desk.list_desk(s, actor=w.coordinator)
        assert sum(counts.values()) == len(rows) == 8
        assert counts["delisted"] == 1
        assert counts["overdue"] == sum(1 for r in rows if r.state == "overdue") >= 4  # the silent half
        f = figures.supervision_figures(s, actor=w.coordinator, first=date(2026, 11, 1), last=date(2026, 11, 30))
        assert (f.opened, f.delisted, f.on_time, f.accountability) == (8, 1, 1, len(events))
        assert f.overdue == sum(1 for r in rows if r.state != "delisted" and r.deadline < date(2026, 11, 30))
        assert f.avg_days is not None and 12 <= f.avg_days <= 13
        mine = desk.my_reports(s, actor=w.mediator)
        assert [r.handling_org for r in mine] == [w.orgs["v1"].name] * 3
