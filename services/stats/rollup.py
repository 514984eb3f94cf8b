"""Reading the statistics from the summaries (models/stats.py, kept by services/stats/summary.py): the same
figures as a scan of the cases, from a few thousand pre-summed rows.

Which summary: the area grain (county × month × category × source) when the scope is the whole tree or one
county; otherwise the organisation grains, restricted to the scope's subtree by path (exact for a village).
The breakdown by organisation reads the organisation × month grain (× category × source only when a category or
source filter asks for it). Two KPIs depend on today: `performance_due` adds the pending agreements whose
deadline has passed (the `due` summaries) to the settled ones, and `overdue` is counted live from the small
partial index of open cases plus the succeeded cases awaiting a follow-up. A period that does not cover whole
months (this year to date, and the same days of last year beside it) is `split`: its whole months from the
summaries, the days at either end scanned from the cases (services/stats/dashboard.py adds them up).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Table, func, select, true
from sqlmodel import Session, col

from models import Case, Organisation
from models.stats import (
    CASE_MEASURES,
    stats_case_area,
    stats_case_area_month,
    stats_case_org,
    stats_case_org_month,
    stats_due_area,
    stats_due_org,
    stats_followup_area,
    stats_followup_org,
    stats_session_area,
    stats_session_org,
)
from services.cases import warnings
from services.stats.sql import (
    IX_OPEN,
    IX_OPEN_MONTH,
    OPEN_TERM,
    RISK_TERM,
    Filters,
    Period,
    Scope,
    add_months,
    filter_clauses,
    month_end,
    month_of,
    month_start,
    pinned,
)

SUMMED = tuple(m for m in CASE_MEASURES if m != "perf_settled")  # the KPIs a summary column holds as such
LIVE = ("performance_due", "overdue")


@dataclass(frozen=True)
class Source:
    """A summary table and the WHERE terms that select the scope's and filters' rows of it."""

    table: Table
    due: Table
    where: tuple[ColumnElement[bool], ...]
    due_where: tuple[ColumnElement[bool], ...]


ENABLED = True  # False: every figure from a scan of the cases (what the tests and the bench compare against)


def usable(filters: Filters) -> bool:
    return ENABLED and filters.period.whole_months


def split(filters: Filters) -> tuple[Filters, ...] | None:
    """A period that is not whole months as its whole months first (read from the summaries), then the days
    at either end (scanned from the cases); None when the summaries cannot help (whole months already, or not
    one whole month inside). Every part is received-date disjoint, so the parts' counts add up."""
    period = filters.period
    if not ENABLED or period.whole_months:
        return None
    first = period.first_month if period.start.day == 1 else add_months(period.first_month, 1)
    last = period.last_month if period.end == month_end(period.last_month) else add_months(period.last_month, -1)
    if first > last:
        return None
    parts = [Period.months(first, last)]
    if period.start.day != 1:
        parts.append(Period(period.start, month_end(month_of(period.start))))
    if period.end != month_end(period.last_month):
        parts.append(Period(month_start(period.last_month), period.end))
    return tuple(replace(filters, period=part) for part in parts)


def source(session: Session, scope: Scope, filters: Filters, *, pairs: bool = False, orgs: bool = False) -> Source:
    """The smallest summary that answers the question exactly: `pairs` needs category and source, `orgs` the
    organisation; a category or source filter needs category and source too."""
    narrowed = bool(filters.category or filters.source)
    if not orgs and (scope.everything or scope.county):
        table, due = (stats_case_area if (pairs or narrowed) else stats_case_area_month), stats_due_area
        where = [] if scope.everything else [table.c.county_id == scope.org_id]
        due_where = [] if scope.everything else [due.c.county_id == scope.org_id]
    else:
        table = stats_case_org if (pairs or narrowed) else stats_case_org_month
        due = stats_due_org
        if scope.everything:
            where, due_where = [], []
        else:
            subtree = select(col(Organisation.id)).where(col(Organisation.path).startswith(scope.path))
            where, due_where = [table.c.org_id.in_(subtree)], [due.c.org_id.in_(subtree)]
    months = (filters.period.first_month, filters.period.last_month)
    where += [table.c.received_month >= months[0], table.c.received_month <= months[1]]
    due_where += [due.c.received_month >= months[0], due.c.received_month <= months[1]]
    for name, value in (("category", filters.category), ("source", filters.source)):
        if value:
            where.append(table.c[name] == value)
            due_where.append(due.c[name] == value)
    return Source(table, due, tuple(where), tuple(due_where))


