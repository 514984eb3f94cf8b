"""The building blocks of the statistics queries: periods, filters, the scope clause and index pinning.

SQLite's planner, without fresh ANALYZE data, sometimes prefers an index that is not covering and then
visits the table for every row (measured: 50 ms instead of 0.4 ms for a 40k-row period). Each statistics
statement therefore names the covering index it was designed for (`INDEXED BY`, SQLite only; PostgreSQL
plans these well by itself and ignores the hint).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, and_, literal_column, or_
from sqlmodel import col, select

from models import Case, Organisation
from models.case import OPEN_WHERE
from services.core import clock
from services.core.errors import ValidationFailed

IX_MONTH = "ix_case_stats_month"
IX_ORG = "ix_case_stats_org"
IX_CATSRC = "ix_case_stats_catsrc"
IX_RISK = "ix_case_stats_risk"
IX_OPEN = "ix_case_stats_open"
IX_OPEN_MONTH = "ix_case_open_month"  # open cases by month received, with their deadlines (overdue by period)
IX_PAGE = "ix_case_month_id"  # (received_month, id): a drill-down page at any depth reads only its own rows
# The partial indexes' conditions, as literal SQL: SQLite uses a partial index only when the query's
# WHERE contains its condition with literal values (a bound parameter could be anything).
RISK_TERM: ColumnElement[Any] = literal_column("\"case\".risk_level = 'high'")
OPEN_TERM: ColumnElement[Any] = literal_column(f'"case".{OPEN_WHERE}')  # states.OPEN, as the index has it
COMPARE_MODES = ("previous-period", "previous-year")
S = TypeVar("S")


def pinned(stmt: S, index: str) -> S:
    """Read the case table through `index` on SQLite (services/core/db.py renders the hint)."""
    return cast(S, cast(Any, stmt).with_hint(Case, f"INDEXED BY {index}", "sqlite"))


def month_of(day: date) -> int:
    return day.year * 100 + day.month


def month_start(month: int) -> date:
    return date(month // 100, month % 100, 1)


def month_end(month: int) -> date:
    y, m = divmod(month, 100)
    return date(y, m, calendar.monthrange(y, m)[1])


def add_months(month: int, n: int) -> int:
    y, m = divmod(month, 100)
    total = y * 12 + (m - 1) + n
    return (total // 12) * 100 + total % 12 + 1


def _minus_year(day: date) -> date:
    return day.replace(year=day.year - 1, day=min(day.day, calendar.monthrange(day.year - 1, day.month)[1]))


@dataclass(frozen=True)
class Period:
    """Received from `start` to `end`, both days included: days in China, as received_month is."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValidationFailed("error.stats_period_invalid")

    @classmethod
    def months(cls, first: int, last: int) -> Period:
        return cls(month_start(first), month_end(last))

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        first = year * 100 + 3 * (quarter - 1) + 1
        return cls.months(first, first + 2)

    @property
    def first_month(self) -> int:
        return month_of(self.start)

    @property
    def last_month(self) -> int:
        return month_of(self.end)

    @property
    def whole_months(self) -> bool:
        return self.start.day == 1 and self.end == month_end(self.last_month)

    def month_list(self) -> list[int]:
        out, m = [], self.first_month
        while m <= self.last_month:
            out.append(m)
            m = add_months(m, 1)
        return out

    def previous(self, mode: str) -> Period:
        """The period compared against: the one just before (same length) or the same dates a year earlier."""
        if mode == "previous-year":
            return Period(_minus_year(self.start), _minus_year(self.end))
        if mode != "previous-period":
            raise ValidationFailed("error.stats_compare_invalid", mode=mode)
        if self.whole_months:
            n = len(self.month_list())
            return Period.months(add_months(self.first_month, -n), add_months(self.first_month, -1))
        days = (self.end - self.start).days + 1
        return Period(self.start - timedelta(days=days), self.start - timedelta(days=1))

    def clauses(self) -> list[ColumnElement[bool]]:
        """received_month bounds (index range); exact days only in the edge months, where they are needed."""
        out: list[ColumnElement[bool]] = [
            col(Case.received_month) >= self.first_month,
            col(Case.received_month) <= self.last_month,
        ]
        if self.start.day != 1:
            out.append(
                or_(
                    col(Case.received_month) > self.first_month,
                    col(Case.received_at) >= clock.day_start(self.start),
                )
            )
        if self.end != month_end(self.last_month):
            out.append(
                or_(
                    col(Case.received_month) < self.last_month,
                    col(Case.received_at) < clock.day_start(self.end + timedelta(days=1)),
                )
            )
        return out


@dataclass(frozen=True)
class Filters:
    """What the user narrowed the statistics to; `org_id` None means the actor's whole area."""

    period: Period
    org_id: int | None = None
    category: str | None = None
    source: str | None = None

    def compared(self, mode: str) -> Filters:
        return replace(self, period=self.period.previous(mode))


@dataclass(frozen=True)
class Slice:
    """One bar or point of a breakdown, to list the cases behind it."""

    month: int | None = None
    category: str | None = None
    source: str | None = None
    org_id: int | None = None  # a child of the scope root (its subtree), or the root itself (its own cases)


@dataclass(frozen=True)
class Scope:
    """The subtree the statistics cover: the actor's area, or an organisation inside it."""

    org_id: int
    path: str
    name: str
    everything: bool  # the root of the only tree: no organisation clause is needed
    county: bool = False  # a county's own subtree: the area summaries, keyed by county, answer it exactly


def scope_clause(scope: Scope) -> ColumnElement[bool] | None:
    if scope.everything:
        return None
    return col(Case.org_id).in_(select(Organisation.id).where(col(Organisation.path).startswith(scope.path)))


def filter_clauses(
    scope: Scope, filters: Filters, *, with_period: bool = True, org_seek: bool = False
) -> list[ColumnElement[bool]]:
    """The WHERE terms of the filters; `org_seek` keeps the organisation list even for the whole tree (an
    index led by org_id then seeks one range per organisation instead of reading every entry)."""
    out: list[ColumnElement[bool]] = filters.period.clauses() if with_period else []
    where = scope_clause(replace(scope, everything=False) if org_seek else scope)
    if where is not None:
        out.append(where)
    if filters.category:
        out.append(col(Case.category) == filters.category)
    if filters.source:
        out.append(col(Case.source) == filters.source)
    return out


def slice_clauses(scope: Scope, piece: Slice, org_path: str | None) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if piece.month is not None:
        out.append(col(Case.received_month) == piece.month)
    if piece.category is not None:
        out.append(col(Case.category) == piece.category)
    if piece.source is not None:
        out.append(col(Case.source) == piece.source)
    if piece.org_id is not None:
        if piece.org_id == scope.org_id or org_path is None:
            out.append(col(Case.org_id) == piece.org_id)
        else:
            out.append(col(Case.org_id).in_(select(Organisation.id).where(col(Organisation.path).startswith(org_path))))
    return out


def all_of(clauses: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    return and_(*clauses) if clauses else literal_column("1 = 1")
