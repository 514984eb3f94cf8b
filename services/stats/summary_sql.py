"""The SQL of the statistics summaries (issue 21): what each summary column sums (the KPI predicates of
services/stats/kpi.py), the key of a case row in each summary, and the triggers that keep the summaries on SQLite
and PostgreSQL (generated here, created by migration 0026; services/stats/summary.py runs the rest)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, func, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col

from models import Case
from models.stats import CASE_MEASURES, CASE_TABLES, DUE_TABLES, FOLLOWUP_TABLES, SESSION_TABLES
from services.stats import kpi as K

ANY_DAY = date(2000, 1, 1)  # the measures kept do not depend on today
TRACKED = (
    "org_id",
    "county_id",
    "received_month",
    "category",
    "source",
    "status",
    "outcome",
    "agreement_kind",
    "performance",
    "performance_due",
    "confirmed",
    "on_the_spot",
    "pre_litigation",
    "group_size",
    "risk_level",
    "risk_flags",
    "satisfaction",
)


# ------------------------------------------------------------------------------------------------ what is summed


def perf_settled() -> ColumnElement[bool]:
    """The part of `performance_due` that does not depend on today: no deadline, or performance recorded."""
    return and_(
        col(Case.outcome) == "succeeded",
        col(Case.agreement_kind).is_not(None),
        or_(col(Case.performance_due).is_(None), col(Case.performance) != "pending"),
    )


def due_pending() -> ColumnElement[bool]:
    """The rest of `performance_due`: a deadline and no performance yet; due once the deadline has passed."""
    return and_(
        col(Case.outcome) == "succeeded",
        col(Case.agreement_kind).is_not(None),
        col(Case.performance_due).is_not(None),
        or_(col(Case.performance).is_(None), col(Case.performance) == "pending"),
    )


def measure_aggregates() -> list[ColumnElement[Any]]:
    """One aggregate per column of CASE_MEASURES, over case rows (the KPI definitions)."""
    out: list[ColumnElement[Any]] = []
    for name in CASE_MEASURES:
        if name == "perf_settled":
            out.append(func.count().filter(perf_settled()))
        else:
            out.append(K.aggregate(K.BY_ID[name], ANY_DAY))
    return out


def county_expr() -> ColumnElement[int]:
    return func.coalesce(col(Case.county_id), 0)


def keys_of(table: Table) -> list[ColumnElement[Any]]:
    """The case expressions of a summary table's key columns (and the organisation's county)."""
    by_name: dict[str, Any] = {
        "org_id": col(Case.org_id),
        "county_id": county_expr(),
        "received_month": col(Case.received_month),
        "category": col(Case.category),
        "source": col(Case.source),
        "performance_due": col(Case.performance_due),
    }
    return [by_name[c.name] for c in table.columns if c.name in by_name]


def key_columns(table: Table) -> list[str]:
    """The names of the columns `_keys` gives expressions for, in the same order."""
    return [c.name for c in table.columns if c.name in key_names(table)]


def values_of(table: Table) -> list[str]:
    return [c.name for c in table.columns if not c.primary_key and c.name != "county_id"]


def key_names(table: Table) -> set[str]:
    return {"org_id", "county_id", "received_month", "category", "source", "performance_due"} & set(table.c.keys())


# ------------------------------------------------------------------------------------------------ triggers


def _sql(expr: ColumnElement[Any], dialect: Any, row: str) -> str:
    """A case predicate or value as SQL over the trigger's NEW or OLD row."""
    text_ = str(expr.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    return text_.replace("%%", "%").replace('"case".', f"{row}.")


def _measure_values(dialect: Any, row: str, sign: int) -> list[str]:
    out = []
    for name in CASE_MEASURES:
        if name == "received":
            out.append(str(sign))
            continue
        if name == "perf_settled":
            pred, value = perf_settled(), "1"
        else:
            kpi = K.BY_ID[name]
            assert kpi.where is not None
            pred = kpi.where(ANY_DAY)
            value = f"{row}.{kpi.summed}" if kpi.kind == "sum" else "1"
        out.append(f"(CASE WHEN {_sql(pred, dialect, row)} THEN {sign} * {value} ELSE 0 END)")
    return out


def _row_keys(table: Table, row: str) -> list[tuple[str, str]]:
    exprs = {
        "org_id": f"{row}.org_id",
        "county_id": f"COALESCE({row}.county_id, 0)",
        "received_month": f"{row}.received_month",
        "category": f"{row}.category",
        "source": f"{row}.source",
        "performance_due": f"{row}.performance_due",
    }
    return [(c.name, exprs[c.name]) for c in table.columns if c.name in exprs]


def _row_upsert(table: Table, dialect: Any, row: str, sign: int) -> str:
    """One statement adding (sign +1) or taking away (−1) one case row's contribution to one summary table."""
    keys = _row_keys(table, row)
    if table in DUE_TABLES:
        values, where = [str(sign)], _sql(due_pending(), dialect, row)
    else:
        values, where = _measure_values(dialect, row, sign), "1 = 1"
    names = [k for k, _ in keys] + values_of(table)
    conflict = ", ".join(c.name for c in table.primary_key.columns)
    sets = [f"{n} = {table.name}.{n} + excluded.{n}" for n in values_of(table)]
    if "county_id" in table.c and "county_id" not in conflict.split(", "):
        sets.append("county_id = excluded.county_id")
    return (
        f"INSERT INTO {table.name} ({', '.join(names)}) SELECT {', '.join([e for _, e in keys] + values)} "
        f"WHERE {where} ON CONFLICT ({conflict}) DO UPDATE SET {', '.join(sets)}"
    )


def _changed_clause(dialect_name: str) -> str:
    parts = []
    for name in TRACKED:
        old, new = f"OLD.{name}", f"NEW.{name}"
        if name == "risk_flags":
            old, new = f"CAST({old} AS TEXT)", f"CAST({new} AS TEXT)"
        op = "IS NOT" if dialect_name == "sqlite" else "IS DISTINCT FROM"
        parts.append(f"{old} {op} {new}")
    return " OR ".join(parts)


TRIGGERS_SQLITE = (
    "stats_case_insert",
    "stats_case_update",
    "stats_case_delete",
    "stats_case_sessions",
    "stats_session_insert",
    "stats_session_update",
    "stats_session_delete",
    "stats_case_followups",
    "stats_followup_insert",
    "stats_followup_update",
    "stats_followup_delete",
)
SESSION_KEYS = ("org_id", "county_id", "category", "source")  # what a session is counted under, of its case


def held_month(dialect_name: str, column: str) -> str:
    """SQL: YYYYMM of a stored moment in China (UTC+8, no daylight saving), as clock.local_month computes it."""
    if dialect_name == "sqlite":
        return f"CAST(strftime('%Y%m', {column}, '+8 hours') AS INTEGER)"
    return f"CAST(to_char({column} AT TIME ZONE 'Asia/Shanghai', 'YYYYMM') AS INTEGER)"


def session_upsert(table: Table, dialect_name: str, case: str, frm: str, where: str, sign: int, grouped: bool) -> str:
    """Add or take away sessions in one session summary; `case` names the case row's values (c., NEW., OLD.)."""
    month = held_month(dialect_name, "m.held_at")
    exprs = {
        "org_id": f"{case}org_id",
        "county_id": f"COALESCE({case}county_id, 0)",
        "month": month,
        "category": f"{case}category",
        "source": f"{case}source",
    }
    keys = [c.name for c in table.columns if c.name in exprs]
    online = "CASE WHEN m.online THEN 1 ELSE 0 END"
    values = [f"{sign} * count(*)", f"{sign} * sum({online})"] if grouped else [str(sign), f"{sign} * ({online})"]
    group = f" GROUP BY {month}" if grouped else ""
    conflict = ", ".join(c.name for c in table.primary_key.columns)
    sets = [f"{n} = {table.name}.{n} + excluded.{n}" for n in ("sessions", "online_sessions")]
    if "county_id" not in conflict.split(", "):
        sets.append("county_id = excluded.county_id")
    return (
        f"INSERT INTO {table.name} ({', '.join([*keys, 'sessions', 'online_sessions'])}) "  # noqa: S608 — names only
        f"SELECT {', '.join([*(exprs[k] for k in keys), *values])} FROM {frm} WHERE {where}{group} "
        f"ON CONFLICT ({conflict}) DO UPDATE SET {', '.join(sets)}"
    )


def _session_row(dialect_name: str, row: str, sign: int) -> str:
    """One session row (NEW or OLD) added to or taken from both session summaries, under its case."""
    frm = f'"case" c, (SELECT {row}.held_at AS held_at, {row}.online AS online) m'
    return "; ".join(
        session_upsert(t, dialect_name, "c.", frm, f"c.id = {row}.case_id", sign, False) for t in SESSION_TABLES
    )


def _case_sessions(dialect_name: str) -> str:
    """A case's sessions move from its old organisation, category or source to the new ones."""
    out = []
    for row, sign in (("OLD", -1), ("NEW", +1)):
        for t in SESSION_TABLES:
            out.append(
                session_upsert(t, dialect_name, f"{row}.", "mediationsession m", f"m.case_id = {row}.id", sign, True)
            )
    return "; ".join(out)


FOLLOWUP_KEYS = ("org_id", "county_id", "received_month", "category", "source", "status")


def followup_upsert(table: Table, case: str, frm: str, where: str, sign: int, grouped: bool) -> str:
    """Add or take away succeeded cases' open follow-ups (by due day) in one follow-up summary; `case` names the
    case row's values (c., NEW., OLD.), `frm` must give the follow-up row as f."""
    exprs = {
        "org_id": f"{case}org_id",
        "county_id": f"COALESCE({case}county_id, 0)",
        "received_month": f"{case}received_month",
        "category": f"{case}category",
        "source": f"{case}source",
        "due": "f.due",
    }
    keys = [c.name for c in table.columns if c.name in exprs]
    pk = [c.name for c in table.primary_key.columns]
    value = f"{sign} * count(*)" if grouped else str(sign)
    select_list = [exprs[k] if (k in pk or not grouped) else f"max({exprs[k]})" for k in keys]
    group = f" GROUP BY {', '.join(exprs[k] for k in pk)}" if grouped else ""
    sets = [f"n = {table.name}.n + excluded.n"]
    if "county_id" not in pk:
        sets.append("county_id = excluded.county_id")
    cond = f"{case}status = 'succeeded' AND f.done_at IS NULL AND f.due IS NOT NULL"
    return (
        f"INSERT INTO {table.name} ({', '.join([*keys, 'n'])}) "  # noqa: S608 — names only
        f"SELECT {', '.join([*select_list, value])} FROM {frm} WHERE {where} AND {cond}{group} "
        f"ON CONFLICT ({', '.join(pk)}) DO UPDATE SET {', '.join(sets)}"
    )


def _followup_row(row: str, sign: int) -> str:
    frm = f'"case" c, (SELECT {row}.due AS due, {row}.done_at AS done_at) f'
    return "; ".join(followup_upsert(t, "c.", frm, f"c.id = {row}.case_id", sign, False) for t in FOLLOWUP_TABLES)


def _case_followups() -> str:
    """A case's open follow-ups move with its status, organisation, month, category or source."""
    out = []
    for row, sign in (("OLD", -1), ("NEW", +1)):
        for t in FOLLOWUP_TABLES:
            out.append(followup_upsert(t, f"{row}.", "followup f", f"f.case_id = {row}.id", sign, True))
    return "; ".join(out)


def _session_changed(dialect_name: str, names: tuple[str, ...], old: str = "OLD", new: str = "NEW") -> str:
    op = "IS NOT" if dialect_name == "sqlite" else "IS DISTINCT FROM"
    return " OR ".join(f"{old}.{n} {op} {new}.{n}" for n in names)


def trigger_ddl(dialect_name: str) -> list[str]:
    """CREATE statements of the triggers that keep the case summaries, for 'sqlite' or 'postgresql'."""
    tables = (*CASE_TABLES, *DUE_TABLES)
    if dialect_name == "sqlite":
        d: Any = sqlite.dialect()
        add = "; ".join(_row_upsert(t, d, "NEW", +1) for t in tables)
        sub = "; ".join(_row_upsert(t, d, "OLD", -1) for t in tables)
        cols = ", ".join(TRACKED)
        return [
            f'CREATE TRIGGER stats_case_insert AFTER INSERT ON "case" BEGIN {add}; END',
            f'CREATE TRIGGER stats_case_update AFTER UPDATE OF {cols} ON "case" '
            f"WHEN {_changed_clause('sqlite')} BEGIN {sub}; {add}; END",
            f'CREATE TRIGGER stats_case_delete AFTER DELETE ON "case" BEGIN {sub}; END',
            f'CREATE TRIGGER stats_case_sessions AFTER UPDATE OF {", ".join(SESSION_KEYS)} ON "case" '
            f"WHEN {_session_changed('sqlite', SESSION_KEYS)} BEGIN {_case_sessions('sqlite')}; END",
            "CREATE TRIGGER stats_session_insert AFTER INSERT ON mediationsession "
            f"BEGIN {_session_row('sqlite', 'NEW', +1)}; END",
            "CREATE TRIGGER stats_session_update AFTER UPDATE OF held_at, online, case_id ON mediationsession "
            f"WHEN {_session_changed('sqlite', ('held_at', 'online', 'case_id'))} "
            f"BEGIN {_session_row('sqlite', 'OLD', -1)}; {_session_row('sqlite', 'NEW', +1)}; END",
            "CREATE TRIGGER stats_session_delete AFTER DELETE ON mediationsession "
            f"BEGIN {_session_row('sqlite', 'OLD', -1)}; END",
            f'CREATE TRIGGER stats_case_followups AFTER UPDATE OF {", ".join(FOLLOWUP_KEYS)} ON "case" '
            f"WHEN {_session_changed('sqlite', FOLLOWUP_KEYS)} BEGIN {_case_followups()}; END",
            f"CREATE TRIGGER stats_followup_insert AFTER INSERT ON followup BEGIN {_followup_row('NEW', +1)}; END",
            "CREATE TRIGGER stats_followup_update AFTER UPDATE OF case_id, due, done_at ON followup "
            f"WHEN {_session_changed('sqlite', ('case_id', 'due', 'done_at'))} "
            f"BEGIN {_followup_row('OLD', -1)}; {_followup_row('NEW', +1)}; END",
            f"CREATE TRIGGER stats_followup_delete AFTER DELETE ON followup BEGIN {_followup_row('OLD', -1)}; END",
        ]
    d = postgresql.dialect()  # type: ignore[no-untyped-call]
    add = "; ".join(_row_upsert(t, d, "NEW", +1) for t in tables)
    sub = "; ".join(_row_upsert(t, d, "OLD", -1) for t in tables)
    return [
        "CREATE OR REPLACE FUNCTION stats_case_summary() RETURNS trigger AS $$ BEGIN "
        f"IF TG_OP <> 'INSERT' THEN {sub}; END IF; "
        f"IF TG_OP <> 'DELETE' THEN {add}; END IF; "
        "RETURN NULL; END $$ LANGUAGE plpgsql",
        'CREATE TRIGGER stats_case_summary AFTER INSERT OR DELETE ON "case" '
        "FOR EACH ROW EXECUTE FUNCTION stats_case_summary()",
        'CREATE TRIGGER stats_case_summary_update AFTER UPDATE ON "case" '
        f"FOR EACH ROW WHEN ({_changed_clause('postgresql')}) EXECUTE FUNCTION stats_case_summary()",
        "CREATE OR REPLACE FUNCTION stats_case_sessions() RETURNS trigger AS $$ BEGIN "
        f"{_case_sessions('postgresql')}; RETURN NULL; END $$ LANGUAGE plpgsql",
        'CREATE TRIGGER stats_case_sessions AFTER UPDATE ON "case" '
        f"FOR EACH ROW WHEN ({_session_changed('postgresql', SESSION_KEYS)}) EXECUTE FUNCTION stats_case_sessions()",
        "CREATE OR REPLACE FUNCTION stats_session_summary() RETURNS trigger AS $$ BEGIN "
        f"IF TG_OP <> 'INSERT' THEN {_session_row('postgresql', 'OLD', -1)}; END IF; "
        f"IF TG_OP <> 'DELETE' THEN {_session_row('postgresql', 'NEW', +1)}; END IF; "
        "RETURN NULL; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER stats_session_summary AFTER INSERT OR DELETE ON mediationsession "
        "FOR EACH ROW EXECUTE FUNCTION stats_session_summary()",
        "CREATE TRIGGER stats_session_summary_update AFTER UPDATE ON mediationsession FOR EACH ROW "
        f"WHEN ({_session_changed('postgresql', ('held_at', 'online', 'case_id'))}) "
        "EXECUTE FUNCTION stats_session_summary()",
        "CREATE OR REPLACE FUNCTION stats_case_followups() RETURNS trigger AS $$ BEGIN "
        f"{_case_followups()}; RETURN NULL; END $$ LANGUAGE plpgsql",
        'CREATE TRIGGER stats_case_followups AFTER UPDATE ON "case" '
        f"FOR EACH ROW WHEN ({_session_changed('postgresql', FOLLOWUP_KEYS)}) EXECUTE FUNCTION stats_case_followups()",
        "CREATE OR REPLACE FUNCTION stats_followup_summary() RETURNS trigger AS $$ BEGIN "
        f"IF TG_OP <> 'INSERT' THEN {_followup_row('OLD', -1)}; END IF; "
        f"IF TG_OP <> 'DELETE' THEN {_followup_row('NEW', +1)}; END IF; "
        "RETURN NULL; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER stats_followup_summary AFTER INSERT OR DELETE ON followup "
        "FOR EACH ROW EXECUTE FUNCTION stats_followup_summary()",
        "CREATE TRIGGER stats_followup_summary_update AFTER UPDATE ON followup FOR EACH ROW "
        f"WHEN ({_session_changed('postgresql', ('case_id', 'due', 'done_at'))}) "
        "EXECUTE FUNCTION stats_followup_summary()",
    ]


def drop_trigger_ddl(dialect_name: str) -> list[str]:
    if dialect_name == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {n}" for n in TRIGGERS_SQLITE]
    return [
        'DROP TRIGGER IF EXISTS stats_case_summary ON "case"',
        'DROP TRIGGER IF EXISTS stats_case_summary_update ON "case"',
        'DROP TRIGGER IF EXISTS stats_case_sessions ON "case"',
        "DROP TRIGGER IF EXISTS stats_session_summary ON mediationsession",
        "DROP TRIGGER IF EXISTS stats_session_summary_update ON mediationsession",
        "DROP FUNCTION IF EXISTS stats_case_summary()",
        "DROP FUNCTION IF EXISTS stats_case_sessions()",
        "DROP FUNCTION IF EXISTS stats_session_summary()",
        'DROP TRIGGER IF EXISTS stats_case_followups ON "case"',
        "DROP TRIGGER IF EXISTS stats_followup_summary ON followup",
        "DROP TRIGGER IF EXISTS stats_followup_summary_update ON followup",
        "DROP FUNCTION IF EXISTS stats_case_followups()",
        "DROP FUNCTION IF EXISTS stats_followup_summary()",
    ]