def _sums(table: Table, names: tuple[str, ...]) -> list[ColumnElement[Any]]:
    return [func.coalesce(func.sum(table.c[n]), 0) for n in names]


def grouped(
    session: Session, src: Source, keys: tuple[str, ...], names: tuple[str, ...], extra: tuple[Any, ...] = ()
) -> dict[Any, dict[str, int]]:
    """key (one column: its value; several: a tuple) → {measure: sum} over the source's rows."""
    cols = [src.table.c[k] for k in keys]
    stmt = (  # rows whose cases all left (moved, deleted) stay at zero: not a group a scan of the cases would see
        select(*cols, *_sums(src.table, names))
        .where(*src.where, *extra)
        .group_by(*cols)
        .having(func.sum(src.table.c.received) > 0)
    )
    n = len(keys)
    out: dict[Any, dict[str, int]] = {}
    for row in session.execute(stmt):
        key = row[0] if n == 1 else tuple(row[:n])
        out[key] = {m: int(v or 0) for m, v in zip(names, row[n:], strict=True)}
    return out


def due_by(session: Session, src: Source, keys: tuple[str, ...], today: date) -> dict[Any, int]:
    """Pending agreements past their deadline, by key: the today-dependent part of `performance_due`."""
    cols = [src.due.c[k] for k in keys]
    stmt = select(*cols, func.sum(src.due.c.n)).where(*src.due_where, src.due.c.performance_due < today).group_by(*cols)
    n = len(keys)
    return {(r[0] if n == 1 else tuple(r[:n])): int(r[n] or 0) for r in session.execute(stmt)}


def overdue_by_month(session: Session, scope: Scope, filters: Filters, today: date) -> dict[int, int]:
    """Received in the period and overdue now, by month received: open cases from their partial index, and the
    succeeded cases whose follow-up is late (the three kinds never overlap)."""
    parts = warnings.warning_parts(today)
    where = filter_clauses(scope, filters)
    month = col(Case.received_month)
    opened = select(month, func.count()).where(OPEN_TERM, *where, parts["accept"] | parts["conclude"]).group_by(month)
    out: dict[int, int] = {}
    for m, n in session.execute(pinned(opened, IX_OPEN_MONTH)):
        out[m] = out.get(m, 0) + int(n)
    for m, n in late_follow_ups(session, scope, filters, today).items():
        out[m] = out.get(m, 0) + n
    return out


def _late_where(
    scope: Scope, filters: Filters, today: date, *, with_period: bool
) -> tuple[Table, list[ColumnElement[bool]]]:
    table = stats_followup_area if scope.everything or scope.county else stats_followup_org
    if scope.everything:
        where: list[ColumnElement[bool]] = []
    elif scope.county:
        where = [table.c.county_id == scope.org_id]
    else:
        where = [table.c.org_id.in_(select(col(Organisation.id)).where(col(Organisation.path).startswith(scope.path)))]
    where.append(table.c.due < today)
    if with_period:
        where += [
            table.c.received_month >= filters.period.first_month,
            table.c.received_month <= filters.period.last_month,
        ]
    for name, value in (("category", filters.category), ("source", filters.source)):
        if value:
            where.append(table.c[name] == value)
    return table, where


def late_follow_ups(session: Session, scope: Scope, filters: Filters, today: date) -> dict[int, int]:
    """Succeeded cases received in the period whose follow-up is past its due day (warnings' `follow_up`), by
    month received, from the follow-up summary."""
    table, where = _late_where(scope, filters, today, with_period=True)
    stmt = select(table.c.received_month, func.sum(table.c.n)).where(*where).group_by(table.c.received_month)
    return {m: int(n or 0) for m, n in session.execute(stmt)}


