"""The legacy import's "today" is the China date: between 00:00 and 08:00 in China the UTC date is still yesterday,
and a ledger row dated today must not be refused as a future date then."""

from __future__ import annotations

from datetime import UTC, date, datetime

import time_machine
from sqlmodel import select

from models import Case
from services.core import clock
from services.legacy_import import load as importer
from tests.factories import make_actor, make_tree
from tests.services.legacy_import.test_load import GOOD, _xlsx

ONE_AM_IN_CHINA = datetime(2026, 12, 6, 17, 0, tzinfo=UTC)  # 2026-12-07 01:00 in China
CHINA_TODAY = "2026-12-07"


def _row(received: str) -> list[object]:
    row = list(GOOD)
    row[0], row[1], row[9] = "OLD-TODAY-1", received, received
    return row


def test_a_row_dated_the_china_today_is_accepted_at_1_am_china_time(db):
    with db.write() as s:
        actor = make_actor(s, make_tree(s)["county"], ["coordinator"])
    with time_machine.travel(ONE_AM_IN_CHINA, tick=False):
        with db.read() as s:
            preview = importer.validate(s, actor=actor, filename="ledger.xlsx", data=_xlsx([_row(CHINA_TODAY)]))
        assert preview.ok, preview.errors
        with db.write() as s:
            importer.import_cases(s, actor=actor, filename="ledger.xlsx", data=_xlsx([_row(CHINA_TODAY)]))
    with db.read() as s:
        case = s.exec(select(Case).where(Case.case_no == "OLD-TODAY-1")).one()
    assert clock.local_date(case.received_at) == date(2026, 12, 7)


def test_a_row_dated_the_china_tomorrow_is_still_refused_as_future(db):
    with db.write() as s:
        actor = make_actor(s, make_tree(s)["county"], ["coordinator"])
    with time_machine.travel(ONE_AM_IN_CHINA, tick=False), db.read() as s:
        preview = importer.validate(s, actor=actor, filename="ledger.xlsx", data=_xlsx([_row("2026-12-08")]))
    assert [(e.column, e.key) for e in preview.errors] == [("received_on", "import.err_future")]
