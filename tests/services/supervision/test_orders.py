"""Supervision orders: open, report, de-list (refused once, then approved), extension decided by the level above;
every step on the timeline, notified and audited; once-only rules; the overdue report as exactly one 问责."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
import time_machine
from openpyxl import load_workbook
from PIL import Image
from sqlmodel import col, select

from models import AccountabilityEvent, AuditLog, CaseEvent, Notification, SupervisionOrder
from services.access.authz import Actor
from services.cases.sessions import FileInput
from services.core import clock
from services.core.db import Database
from services.core.errors import Conflict, DomainError, OutOfScope, PermissionDenied, ValidationFailed
from services.supervision import desk, figures, orders, overdue
from tests.case_factories import World, make_world, new_case
from tests.factories import make_actor


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buf, "PNG")
    return buf.getvalue()


def town_actor(db: Database, w: World) -> Actor:
    with db.write() as s:
        return make_actor(s, s.merge(w.orgs["town"]), ["coordinator"])


def opened(db: Database, w: World, *, days: int = 10, every: int = 7) -> SupervisionOrder:
    case = new_case(db, w.orgs["v1"])
    with db.write() as s:
        return orders.open_order(
            s,
            actor=w.coordinator,
            case_id=case.id,
            reason="protracted",
            deadline=clock.today() + timedelta(days=days),
            report_every_days=every,
            note="请于期限内化解",
        )


def test_supervise_a_village_case_through_to_delisting(db: Database) -> None:
    w = make_world(db)
    town = town_actor(db, w)
    order = opened(db, w)
    assert (order.handling_org_id, order.supervisor_org_id) == (w.orgs["v1"].id, w.coordinator.org_id)
    with db.read() as s:
        assert [r.case_no for r in desk.my_reports(s, actor=w.mediator)] != []
        assert desk.my_reports(s, actor=w.mediator2) == []
    for n in (1, 2):
        with db.write() as s:
            orders.file_report(
                s,
                actor=w.mediator,
                order_id=order.id,
                text=f"第{n}次反馈：已组织双方见面",
                files=[FileInput("a.png", png())],
            )
    with db.write() as s:
        ext = orders.request_change(
            s,
            actor=w.mediator,
            order_id=order.id,
            kind="extend",
            reason="当事人外出务工",
            new_deadline=order.deadline + timedelta(days=10),
        )
    with db.write() as s:
        ask = orders.request_change(s, actor=w.mediator, order_id=order.id, kind="delist", reason="双方已达成协议")
    with pytest.raises(ValidationFailed), db.write() as s:  # a refusal needs a reason
        orders.decide_request(s, actor=w.coordinator, request_id=ask.id, approve=False)
    with db.write() as s:
        orders.decide_request(s, actor=w.coordinator, request_id=ask.id, approve=False, reason="协议尚未履行")
    with pytest.raises(PermissionDenied), db.write() as s:  # a village mediator may not decide
        orders.decide_request(s, actor=w.mediator2, request_id=ext.id, approve=True)
    with db.write() as s:  # the town (the level above the village) approves the extension
        orders.decide_request(s, actor=town, request_id=ext.id, approve=True, reason="同意延期")
    with db.write() as s:
        again = orders.request_change(s, actor=w.mediator, order_id=order.id, kind="delist", reason="协议已履行完毕")
    with pytest.raises(OutOfScope), db.write() as s:  # the town is not the supervisor: it does not de-list
        orders.decide_request(s, actor=town, request_id=again.id, approve=True)
    with db.write() as s:
        orders.decide_request(s, actor=w.coordinator, request_id=again.id, approve=True, reason="同意摘牌")
    with db.read() as s:
        done = s.get(SupervisionOrder, order.id)
        assert done.state == "delisted" and done.deadline == order.deadline + timedelta(days=10)
        kinds = s.exec(
            select(CaseEvent.kind)
            .where(CaseEvent.case_id == order.case_id, col(CaseEvent.kind).startswith("supervision."))
            .order_by(col(CaseEvent.id))
        ).all()
        assert kinds == [
            "supervision.opened",
            "supervision.report",
            "supervision.report",
            "supervision.extend_requested",
            "supervision.delist_requested",
            "supervision.delist_refused",
            "supervision.extend_approved",
            "supervision.delist_requested",
            "supervision.delist_approved",
        ]
        audited = s.exec(select(AuditLog.action).where(col(AuditLog.action).startswith("supervision."))).all()
        assert len(audited) == len(kinds)
        told = s.exec(
            select(Notification.key, Notification.org_id).where(col(Notification.key).startswith("notify.supervision"))
        ).all()
        assert ("notify.supervision_opened", w.orgs["v1"].id) in told
        assert ("notify.supervision_extend_requested", w.orgs["town"].id) in told
        assert ("notify.supervision_delist_refused", w.orgs["v1"].id) in told
        view = desk.case_orders(s, actor=w.coordinator, case_id=order.case_id)[0]
        assert view.row.state == "delisted" and view.row.reports == 2
        assert [st.status for st in view.steps if st.kind == "delist"] == ["refused", "approved"]


def test_one_active_order_and_one_pending_request(db: Database) -> None:
    w = make_world(db)
    order = opened(db, w)
    with pytest.raises(Conflict), db.write() as s:
        orders.open_order(s, actor=w.coordinator, case_id=order.case_id, reason="overdue", deadline=clock.today())
    with db.write() as s:
        orders.request_change(s, actor=w.mediator, order_id=order.id, kind="delist", reason="已化解")
    with pytest.raises(Conflict), db.write() as s:
        orders.request_change(s, actor=w.mediator, order_id=order.id, kind="delist", reason="已化解")


def test_refuse_who_may_not_act(db: Database) -> None:
    w = make_world(db)
    order = opened(db, w)
    with pytest.raises(PermissionDenied), db.write() as s:  # a mediator cannot open an order
        orders.open_order(s, actor=w.mediator, case_id=order.case_id, reason="overdue", deadline=clock.today())
    with pytest.raises(OutOfScope), db.write() as s:  # another village cannot report on it
        orders.file_report(s, actor=w.mediator2, order_id=order.id, text="x")
    with pytest.raises(DomainError), db.write() as s:  # a deadline in the past
        other = new_case(db, w.orgs["v2"])
        orders.open_order(s, actor=w.coordinator, case_id=other.id, reason="overdue", deadline=date(2020, 1, 1))


def test_form_token_makes_a_second_tap_harmless(db: Database) -> None:
    w = make_world(db)
    case = new_case(db, w.orgs["v1"])
    made = []
    for _ in range(2):
        with db.write() as s:
            o = orders.open_order(
                s, actor=w.coordinator, case_id=case.id, reason="overdue", deadline=clock.today(), form_token="t-open"
            )
            made.append(o.id)
    assert made[0] == made[1]


def test_missed_report_is_exactly_one_accountability_event(db: Database) -> None:
    w = make_world(db)
    order = opened(db, w, days=20, every=3)
    later = clock.local_now() + timedelta(days=4)  # the report fell due a day ago
    with time_machine.travel(later, tick=False):
        for _ in range(3):
            with db.write() as s:
                overdue.record_overdue_reports(s)
        with db.read() as s:
            counts, _ = desk.list_desk(s, actor=w.coordinator)
            assert counts["overdue"] == 1
    with db.read() as s:
        events = s.exec(select(AccountabilityEvent)).all()
        assert [(e.order_id, e.org_id, e.due) for e in events] == [(order.id, w.orgs["v1"].id, order.report_due)]
        assert len(s.exec(select(CaseEvent).where(CaseEvent.kind == "supervision.accountability")).all()) == 1
        assert (
            len(s.exec(select(Notification).where(Notification.key == "notify.supervision_accountability")).all()) == 2
        )
    with db.write() as s:  # reporting moves the next due day on; nothing more is overdue today
        orders.file_report(s, actor=w.mediator, order_id=order.id, text="已反馈")
        assert overdue.record_overdue_reports(s) == 0


def test_desk_counts_export_and_figures(db: Database) -> None:
    w = make_world(db)
    near = opened(db, w, days=2)
    far = opened(db, w, days=30, every=14)
    with db.write() as s:
        ask = orders.request_change(s, actor=w.mediator, order_id=far.id, kind="delist", reason="已化解")
    with db.read() as s:
        counts, _ = desk.list_desk(s, actor=w.coordinator)
        assert counts == {"watching": 0, "near": 1, "overdue": 0, "delist_requested": 1, "delisted": 0}
        assert [r.id for r in desk.list_desk(s, actor=w.coordinator, state="near")[1]] == [near.id]
        sheet = load_workbook(io.BytesIO(desk.desk_xlsx(s, actor=w.coordinator))).active
        assert sheet.max_row == 3 and sheet.cell(1, 1).value == "案件编号"
    with db.write() as s:
        orders.decide_request(s, actor=w.coordinator, request_id=ask.id, approve=True)
    with db.read() as s:
        f = figures.supervision_figures(s, actor=w.coordinator, first=clock.today(), last=clock.today())
        assert (f.opened, f.delisted, f.on_time, f.overdue, f.accountability) == (2, 1, 1, 0, 0)
        assert f.avg_days is not None and f.avg_days < 1


def test_red_case_is_delisted_only_after_a_consultation(db: Database) -> None:
    from datetime import UTC, datetime

    from services.supervision import response, risk

    w = make_world(db)
    case = new_case(db, w.orgs["v1"], group_size=60)
    with db.write() as s:
        risk.refresh_case(s, case.id)
        order = orders.open_order(s, actor=w.coordinator, case_id=case.id, reason="group", deadline=clock.today())
        ask = orders.request_change(s, actor=w.mediator, order_id=order.id, kind="delist", reason="已稳控")
    with pytest.raises(Conflict), db.write() as s:
        orders.decide_request(s, actor=w.coordinator, request_id=ask.id, approve=True)
    with db.write() as s:
        response.record_consultation(
            s,
            actor=w.coordinator,
            case_id=case.id,
            held_at=datetime.now(UTC),
            participants="综治中心、派出所",
            decision="分头稳控",
        )
        orders.decide_request(s, actor=w.coordinator, request_id=ask.id, approve=True)
        assert s.get(SupervisionOrder, order.id).state == "delisted"


def test_steps_reach_the_group_robot_in_words(db: Database) -> None:
    from models import OrgWebhook, WebhookDelivery
    from services.notify.webhooks import message_text

    w = make_world(db)
    with db.write() as s:
        s.add(OrgWebhook(org_id=w.orgs["v1"].id, vendor="wecom", url="http://127.0.0.1:9/send?key=k"))
    order = opened(db, w)
    with db.read() as s:
        sent = s.exec(select(WebhookDelivery)).all()
        assert [d.key for d in sent] == ["notify.supervision_opened"]
        text = message_text(key=sent[0].key, case_no="2026-V1-00001", case_id=order.case_id)
        assert "案件被挂牌督办" in text and "2026-V1-00001" in text


def test_background_dispatcher_runs_the_overdue_check(db: Database) -> None:
    from services.notify.reminders import run_reminders

    w = make_world(db)
    order = opened(db, w, days=20, every=2)
    with time_machine.travel(clock.local_now() + timedelta(days=3), tick=False):
        run_reminders(db)
        run_reminders(db)
    with db.read() as s:
        assert [(e.order_id, e.due) for e in s.exec(select(AccountabilityEvent)).all()] == [
            (order.id, order.report_due)
        ]
