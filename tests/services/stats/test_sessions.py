"""Statistics count online mediation sessions separately (issue 13)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from models import MediationSession
from services.stats import dashboard as stats
from services.stats import reports
from services.stats.sql import Filters, Period
from tests.factories import make_actor, make_case, make_tree

HELD = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


def _world(db):
    with db.write() as s:
        tree = make_tree(s)
        office = make_actor(s, tree["county"], ["coordinator"])
        other_town = make_actor(s, tree["v2"], ["coordinator"])
        c1 = make_case(s, tree["v1"], category="neighbour")
        c2 = make_case(s, tree["v1"], category="loan")
        for case, online in ((c1, False), (c1, True), (c2, False), (c2, True), (c2, True)):
            s.add(
                MediationSession(
                    case_id=case.id, held_at=HELD, online=online, meeting_url="https://meet.example/x" if online else ""
                )
            )
        s.add(MediationSession(case_id=c1.id, held_at=datetime(2025, 12, 31, 12, 0, tzinfo=UTC)))  # outside
    return office, other_town


def test_session_counts_split_online(db):
    office, other = _world(db)
    march = Filters(Period(date(2026, 3, 1), date(2026, 3, 31)))
    with db.read() as s:
        assert stats.session_counts(s, actor=office, filters=march) == {"sessions": 5, "online_sessions": 3}
        loans = Filters(Period(date(2026, 3, 1), date(2026, 3, 31)), category="loan")
        assert stats.session_counts(s, actor=office, filters=loans) == {"sessions": 3, "online_sessions": 2}
        assert stats.session_counts(s, actor=other, filters=march) == {"sessions": 0, "online_sessions": 0}
        summary = reports.summary(s, actor=office, filters=march)
    assert summary["sessions"] == 5 and summary["online_sessions"] == 3
