"""Statistics over the actor's area: the dashboard's few scans, breakdowns, drill-down lists and alerts.

Every number is a KPI predicate (services/stats/kpi.py) over the filtered cases, computed in SQL by conditional
aggregates; only aggregated rows (≤ a few hundred) come back to Python. Lists are keyset-paged by
(received_month, id) and fetch details for one page only. Results are cached per scope, filters and data
version (the newest audit row and case id: every write through the services adds an audit row), never
per user: two users with the same scope may share figures they are both allowed to see.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import Case, DictionaryEntry, MediationSession
from services.access.authz import Actor
from services.cases import warnings
from services.core import clock
from services.core.errors import ValidationFailed
from services.stats import kpi as K
from services.stats import rollup
from services.stats.scope import (
    Area,
    cached,
    clear_cache,
    data_version,
    org_choices,
    read_once,
    resolve_scope,
    subtree,
    system_actor,
)
from services.stats.sql import (
    IX_CATSRC,
    IX_MONTH,
    IX_OPEN,
    IX_ORG,
    IX_RISK,
    OPEN_TERM,
    RISK_TERM,
    Filters,
    Period,
    Scope,
    Slice,
    filter_clauses,
    pinned,
)

__all__ = [
    "Area",
    "Filters",
    "Period",
    "Scope",
    "Slice",
    "clear_cache",
    "data_version",
    "org_choices",
    "resolve_scope",
    "system_actor",
]
T = TypeVar("T")
BREAKDOWN = ("received", "accepted", "mediated", "succeeded", "failed", "withdrawn", "rejected", "in_progress")
CHART = ("received", "mediated", "succeeded")  # what the dashboard's breakdown charts need
FLAGS = warnings.FLAGS


@dataclass(frozen=True)
class Row:
    """One slice of a breakdown: its key (month, code or organisation id) and its counts."""

    key: Any
    counts: dict[str, int]
    name: str = ""

    def __getitem__(self, kpi_id: str) -> int:
        return self.counts.get(kpi_id, 0)

    @property
    def success_rate(self) -> float | None:
        return K.ratio(self["succeeded"], self["mediated"])


@dataclass(frozen=True)
class Alerts:
    """Warnings now (whatever the period; services/cases/warnings.py): high-risk by flag, and overdue by deadline."""

    high_risk: int
    by_flag: dict[str, int]
    overdue: dict[str, int]

    @property
    def overdue_total(self) -> int:
        return sum(self.overdue.values())


@dataclass(frozen=True)
class Dashboard:
    scope: Scope
    filters: Filters
    today: date
    current: dict[str, float | None]
    previous: dict[str, float | None] | None
    compare: Filters | None
    by_month: tuple[Row, ...]
    by_category: tuple[Row, ...]
    by_source: tuple[Row, ...]
    by_org: tuple[Row, ...]
    alerts: Alerts
    timings: dict[str, float] = field(default_factory=dict, compare=False)

    def decline(self, kpi_id: str) -> float | None:
        """(previous − current) ÷ previous for a count KPI, against the comparison period."""
        if self.previous is None:
            return None
        return K.decline_rate(self.previous.get(kpi_id) or 0, self.current.get(kpi_id) or 0)


# ------------------------------------------------------------------------------------------------ cache


def _check(session: Session, filters: Filters) -> None:
    if filters.category is None and filters.source is None:
        return
    codes = _codes(session)
    for dictionary, value in (("category", filters.category), ("source", filters.source)):
        if value is not None and value not in codes[dictionary]:
            raise ValidationFailed("error.stats_filter_unknown", value=value)


def _codes(session: Session) -> dict[str, list[str]]:
    """The codes of the category and source dictionaries (retired ones too: old cases carry them), in one read
    (once per reading session)."""

    def read() -> dict[str, list[str]]:
        out: dict[str, list[str]] = {"category": [], "source": []}
        rows = session.exec(
            select(DictionaryEntry.dictionary, DictionaryEntry.code)
            .where(col(DictionaryEntry.dictionary).in_(tuple(out)))
            .order_by(col(DictionaryEntry.dictionary), col(DictionaryEntry.code))
        ).all()
        for dictionary, code in rows:
            out[dictionary].append(code)
        return out

    return read_once(session, "stats_codes", read)


# ------------------------------------------------------------------------------------------------ scans


def _aggregates(kpis: Iterable[K.Kpi], today: date) -> list[Any]:
    return [K.aggregate(k, today) for k in kpis]


def _merged(parts: Iterable[list[Row]]) -> list[Row]:
    """The rows of a split period's parts, added up by key."""
    acc: dict[Any, dict[str, int]] = {}
    for rows in parts:
        for row in rows:
            counts = acc.setdefault(row.key, {})
            for k, v in row.counts.items():
                counts[k] = counts.get(k, 0) + v
    return [Row(key=k, counts=v) for k, v in acc.items()]


