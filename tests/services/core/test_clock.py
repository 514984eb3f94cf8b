from __future__ import annotations

from datetime import UTC, date, datetime

import time_machine

from services.core import clock


def test_today_turns_at_midnight_china_time():
    with time_machine.travel(datetime(2026, 12, 6, 15, 59, 59, tzinfo=UTC), tick=False):
        assert clock.today() == date(2026, 12, 6)
    with time_machine.travel(datetime(2026, 12, 6, 16, 0, tzinfo=UTC), tick=False):
        assert clock.today() == date(2026, 12, 7)  # 00:00 in China while it is still the 6th in UTC


def test_local_date_reads_naive_values_as_utc():
    assert clock.local_date(datetime(2026, 3, 31, 16, 30)) == date(2026, 4, 1)  # noqa: DTZ001 — naive on purpose
    assert clock.local_date(datetime(2026, 3, 31, 16, 30, tzinfo=UTC)) == date(2026, 4, 1)
    assert clock.local_date(datetime(2026, 3, 31, 23, 0, tzinfo=clock.LOCAL_TZ)) == date(2026, 3, 31)


def test_local_month_of_the_1st_before_8_utc():
    assert clock.local_month(datetime(2026, 2, 28, 17, 0, tzinfo=UTC)) == 202603
    assert clock.local_month(datetime(2025, 12, 31, 16, 0)) == 202601  # noqa: DTZ001 — naive: the new year's first month


def test_month_bounds_start_at_midnight_china_time_on_the_1st():
    start, end = clock.month_bounds(2026, 3)
    assert start == datetime(2026, 2, 28, 16, 0, tzinfo=UTC) and start.tzinfo == UTC
    assert end == datetime(2026, 3, 31, 16, 0, tzinfo=UTC)
    assert clock.month_bounds(2026, 12) == (
        datetime(2026, 11, 30, 16, tzinfo=UTC),
        datetime(2026, 12, 31, 16, tzinfo=UTC),
    )


def test_year_bounds_cross_the_utc_new_year():
    assert clock.year_bounds(2027) == (datetime(2026, 12, 31, 16, tzinfo=UTC), datetime(2027, 12, 31, 16, tzinfo=UTC))


def test_days_bounds_include_the_last_day():
    start, end = clock.days_bounds(date(2026, 5, 1), date(2026, 5, 3))
    assert (start, end) == (datetime(2026, 4, 30, 16, tzinfo=UTC), datetime(2026, 5, 3, 16, tzinfo=UTC))


def test_format_local_shows_china_time():
    moment = datetime(2026, 12, 6, 23, 38, 5, tzinfo=UTC)
    assert clock.format_local(moment) == "2026-12-07 07:38"
    assert clock.format_local(moment, seconds=True) == "2026-12-07 07:38:05"
    assert clock.format_local(moment, short=True) == "12-07 07:38"
    assert clock.format_local(datetime(2026, 12, 6, 23, 38)) == "2026-12-07 07:38"  # noqa: DTZ001 — naive = UTC
    assert clock.format_local_date(moment) == "2026-12-07"


def test_format_local_of_none_is_empty():
    assert clock.format_local(None) == "" and clock.format_local_date(None) == ""


def test_format_local_short_and_time_of_day_show_china_time():
    moment = datetime(2026, 12, 6, 23, 38, 5, tzinfo=UTC)
    assert clock.format_local(moment, short=True) == "12-07 07:38"
    assert clock.format_local_time(moment) == "07:38"
    assert clock.format_local_date(moment) == "2026-12-07"
    assert (clock.format_local(None), clock.format_local_date(None), clock.format_local_time(None)) == ("", "", "")
