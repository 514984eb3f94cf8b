"""Province scale (issue 21): the dashboard, the county dashboard, the deepest drill-down page and the monthly
statutory report against one plain `SELECT count(*)` of the case table on the same database, as data.

Every figure is the median of `reps` timed runs after one warm-up, with every statistics cache cleared before
each run (what the first user after a write waits). `matches_recount` says whether the dashboard's numbers read
from the summaries equal those of a scan of the cases, for the whole area and for the largest county, and
whether `stats-check` finds no difference.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, func, text
from sqlmodel import col, select

from models import Case
from services.core import clock
from services.core.db import Database
from services.stats import dashboard as stats
from services.stats import drilldown, rollup, summary
from services.stats.reports import build_report
from services.stats.sql import Filters, Period, add_months, month_of


def _median_ms(fn: Callable[[], Any], reps: int, *, clear: bool = True) -> float:
    fn()
    times = []
    for _ in range(reps):
        if clear:
            stats.clear_cache()
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 2)


def _sql_ms(db: Database, fn: Callable[[], Any], reps: int) -> float:
    """The floor of `fn`'s SQL alone: the statements it asks (caches cleared), replayed one after another on the
    engine's own DBAPI connection with no SQLAlchemy and no Python around them."""
    asked: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, many: bool) -> None:
        if not many and statement.lstrip().upper().startswith("SELECT"):
            asked.append((statement, parameters))

    stats.clear_cache()
    event.listen(db.read_engine, "before_cursor_execute", record)
    try:
        fn()
    finally:
        event.remove(db.read_engine, "before_cursor_execute", record)
    raw = db.read_engine.raw_connection()
    try:

        def replay() -> None:
            cursor = raw.cursor()
            for sql, params in asked:
                cursor.execute(sql, params)
                cursor.fetchall()
            cursor.close()
            raw.rollback()

        return _median_ms(replay, reps, clear=False)
    finally:
        raw.close()


def _page_filters() -> Filters:
    """What the dashboard page shows first: the last twelve months, this one included."""
    m = month_of(clock.today())
    return Filters(Period.months(add_months(m, -11), m))


def _board(db: Database, actor: Any, filters: Filters) -> Callable[[], Any]:
    def run() -> Any:  # everything the dashboard page asks the database
        with db.read() as s:
            stats.org_choices(s, actor=actor)
            board = stats.dashboard(s, actor=actor, filters=filters, compare="previous-year")
            stats.session_counts(s, actor=actor, filters=filters)
            return board

    return run


def _same(a: stats.Dashboard, b: stats.Dashboard) -> bool:
    def rows(board: stats.Dashboard, part: str) -> list[Any]:
        return sorted((repr(r.key), r.counts) for r in getattr(board, part))

    parts = ("by_month", "by_category", "by_source", "by_org")
    return (
        a.current == b.current
        and a.previous == b.previous
        and a.alerts == b.alerts
        and all(rows(a, p) == rows(b, p) for p in parts)
    )


def _scanned(fn: Callable[[], stats.Dashboard]) -> stats.Dashboard:
    """The same dashboard computed from the cases (the summaries switched off)."""
    rollup.ENABLED = False
    try:
        stats.clear_cache()
        return fn()
    finally:
        rollup.ENABLED = True
        stats.clear_cache()


def measure(db: Database, reps: int = 5, *, check: bool = True) -> dict[str, Any]:
    """The figures of issue 21 for the database `db` (already seeded and analysed)."""
    with db.read() as s:
        actor = stats.system_actor(s)
        n = int(s.exec(select(func.count()).select_from(Case)).one())
        county = s.exec(
            select(col(Case.county_id), func.count())
            .where(col(Case.county_id).is_not(None))
            .group_by(col(Case.county_id))
            .order_by(func.count().desc())
        ).first()
    filters = _page_filters()
    county_filters = Filters(filters.period, org_id=int(county[0] or 0)) if county else filters
    board, county_board = _board(db, actor, filters), _board(db, actor, county_filters)

    def scan() -> None:
        with db.read() as s:
            s.connection().execute(text('SELECT count(*) FROM "case"')).scalar()

    deep_cursor = _deep_cursor(db, filters)

    def deep() -> None:
        with db.read() as s:
            drilldown.list_cases(s, actor=actor, filters=filters, kpi_id="received", after=deep_cursor)

    last_month = add_months(month_of(clock.today()), -1)

    def report() -> None:
        with db.read() as s:
            build_report(s, actor=actor, period=Period.months(last_month, last_month))

    out: dict[str, Any] = {
        "cases": n,
        "dashboard_ms": _median_ms(board, reps),
        "county_dashboard_ms": _median_ms(county_board, reps),
        "scan_ms": _median_ms(scan, reps, clear=False),
        "list_deep_ms": _median_ms(deep, reps, clear=False),
        "report_ms": _median_ms(report, reps),
        # the same statements with nothing around them: what no change of the Python side can go below
        "dashboard_sql_ms": _sql_ms(db, board, reps),
        "county_dashboard_sql_ms": _sql_ms(db, county_board, reps),
        "report_sql_ms": _sql_ms(db, report, reps),
    }
    stats.clear_cache()
    matches = _same(board(), _scanned(board)) and _same(county_board(), _scanned(county_board))
    if check:
        with db.read() as s:
            out["check_differences"] = len(summary.differences(s))
        matches = matches and out["check_differences"] == 0
    out["matches_recount"] = matches
    return out


def _deep_cursor(db: Database, filters: Filters) -> tuple[int, int] | None:
    """The keyset cursor of the drill-down page at 90 % depth of the page filters' cases."""
    with db.read() as s:
        where = filters.period.clauses()
        total = int(s.exec(select(func.count()).select_from(Case).where(*where)).one())
        row = s.exec(
            select(col(Case.received_month), col(Case.id))
            .where(*where)
            .order_by(col(Case.received_month).desc(), col(Case.id).desc())
            .offset(max(0, int(total * 0.9) - 1))
            .limit(1)
        ).first()
    return (int(row[0]), int(row[1] or 0)) if row else None