def scan_months(session: Session, scope: Scope, filters: Filters, today: date) -> list[Row]:
    """The headline per month: from the summaries (whole months; a period that is not is split into its whole
    months and its end days), else one scan of the covering month index."""
    kpis = K.counted(K.MAIN)
    if rollup.usable(filters):
        months = rollup.month_counts(session, scope, filters, today)
        return [Row(key=m, counts={k.id: c[k.id] for k in kpis}) for m, c in months.items() if c["received"]]
    if (parts := rollup.split(filters)) is not None:
        return _merged(scan_months(session, scope, part, today) for part in parts)
    stmt = (
        select(col(Case.received_month), *_aggregates(kpis, today))
        .where(*filter_clauses(scope, filters))
        .group_by(col(Case.received_month))
    )
    rows = session.exec(pinned(stmt, IX_MONTH)).all()
    return [Row(key=r[0], counts={k.id: int(v or 0) for k, v in zip(kpis, r[1:], strict=True)}) for r in rows]


def _headlines(
    session: Session, scope: Scope, parts: list[Filters], today: date
) -> list[tuple[list[Row], dict[str, int]]]:
    """The headline rows by month and the high-risk KPIs of each filters in `parts` (a period and the one
    compared against). When all are whole months: from one read of the summaries' months that cover them (four
    statements, not five per period); otherwise each scanned on its own."""
    if not all(rollup.usable(f) for f in parts):
        return [(scan_months(session, scope, f, today), scan_risk(session, scope, f, today)) for f in parts]
    hull = Period(min(f.period.start for f in parts), max(f.period.end for f in parts))
    months = rollup.month_counts(session, scope, replace(parts[0], period=hull), today)
    main, risky = K.counted(K.MAIN), K.counted(K.RISK)

    def part(period: Period) -> tuple[list[Row], dict[str, int]]:
        wanted = set(period.month_list())
        mine = {m: c for m, c in months.items() if m in wanted}
        rows = [Row(key=m, counts={k.id: c[k.id] for k in main}) for m, c in mine.items() if c["received"]]
        return rows, {k.id: sum(c[k.id] for c in mine.values()) for k in risky}

    return [part(f.period) for f in parts]


def scan_risk(session: Session, scope: Scope, filters: Filters, today: date) -> dict[str, int]:
    """The KPIs about high-risk cases, from the small partial index of high-risk cases."""
    kpis = K.counted(K.RISK)
    if rollup.usable(filters):
        src = rollup.source(session, scope, filters)
        return rollup.grouped(session, src, (), tuple(k.id for k in kpis)).get((), {k.id: 0 for k in kpis})
    if (parts := rollup.split(filters)) is not None:
        sums = [scan_risk(session, scope, part, today) for part in parts]
        return {k.id: sum(p.get(k.id, 0) for p in sums) for k in kpis}
    stmt = select(*_aggregates(kpis, today)).where(RISK_TERM, *filter_clauses(scope, filters))
    row = session.exec(pinned(stmt, IX_RISK)).one()
    return {k.id: int(v or 0) for k, v in zip(kpis, row, strict=True)}


def _breakdown(
    session: Session, keys: tuple[Any, ...], index: str, where: list[Any], today: date, counts: tuple[str, ...]
) -> list[Row]:
    kpis = [K.BY_ID[i] for i in counts]
    stmt = select(*keys, *_aggregates(kpis, today)).where(*where).group_by(*keys)
    rows = session.exec(pinned(stmt, index)).all()
    n = len(keys)
    return [
        Row(key=tuple(r[:n]) if n > 1 else r[0], counts={k.id: int(v or 0) for k, v in zip(kpis, r[n:], strict=True)})
        for r in rows
    ]