def warning_counts(session: Session, scope: Scope, filters: Filters, today: date) -> warnings.WarningCounts:
    """The warnings now (services/cases/warnings.py, same parts) in one statement: the open cases from their
    covering partial index (the flags counted among the high-risk ones), the late follow-ups from the follow-up
    summary (every month received)."""
    parts = warnings.warning_parts(today)
    table, late_where = _late_where(scope, filters, today, with_period=False)
    late = select(func.coalesce(func.sum(table.c.n), 0)).where(*late_where).scalar_subquery()
    where = [OPEN_TERM, *filter_clauses(scope, filters, with_period=False)]
    counts = select(  # from the covering index of open cases alone
        func.count().filter(parts["high_risk"]).label("high_risk"),
        func.count().filter(parts["accept"]).label("accept"),
        func.count().filter(parts["conclude"]).label("conclude"),
    ).where(*where)
    flags = select(  # the flags read the high-risk open rows only
        *(func.count().filter(warnings.flagged(f)).label(f"flag_{f}") for f in warnings.FLAGS)
    ).where(*where, RISK_TERM)  # with OPEN_TERM in `where`: parts["high_risk"], as literals a partial index matches
    a, b = pinned(counts, IX_OPEN).subquery(), pinned(flags, IX_OPEN).subquery()
    both = select(a, b, late).select_from(a.join(b, true()))  # one row each: their product is one row
    row = [int(v or 0) for v in session.execute(both).one()]
    return warnings.WarningCounts(
        high_risk=row[0],
        by_kind={"high_risk": row[0], "accept": row[1], "conclude": row[2], "follow_up": row[-1]},
        by_flag=dict(zip(warnings.FLAGS, row[3:-1], strict=True)),
    )


def month_counts(session: Session, scope: Scope, filters: Filters, today: date) -> dict[int, dict[str, int]]:
    """Every main KPI per month received (what the case scan `scan_months` gives, plus the risk KPIs)."""
    src = source(session, scope, filters)
    rows = grouped(session, src, ("received_month",), (*SUMMED, "perf_settled"))
    due = due_by(session, src, ("received_month",), today)
    late = overdue_by_month(session, scope, filters, today)
    out: dict[int, dict[str, int]] = {}
    for m in sorted(set(rows) | set(late)):
        counts = dict(rows.get(m) or dict.fromkeys((*SUMMED, "perf_settled"), 0))
        counts["performance_due"] = counts.pop("perf_settled") + due.get(m, 0)
        counts["overdue"] = late.get(m, 0)
        out[m] = counts
    return out


def pair_counts(
    session: Session, scope: Scope, filters: Filters, names: tuple[str, ...], listed: tuple[list[str], list[str]]
) -> dict[tuple[str, str], dict[str, int]]:
    """The count KPIs `names` (no today-dependent ones) per (category, source) among the listed codes."""
    src = source(session, scope, filters, pairs=True)
    extra = (src.table.c.category.in_(listed[0]), src.table.c.source.in_(listed[1]))
    return grouped(session, src, ("category", "source"), names, extra)


def org_counts(session: Session, scope: Scope, filters: Filters, names: tuple[str, ...]) -> dict[int, dict[str, int]]:
    """The count KPIs `names` per organisation of the scope's subtree (the leaves the breakdown rolls up)."""
    return grouped(session, source(session, scope, filters, orgs=True), ("org_id",), names)


def session_totals(session: Session, scope: Scope, filters: Filters) -> dict[str, int]:
    """Mediation sessions held in the period's months (China time) for the filtered cases: all and online."""
    if scope.everything or scope.county:
        table = stats_session_area
        where = [] if scope.everything else [table.c.county_id == scope.org_id]
    else:
        table = stats_session_org
        where = [table.c.org_id.in_(select(col(Organisation.id)).where(col(Organisation.path).startswith(scope.path)))]
    where += [table.c.month >= filters.period.first_month, table.c.month <= filters.period.last_month]
    for name, value in (("category", filters.category), ("source", filters.source)):
        if value:
            where.append(table.c[name] == value)
    row = session.execute(select(*_sums(table, ("sessions", "online_sessions"))).where(*where)).one()
    return {"sessions": int(row[0] or 0), "online_sessions": int(row[1] or 0)}
