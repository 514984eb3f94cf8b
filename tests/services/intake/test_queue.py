"""The staff intake queue: scope, masking, paging, quarantine view; accept, reject, spam and merge."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

from models import Case, CaseEvent, Mediator, Notification
from models.base import utc_now
from services.core.config import Limit
from services.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from services.intake import queue as intake_queue
from services.intake.form import IntakeForm, issue_form_token
from services.intake.pipeline import IntakeSettings, submit_intake
from tests.factories import make_actor, make_tree

OPEN = IntakeSettings(min_seconds=3, client=Limit(1000, 600), org=Limit(1000, 3600))


def submit(db, org="V1", phone="13812345678", text="邻居家排水沟堵塞，雨水流进我家院子", **kw):
    form = IntakeForm(
        org_code=org,
        form_token=issue_form_token(utc_now() - timedelta(seconds=20)),
        applicant_name="张三丰",
        applicant_phone=phone,
        description=text,
        consent=True,
        **kw,
    )
    return submit_intake(db, form, client="c", settings=OPEN)


@pytest.fixture
def world(db):
    with db.write() as s:
        tree = make_tree(s)
        actors = {
            "mediator": make_actor(s, tree["v1"], ["mediator"]),
            "coordinator": make_actor(s, tree["county"], ["coordinator"]),
            "other": make_actor(s, tree["v2"], ["mediator"]),
            "police": make_actor(s, tree["police"], ["police"]),
        }
        s.add(Mediator(org_id=tree["v1"].id, name="王调解"))
        s.add(Mediator(org_id=tree["v2"].id, name="赵调解"))
    return tree, actors


def mediator_id(db, name):
    with db.read() as s:
        return s.exec(select(Mediator.id).where(Mediator.name == name)).one()


def test_list_queue_in_scope_masked_newest_first(db, world):
    _, a = world
    first = submit(db)
    second = submit(db, phone="13900001111", text="工地老板拖欠工资三个月，共一万二千元", photos=[])
    submit(db, org="V2", phone="13700002222", text="西村的土地边界纠纷")
    with db.read() as s:
        rows = intake_queue.list_queue(s, actor=a["mediator"])
        county_rows = intake_queue.list_queue(s, actor=a["coordinator"])
        counts = intake_queue.count_queue(s, actor=a["mediator"])
        with pytest.raises(PermissionDenied):
            intake_queue.list_queue(s, actor=a["police"])
    assert [r.id for r in rows] == [second.case_id, first.case_id]
    assert (rows[1].applicant, rows[1].phone) == ("张某", "138****5678")
    assert "张三丰" not in repr(rows) and "13812345678" not in repr(rows)
    assert len(county_rows) == 3 and counts == {"new": 2, "quarantine": 0}


def test_list_queue_keyset_pages(db, world):
    _, a = world
    ids = [submit(db, phone=f"1350000{i:04d}", text=f"第{i}件：" + "情况各不相同" * (i + 1)).case_id for i in range(5)]
    with db.read() as s:
        page1 = intake_queue.list_queue(s, actor=a["mediator"], limit=2)
        page2 = intake_queue.list_queue(s, actor=a["mediator"], limit=2, before_id=page1[-1].id)
        page3 = intake_queue.list_queue(s, actor=a["mediator"], limit=2, before_id=page2[-1].id)
    assert [r.id for r in page1 + page2 + page3] == ids[::-1]


def test_quarantined_submissions_have_their_own_view(db, world):
    _, a = world
    real = submit(db)
    bot = submit(db, phone="13900009999", text="优惠活动 http://x.example 点击 www.y.example", honeypot="filled")
    with db.read() as s:
        new = intake_queue.list_queue(s, actor=a["mediator"], view="new")
        spam = intake_queue.list_queue(s, actor=a["mediator"], view="quarantine")
    assert [r.id for r in new] == [real.case_id]
    assert [(r.id, r.signals) for r in spam] == [(bot.case_id, ("honeypot", "links"))]


def test_queue_detail_shows_text_photos_additions_and_same_phone(db, world):
    _, a = world
    first = submit(db)
    submit(db, text="邻居家排水沟堵塞，雨水流进我家院子，昨天又淹了")
    with db.read() as s:
        d = intake_queue.queue_detail(s, actor=a["mediator"], case_id=first.case_id)
        with pytest.raises((NotFound, PermissionDenied), match=r"error\.case_not_found"):
            intake_queue.queue_detail(s, actor=a["other"], case_id=first.case_id)
    assert d.description == "邻居家排水沟堵塞，雨水流进我家院子"
    assert [note for _, note in d.additions] == ["邻居家排水沟堵塞，雨水流进我家院子，昨天又淹了"]
    assert d.row.additions == 1 and d.same_phone == []


def test_accept_with_mediator_and_reassignment(db, world):
    tree, a = world
    first, second = submit(db), submit(db, phone="13900001111", text="另一件完全不同的借款纠纷，对方拒不还钱")
    wang, zhao = mediator_id(db, "王调解"), mediator_id(db, "赵调解")
    with db.write() as s, pytest.raises(ValidationFailed, match=r"error\.queue_mediator_invalid"):
        intake_queue.accept(s, actor=a["mediator"], case_id=first.case_id, mediator_id=zhao)
    with db.write() as s, pytest.raises(PermissionDenied):  # a village mediator cannot pass it to another village
        intake_queue.accept(s, actor=a["mediator"], case_id=first.case_id, org_id=tree["v2"].id)
    with db.write() as s:
        intake_queue.accept(s, actor=a["mediator"], case_id=first.case_id, mediator_id=wang)
        intake_queue.accept(s, actor=a["coordinator"], case_id=second.case_id, org_id=tree["v2"].id, mediator_id=zhao)
    with db.read() as s:
        c1, c2 = s.get(Case, first.case_id), s.get(Case, second.case_id)
    assert (c1.status, c1.mediator_id, c1.org_id) == ("accepted", wang, tree["v1"].id)
    assert (c2.status, c2.mediator_id, c2.org_id, c2.county_id) == ("accepted", zhao, tree["v2"].id, tree["county"].id)
    with db.write() as s, pytest.raises(Conflict):
        intake_queue.accept(s, actor=a["coordinator"], case_id=first.case_id)


def test_accept_refuses_stale_version(db, world):
    _, a = world
    first = submit(db)
    with db.write() as s, pytest.raises(Conflict, match=r"error\.conflict"):
        intake_queue.accept(s, actor=a["mediator"], case_id=first.case_id, version=99)


def test_reject_needs_a_dictionary_reason_and_keeps_advice(db, world):
    _, a = world
    first = submit(db)
    with db.write() as s, pytest.raises(ValidationFailed):
        intake_queue.reject(s, actor=a["mediator"], case_id=first.case_id, reason="because")
    with db.write() as s, pytest.raises(ValidationFailed, match=r"error\.intake_too_long"):
        intake_queue.reject(s, actor=a["mediator"], case_id=first.case_id, reason="not_suitable", advice="x" * 501)
    with db.write() as s:
        intake_queue.reject(
            s, actor=a["mediator"], case_id=first.case_id, reason="in_litigation", advice="请向县法院了解进展"
        )
    with db.read() as s:
        event = s.exec(select(CaseEvent).where(CaseEvent.kind == "transition.reject")).one()
        assert s.get(Case, first.case_id).reject_reason == "in_litigation"
    assert event.data["advice"] == "请向县法院了解进展"


def test_mark_spam_keeps_the_record(db, world):
    _, a = world
    bot = submit(db, honeypot="x")
    with db.write() as s:
        intake_queue.mark_spam(s, actor=a["mediator"], case_id=bot.case_id)
    with db.read() as s:
        case = s.get(Case, bot.case_id)
        assert (case.status, case.reject_reason) == ("rejected", "spam")
        assert intake_queue.list_queue(s, actor=a["mediator"], view="quarantine") == []


def test_merge_duplicate_links_both_timelines(db, world):
    _, a = world
    first = submit(db)
    dup = submit(db, phone="13900001111", text="张三家的排水问题，我是他弟弟，替他再反映一次")
    with db.read() as s:
        target_no = s.get(Case, first.case_id).case_no
        dup_no = s.get(Case, dup.case_id).case_no
    for bad in (dup_no, "2000-NOPE-00001"):
        with db.write() as s, pytest.raises(NotFound):
            intake_queue.merge(s, actor=a["mediator"], case_id=dup.case_id, into_case_no=bad)
    with db.write() as s:
        intake_queue.merge(s, actor=a["mediator"], case_id=dup.case_id, into_case_no=f" {target_no} ")
    with db.read() as s:
        merged = s.get(Case, dup.case_id)
        events = s.exec(
            select(CaseEvent)
            .where(col(CaseEvent.kind).in_(("transition.reject", "intake.merged")))
            .order_by(col(CaseEvent.id))
        ).all()
    assert (merged.status, merged.reject_reason) == ("rejected", "duplicate")
    assert [(e.case_id, e.kind) for e in events] == [
        (dup.case_id, "transition.reject"),
        (first.case_id, "intake.merged"),
    ]
    assert events[0].data["merged_into"] == first.case_id and events[1].data["from_case_no"] == dup_no


def test_notifications_read_when_the_queue_is_opened(db, world):
    _, a = world
    submit(db)
    submit(db, phone="13900001111", text="另一件借款纠纷，对方拒不还钱")
    with db.read() as s:
        assert intake_queue.unread_notifications(s, actor=a["mediator"]) == 2
        assert intake_queue.unread_notifications(s, actor=a["other"]) == 0
    with db.write() as s:
        intake_queue.mark_notifications_read(s, actor=a["mediator"])
    with db.read() as s:
        assert intake_queue.unread_notifications(s, actor=a["mediator"]) == 0
        assert len(s.exec(select(Notification)).all()) == 2