def by_org(
    session: Session, scope: Scope, filters: Filters, today: date, counts: tuple[str, ...] = BREAKDOWN
) -> list[Row]:
    """Counts per child of the scope root (its subtree), plus the root's own cases; biggest first."""
    leaves = _org_leaves(session, scope, filters, today, counts)
    info = {i: (p, n) for i, p, n, _d in subtree(session, scope.path)}
    depth = scope.path.count("/") - 1
    totals: dict[int, dict[str, int]] = {}
    for row in leaves:
        path = info.get(row.key, (scope.path, ""))[0]
        ids = [int(x) for x in path.strip("/").split("/")]
        child = ids[depth] if len(ids) > depth else scope.org_id
        acc = totals.setdefault(child, dict.fromkeys(counts, 0))
        for k, v in row.counts.items():
            acc[k] += v
    out = [Row(key=k, counts=v, name=info.get(k, ("", ""))[1]) for k, v in totals.items()]
    return sorted(out, key=lambda r: (-r["received"], r.name))


def _org_leaves(session: Session, scope: Scope, filters: Filters, today: date, counts: tuple[str, ...]) -> list[Row]:
    if not set(counts) & set(rollup.LIVE):
        if rollup.usable(filters):
            return [Row(key=k, counts=v) for k, v in rollup.org_counts(session, scope, filters, counts).items()]
        if (parts := rollup.split(filters)) is not None:
            return _merged(_org_leaves(session, scope, part, today, counts) for part in parts)
    where = filter_clauses(scope, filters, org_seek=True)  # one index range per organisation
    return _breakdown(session, (col(Case.org_id),), IX_ORG, where, today, counts)


def by_category_source(
    session: Session, scope: Scope, filters: Filters, today: date, counts: tuple[str, ...] = BREAKDOWN
) -> list[Row]:
    """Counts per (category, source), each pair read in index order (no sort); unlisted codes as ('', '')."""
    codes = _codes(session) if not (filters.category and filters.source) else {}
    categories = [filters.category] if filters.category else codes["category"]
    sources = [filters.source] if filters.source else codes["source"]
    if not set(counts) & set(rollup.LIVE):
        if rollup.usable(filters):
            pairs = rollup.pair_counts(session, scope, filters, counts, (categories, sources))
            return [Row(key=k, counts=v) for k, v in pairs.items()]
        if (parts := rollup.split(filters)) is not None:
            return _merged(by_category_source(session, scope, part, today, counts) for part in parts)
    listed = [col(Case.category).in_(categories), col(Case.source).in_(sources)]
    return _breakdown(
        session,
        (col(Case.category), col(Case.source)),
        IX_CATSRC,
        [*filter_clauses(scope, filters), *listed],
        today,
        counts,
    )


def roll_up(rows: Iterable[Row], part: int, total: Row | None = None) -> list[Row]:
    """Sum (category, source) rows by one part; what the listed codes miss of `total` becomes key ''."""
    acc: dict[str, dict[str, int]] = {}
    for row in rows:
        bucket = acc.setdefault(row.key[part], dict.fromkeys(row.counts, 0))
        for k, v in row.counts.items():
            bucket[k] += v
    if total is not None:
        rest = {k: total[k] - sum(b.get(k, 0) for b in acc.values()) for k in total.counts}
        if any(rest.values()):
            acc[""] = rest
    return sorted((Row(key=k, counts=v) for k, v in acc.items()), key=lambda r: (-r["received"], r.key))


def alerts(session: Session, *, actor: Actor, filters: Filters, today: date | None = None) -> Alerts:
    """The warnings in scope now (services/cases/warnings.py, the workbench's definition): high-risk, overdue."""
    scope = resolve_scope(session, actor, filters.org_id)
    if rollup.ENABLED:
        counts = rollup.warning_counts(session, scope, filters, today or clock.today())
        return Alerts(
            high_risk=counts.high_risk,
            overdue={k: counts.by_kind[k] for k in warnings.OVERDUE},
            by_flag=dict(counts.by_flag),
        )
    counts = warnings.count_warnings(
        session,
        where=filter_clauses(scope, filters, with_period=False),
        today=today or clock.today(),
        open_term=OPEN_TERM,
        hint=lambda stmt: pinned(stmt, IX_OPEN),
    )
    return Alerts(
        high_risk=counts.high_risk,
        overdue={k: counts.by_kind[k] for k in warnings.OVERDUE},
        by_flag=dict(counts.by_flag),
    )


# ------------------------------------------------------------------------------------------------ public


def _totals(rows: Iterable[Row], risk: dict[str, int]) -> dict[str, float]:
    raw: dict[str, float] = dict.fromkeys((k.id for k in K.counted()), 0)
    for row in rows:
        for k, v in row.counts.items():
            raw[k] += v
    raw.update(risk)
    return raw


