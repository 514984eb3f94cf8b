"""Every time a person sees is China time: a moment stored at 23:38 UTC on 6 December is 07:38 on 7 December in
China, and every page (and the admin's xlsx) must say the 7th. Each test stores that moment and reads the page."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from openpyxl import load_workbook

from models import CaseEvent, LoginThrottle, User
from models.base import utc_now
from services.admin import xlsx as xlsx_io
from services.admin.present import plain_value
from services.core.config import Limit
from services.intake.form import IntakeForm, issue_form_token
from services.intake.pipeline import IntakeSettings, submit_intake
from services.notify import inbox as notifications
from services.rating import runs as rating
from tests.case_factories import accepted_case, make_world
from tests.factories import make_actor, make_tree, make_user
from tests.pages.conftest import page_text as markdown_text
from tests.services.rating.data import TODAY
from tests.services.rating.data import make_world as make_rating_world

STORED = datetime(2026, 12, 6, 23, 38, tzinfo=UTC)  # 2026-12-07 07:38 in China
SHOWN, SHOWN_SHORT, SHOWN_DAY, UTC_DAY = "2026-12-07 07:38", "12-07 07:38", "2026-12-07", "2026-12-06"


def at_stored_moment() -> time_machine.travel:
    return time_machine.travel(STORED, tick=False)


def page_text(at) -> str:
    """What the page reads as (markdown escapes removed)."""
    return markdown_text(at).replace("\\", "")


def _user(db, user_id: int) -> User:
    with db.read() as s:
        return s.get(User, user_id)


def _open(make_app, page: str, user: User | None = None, query: dict[str, str] | None = None):
    at = make_app(user=user, query=query)
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def submitted(db, monkeypatch):
    """A public application received at the stored moment, and a mediator of its village."""
    monkeypatch.setenv("MEDIATION_INTAKE_MIN_SECONDS", "0")
    with db.write() as s:
        tree = make_tree(s)
        mediator = make_user(s, tree["v1"], ["mediator"])
    with at_stored_moment():
        form = IntakeForm(
            org_code="V1",
            form_token=issue_form_token(utc_now() - timedelta(seconds=30)),
            applicant_name="张三",
            applicant_phone="13812345678",
            description="邻居家排水沟堵塞，雨水流进我家院子",
            consent=True,
        )
        result = submit_intake(db, form, client="c", settings=IntakeSettings(0, Limit(1000, 600), Limit(1000, 3600)))
    return result, mediator


def test_intake_queue_shows_the_china_time_of_an_application_received_before_8_am(db, make_app, submitted):
    result, mediator = submitted
    at = _open(make_app, "pages/staff/intake_queue.py", mediator)
    text = page_text(at)
    assert SHOWN_SHORT in text and "12-06" not in text
    at.button(key=f"intake_queue.open.{result.case_id}").click().run()
    assert not at.exception and SHOWN in page_text(at) and UTC_DAY not in page_text(at)


def test_track_page_says_the_application_was_received_on_the_china_date(db, make_app, submitted):
    result, _ = submitted
    at = _open(make_app, "pages/public/track.py")
    at.text_input(key="track.code").input(result.tracking_code)
    at.text_input(key="track.last4").input("5678")
    at.button(key="track.submit").click().run()
    text = page_text(at)
    assert not at.exception and SHOWN_DAY in text and UTC_DAY not in text


def test_case_timeline_names_every_entry_and_its_actor_in_china_time(db, make_app):
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    with db.write() as s:
        s.add(CaseEvent(case_id=case.id, kind="intake.received", data={"photos": 2, "seconds": 40.0}, at=STORED))
        s.add(
            CaseEvent(
                case_id=case.id,
                actor_id=w.mediator.user_id,
                kind="joint.scheduled",
                data={"at": "2026-12-09T09:30:00+08:00", "place": "村委会"},
                at=STORED,
            )
        )
        s.add(
            CaseEvent(
                case_id=case.id,
                actor_id=w.mediator.user_id,
                kind="session.online_scheduled",
                data={"session_id": 1, "at": "2026-12-10T01:30:00+00:00"},
                at=STORED,
            )
        )
        s.add(CaseEvent(case_id=case.id, kind="deadline.escalated", data={"kind": "accept"}, at=STORED))
    at = _open(make_app, "pages/staff/case.py", _user(db, w.mediator.user_id), {"case": str(case.id)})
    text = page_text(at)
    assert f"{SHOWN} · 申请人" in text and "收到群众在线申请（照片2张）" in text
    assert "联合调处定于2026-12-09 09:30，村委会" in text
    assert "安排在线调解，时间2026-12-10 09:30" in text
    assert f"{SHOWN} · 系统" in text
    for raw in ("intake.received", "T09:30", "+08:00", "+00:00", "event.", "True", "False"):
        assert raw not in text, raw


def test_signin_locks_page_shows_until_when_in_china_time(db, make_app):
    until = (utc_now() + timedelta(days=1)).replace(hour=23, minute=38, second=0, microsecond=0)
    with db.write() as s:
        admin = make_user(s, make_tree(s)["root"], ["admin"])
        s.add(LoginThrottle(key="user:li", failures=5, locked_until=until, updated_at=utc_now()))
    at = _open(make_app, "pages/staff/signin_locks.py", admin)
    china_day = (until + timedelta(days=1)).date().isoformat()
    assert f"{china_day} 07:38" in page_text(at)


def test_admin_user_record_shows_china_time_and_the_list_and_xlsx_say_yes_or_no(db, make_app):
    with db.write() as s:
        tree = make_tree(s)
        admin = make_user(s, tree["root"], ["admin"])
        with at_stored_moment():
            target = make_user(s, tree["v1"], ["mediator"], username="late_sign_up")
        actor = make_actor(s, tree["root"], ["admin"])
    at = _open(make_app, "pages/staff/admin.py", admin, {"entity": "user"})
    cards = [str(c.value) for c in at.caption]
    assert any("：是" in c for c in cards) and not any("True" in c or "False" in c for c in cards)
    at.button(key=f"admin.user.open.{target.id}").click().run()
    assert not at.exception and SHOWN in page_text(at) and UTC_DAY not in page_text(at)
    with db.read() as s:
        data = xlsx_io.export_xlsx(s, actor=actor, entity="user")
    cells = [c for row in load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True) for c in row]
    assert "是" in cells and True not in cells and "True" not in cells and "False" not in cells


def test_admin_lists_and_exports_show_stored_moments_in_china_time():
    assert plain_value(STORED, "zh-CN") == SHOWN
    assert plain_value(STORED.replace(tzinfo=None), "zh-CN") == SHOWN  # a naive stored value is UTC
    assert (plain_value(True, "zh-CN"), plain_value(False, "zh-CN")) == ("是", "否")


def test_ratings_page_shows_when_the_run_was_computed_in_china_time(db, make_app):
    w = make_rating_world(db)
    with db.write() as s, at_stored_moment():
        rating.compute_ratings(s, actor=w.justice, subject="mediator", period="2025", today=TODAY)
    at = _open(make_app, "pages/staff/ratings.py", _user(db, w.justice.user_id))
    at.selectbox(key="ratings.period").set_value("2025").run()
    assert not at.exception and SHOWN in page_text(at) and f"{UTC_DAY} 23:38" not in page_text(at)


def test_inbox_shows_when_a_notification_came_in_china_time(db, make_app):
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    with db.write() as s, at_stored_moment():
        notifications.notify_user(
            s, user_id=w.mediator.user_id, key="notify.assigned", case_id=case.id, params={"case_no": case.case_no}
        )
    at = _open(make_app, "pages/staff/inbox.py", _user(db, w.mediator.user_id))
    text = page_text(at)
    assert SHOWN in text and f"{UTC_DAY} 23:38" not in text
