"""Issue 23 fault 10: duty-gap reminders come from the background dispatcher, once per gap, to the coordination
office of the room's own county, in Chinese (白班 / 夜班) — never from opening a page, never to other counties."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import func, select

from models import Mediator, Notification, Organisation
from services.core import clock
from services.core.i18n import translate
from services.notify import inbox as notifications
from services.notify import reminders
from services.roster import duty
from services.roster.orgs import create_org
from tests.case_factories import make_world
from tests.factories import make_actor


def _second_county(db):
    with db.write() as s:
        root = s.exec(select(Organisation).where(Organisation.depth == 0)).first()
        county = create_org(s, code="C2", name="长宁县", kind="county", parent=root)
        office = create_org(s, code="CO2", name="长宁县矛调中心", kind="coordination", parent=county)
        town = create_org(s, code="T2", name="梅硐镇", kind="town", parent=county)
        room = create_org(s, code="P2", name="梅硐派出所调解室", kind="police_room", parent=town)
        return office, room, make_actor(s, office, ["coordinator"])


def _notices(db) -> list[Notification]:
    with db.read() as s:
        return list(s.exec(select(Notification).where(Notification.dedupe_key.like("duty-gap:%"))).all())


def test_duty_gap_notice_once_per_gap_to_the_owning_office_in_chinese(db):
    w = make_world(db)
    office2, room2, coordinator2 = _second_county(db)
    today = clock.today()
    with db.write() as s:  # the county's room covers every shift but tomorrow's night
        m = Mediator(org_id=w.orgs["police"].id, name="王调解", phone="13900000001")
        s.add(m)
        s.flush()
        for i in range(duty.LOOKAHEAD_DAYS + 1):
            for kind in duty.KINDS:
                if (i, kind) != (1, "night"):
                    s.add(
                        duty.DutyShift(
                            org_id=w.orgs["police"].id, mediator_id=m.id, day=today + timedelta(i), kind=kind
                        )
                    )
    reminders.run_reminders(db)  # what the background dispatcher runs every quarter of an hour
    reminders.run_reminders(db)
    found = _notices(db)
    mine = [n for n in found if n.org_id == w.orgs["coord"].id]
    theirs = [n for n in found if n.org_id == office2.id]
    assert len(found) == len(mine) + len(theirs)  # nobody else is told
    assert [(n.key, n.params["day"]) for n in mine] == [("notice.duty_gap_night", (today + timedelta(1)).isoformat())]
    assert len(theirs) == 2 * (duty.LOOKAHEAD_DAYS + 1)  # the other county's empty room: to its own office
    assert {n.params["room"] for n in theirs} == {room2.name}
    with db.read() as s:
        unique = s.exec(
            select(func.count(func.distinct(Notification.dedupe_key))).where(Notification.dedupe_key.like("duty-gap:%"))
        ).one()
        shown = notifications.list_notifications(s, actor=coordinator2, limit=100)
        mine_shown = notifications.list_notifications(s, actor=w.coordinator, limit=100)
    assert unique == len(found)
    texts = [translate(n.key, "zh-CN", **n.params) for n in shown if n.key.startswith("notice.duty_gap")]
    assert len(texts) == len(theirs) and all(room2.name in x for x in texts)
    assert sum("白班" in x for x in texts) == sum("夜班" in x for x in texts) == duty.LOOKAHEAD_DAYS + 1
    assert not any(re.search(r"[A-Za-z]", x) for x in texts)  # no "day" / "night"
    assert [translate(n.key, "zh-CN", **n.params) for n in mine_shown] == [
        f"{w.orgs['police'].name} {(today + timedelta(1)).isoformat()} 夜班无人值班，请安排。"
    ]


def test_old_duty_gap_notices_read_in_chinese(db):
    w = make_world(db)
    with db.write() as s:  # written before issue 23: the shift as an English parameter
        notifications.notify_org(
            s,
            org_id=w.orgs["coord"].id,
            key="notice.duty_gap",
            params={"room": "红桥派出所调解室", "day": "2026-12-08", "shift": "day"},
        )
    with db.read() as s:
        (n,) = notifications.list_notifications(s, actor=w.coordinator)
    assert translate(n.key, "zh-CN", **n.params) == "红桥派出所调解室 2026-12-08 白班无人值班，请安排。"