def figures(session: Session, *, actor: Actor, filters: Filters, today: date | None = None) -> dict[str, float | None]:
    """Every KPI's value for the filters (two scans: the month index and the high-risk index)."""
    scope = resolve_scope(session, actor, filters.org_id)
    today = today or clock.today()

    def compute() -> dict[str, float | None]:
        _check(session, filters)
        months = scan_months(session, scope, filters, today)
        return K.values(_totals(months, scan_risk(session, scope, filters, today)))

    return cached(session, ("figures", scope, filters, today), compute)


def figures_compared(
    session: Session, *, actor: Actor, filters: Filters, other: Filters, today: date | None = None
) -> tuple[dict[str, float | None], dict[str, float | None]]:
    """`figures` of the filters and of `other` (the period compared against), read together (`_headlines`)."""
    scope = resolve_scope(session, actor, filters.org_id)
    day = today or clock.today()

    def compute() -> tuple[dict[str, float | None], dict[str, float | None]]:
        _check(session, filters)
        current, previous = _headlines(session, scope, [filters, other], day)
        return K.values(_totals(*current)), K.values(_totals(*previous))

    return cached(session, ("figures_compared", scope, filters, other, day), compute)


def session_counts(session: Session, *, actor: Actor, filters: Filters) -> dict[str, int]:
    """Mediation sessions held in the period (by the session's date) for the filtered cases: all and online."""
    scope = resolve_scope(session, actor, filters.org_id)
    start, end = clock.days_bounds(filters.period.start, filters.period.end)

    def compute() -> dict[str, int]:
        if rollup.usable(filters):
            return rollup.session_totals(session, scope, filters)
        if (parts := rollup.split(filters)) is not None:
            totals = [session_counts(session, actor=actor, filters=part) for part in parts]
            return {k: sum(t[k] for t in totals) for k in ("sessions", "online_sessions")}
        row = session.exec(
            select(func.count(), func.count().filter(col(MediationSession.online).is_(True)))
            .select_from(MediationSession)
            .join(Case, col(Case.id) == col(MediationSession.case_id))
            .where(
                col(MediationSession.held_at) >= start,
                col(MediationSession.held_at) < end,
                *filter_clauses(scope, filters, with_period=False),
            )
        ).one()
        return {"sessions": int(row[0] or 0), "online_sessions": int(row[1] or 0)}

    return cached(session, ("sessions", scope, filters), compute)


def dashboard(
    session: Session,
    *,
    actor: Actor,
    filters: Filters,
    compare: str | None = "previous-year",
    today: date | None = None,
) -> Dashboard:
    """Everything the dashboard shows, in a handful of aggregate statements (cached per scope and data version)."""
    scope = resolve_scope(session, actor, filters.org_id)
    today = today or clock.today()
    return cached(
        session,
        ("dashboard", scope, filters, compare, today),
        lambda: _dashboard(session, actor, scope, filters, compare, today),
    )


def _dashboard(
    session: Session, actor: Actor, scope: Scope, filters: Filters, compare: str | None, today: date
) -> Dashboard:
    _check(session, filters)
    timings: dict[str, float] = {}

    def timed(name: str, fn: Callable[[], T]) -> T:
        t0 = time.perf_counter()
        out = fn()
        timings[name] = time.perf_counter() - t0
        return out

    other = filters.compared(compare) if compare else None
    heads = timed("headlines", lambda: _headlines(session, scope, [filters, *([other] if other else [])], today))
    months, risk = heads[0]
    raw = _totals(months, risk)
    previous = K.values(_totals(*heads[1])) if other is not None else None
    pairs = timed("category_source", lambda: by_category_source(session, scope, filters, today, CHART))
    orgs = timed("org", lambda: by_org(session, scope, filters, today, CHART))
    total = Row(key="", counts={k: int(raw.get(k, 0)) for k in CHART})
    seen = {r.key: r for r in months}
    trend = tuple(seen.get(m, Row(key=m, counts={})) for m in filters.period.month_list())
    warn = timed("alerts", lambda: alerts(session, actor=actor, filters=filters, today=today))
    return Dashboard(
        scope=scope,
        filters=filters,
        today=today,
        current=K.values(raw),
        previous=previous,
        compare=other,
        by_month=trend,
        by_category=tuple(roll_up(pairs, 0, total)),
        by_source=tuple(roll_up(pairs, 1, total)),
        by_org=tuple(orgs),
        alerts=warn,
        timings=timings,
    )
