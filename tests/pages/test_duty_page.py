"""Issue 23 fault 10: a county coordinator opening the duty page wrote dozens of duty-gap notices, some to other
counties' offices. Reading a page writes nothing; the page still says how many shifts of the room are empty."""

from __future__ import annotations

from sqlmodel import func, select

from models import AuditLog, Notification, User
from services.roster import duty
from tests.case_factories import make_world
from tests.pages.conftest import page_text


def _counts(db) -> tuple[int, int]:
    with db.read() as s:
        return (
            s.exec(select(func.count()).select_from(Notification)).one(),
            s.exec(select(func.count()).select_from(AuditLog).where(AuditLog.action.startswith("duty"))).one(),
        )


def test_opening_the_duty_page_writes_nothing(db, make_app):
    w = make_world(db)
    with db.read() as s:
        user = s.exec(select(User).where(User.id == w.coordinator.user_id)).one()
    before = _counts(db)
    at = make_app(user=user)
    at.run()
    at.switch_page("pages/staff/duty.py").run()
    assert not at.exception
    at.run()  # and again, as a person reopening it
    assert _counts(db) == before == (0, 0)
    text = page_text(at)
    assert f"未来一周有 {2 * (duty.LOOKAHEAD_DAYS + 1)} 个班次无人值班" in text and "无人值班" in text
