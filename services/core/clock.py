"""China time: days, months and years are counted where the mediators work, whatever the server's zone.

Stored moments are UTC (aware from the database; a naive value the app built is UTC too). Now is
`models.base.utc_now`, which the models' column defaults need and models may not import services; every
function here that needs the present reads it, so a test that moves the clock moves them all.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from models.base import utc_now

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
DATE_FORMAT, MINUTES_FORMAT, SECONDS_FORMAT, SHORT_FORMAT, TIME_FORMAT = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%m-%d %H:%M",
    "%H:%M",
)


def local_time(moment: datetime) -> datetime:
    """The moment as wall-clock time in China (a naive moment is UTC)."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(LOCAL_TZ)


def local_now() -> datetime:
    """Now as wall-clock time in China."""
    return local_time(utc_now())


def today() -> date:
    """Today's date in China."""
    return local_now().date()


def local_date(moment: datetime) -> date:
    """The date in China of a stored moment (a naive moment is UTC)."""
    return local_time(moment).date()


def local_month(moment: datetime) -> int:
    """YYYYMM of a stored moment in China (a naive moment is UTC): a case's received_month."""
    local = local_time(moment)
    return local.year * 100 + local.month


def day_start(day: date) -> datetime:
    """The moment (UTC) a day in China begins."""
    return datetime.combine(day, time(), LOCAL_TZ).astimezone(UTC)


def days_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """[start, end) in UTC of the China days from `first` to `last`, both included."""
    return day_start(first), day_start(last + timedelta(days=1))


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """[start, end) in UTC of a month in China."""
    following = date(year + month // 12, month % 12 + 1, 1)
    return day_start(date(year, month, 1)), day_start(following)


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """[start, end) in UTC of a year in China."""
    return day_start(date(year, 1, 1)), day_start(date(year + 1, 1, 1))


def format_local(moment: datetime | None, *, seconds: bool = False, short: bool = False) -> str:
    """A stored moment as China time for display: '2026-12-07 07:38' ('12-07 07:38' short); '' for None."""
    if moment is None:
        return ""
    return local_time(moment).strftime(SHORT_FORMAT if short else SECONDS_FORMAT if seconds else MINUTES_FORMAT)


def format_local_date(moment: datetime | None) -> str:
    """The China date of a stored moment for display: '2026-12-07'; '' for None."""
    return "" if moment is None else local_time(moment).strftime(DATE_FORMAT)


def format_local_time(moment: datetime | None) -> str:
    """The China wall-clock time of a stored moment for display: '07:38'; '' for None."""
    return "" if moment is None else local_time(moment).strftime(TIME_FORMAT)
