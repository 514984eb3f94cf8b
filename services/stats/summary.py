"""Keeping the statistics summaries (models/stats.py) in step with the cases and the ledger, in the same
transaction as the change (issue 21).

Cases: database triggers on the case table (migration 0026, DDL generated here) take away a row's old
contribution and add its new one whenever a counted column changes — whoever writes the row: the ORM, Core bulk
inserts (imports, demo seeding), the triggers that derive outcome, agreement and follow-up columns, an
organisation move re-scoping its cases' county. Each is a delta upsert
(`INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n`) on SQLite and PostgreSQL: no read-modify-write, so no
lost update under concurrent writers. The conditions are the KPI predicates of services/stats/kpi.py compiled
to SQL, and the rebuild and the check sum the same predicates over the cases, so summary and recount agree.

Mediation sessions (by month held) and follow-ups awaiting their visit (by due day) are kept the same way by
triggers on their own tables, and move when their case's organisation, month, category, source or status does.
Bulk loaders may drop the triggers for the load and rebuild once (`suspended`).

Paid subsidies: a new pay or reverse row of the ledger adds its amount to the organisation's month (an ORM flush
listener, models/stats.py); Core writes of ledger rows (demo seeding) are summed by the rebuild after the load.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, delete, func, insert, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col

from models import Case, LedgerEntry, Organisation, SubsidyClaim
from models.stats import (
    CASE_TABLES,
    DUE_TABLES,
    FOLLOWUP_TABLES,
    SESSION_TABLES,
    SUMMARY_TABLES,
    stats_paid_org,
    stats_rebuild_state,
)
from services.core import clock
from services.core.db import upsert_into
from services.stats.summary_sql import (
    drop_trigger_ddl,
    due_pending,
    followup_upsert,
    held_month,
    key_columns,
    key_names,
    keys_of,
    measure_aggregates,
    session_upsert,
    trigger_ddl,
    values_of,
)

PAID_ACTIONS = ("pay", "reverse")
BATCH = 20_000


def _insert(conn: Connection | Session, table: Table) -> Any:
    return upsert_into(conn, table)


def _upsert(conn: Connection | Session, table: Table, source: Any, columns: list[str]) -> None:
    """INSERT … SELECT … ON CONFLICT (key) DO UPDATE SET n = n + excluded.n (county_id follows the row)."""
    stmt = _insert(conn, table).from_select(columns, source)
    keys = [c.name for c in table.primary_key.columns]
    sets = {n: table.c[n] + stmt.excluded[n] for n in values_of(table)}
    if "county_id" in table.c and "county_id" not in keys:
        sets["county_id"] = stmt.excluded["county_id"]
    conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_=sets))


def _case_delta(conn: Connection | Session, table: Table, where: ColumnElement[bool], sign: int) -> None:
    keys = keys_of(table)
    if table in DUE_TABLES:
        aggs: list[ColumnElement[Any]] = [func.count()]
        where = and_(where, due_pending())
    else:
        aggs = measure_aggregates()
    measured = [a if sign > 0 else -a for a in aggs]
    pk = {c.name for c in table.primary_key.columns}
    grouped = [k for k, n in zip(keys, key_columns(table), strict=True) if n in pk]
    # one row per summary key (PostgreSQL refuses to upsert a row twice in one statement): an organisation row's
    # county is its cases' (the same for all of them; the newest wins should they ever disagree)
    selected = [k if n in pk else func.max(k) for k, n in zip(keys, key_columns(table), strict=True)]
    source = select(*selected, *measured).where(where).group_by(*grouped).order_by(*grouped)
    names = [c.name for c in table.columns if c.name in key_names(table)] + values_of(table)
    _upsert(conn, table, source, names)


def apply_cases(conn: Connection | Session, where: ColumnElement[bool], sign: int) -> None:
    """Add (+1) or take away (−1) the contribution of the cases `where` selects, in every case summary."""
    for table in (*CASE_TABLES, *DUE_TABLES):
        _case_delta(conn, table, where, sign)


def county_of(session: Session, org_id: int) -> int | None:
    """The county of an organisation: what a case handled there carries as county_id (its area in statistics)."""
    org = session.get(Organisation, org_id)
    return org.county_id if org is not None else None


# ------------------------------------------------------------------------------------------------ the ledger


def _paid_delta(session: Session, entries: list[LedgerEntry]) -> None:
    acc: dict[tuple[int, int], list[int]] = {}
    for e in entries:
        claim = session.get(SubsidyClaim, e.claim_id)
        if claim is None:
            continue
        key = (claim.org_id, clock.local_month(e.at))
        row = acc.setdefault(key, [claim.county_id or 0, 0, 0])
        row[1] += 1 if e.action == "pay" else -1
        row[2] += e.amount_fen
    if not acc:
        return
    rows = [
        {"org_id": o, "month": m, "county_id": c, "paid_claims": n, "paid_fen": f}
        for (o, m), (c, n, f) in sorted(acc.items())
    ]
    stmt = _insert(session, stats_paid_org)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["org_id", "month"],
            set_={
                "paid_claims": stats_paid_org.c.paid_claims + stmt.excluded.paid_claims,
                "paid_fen": stats_paid_org.c.paid_fen + stmt.excluded.paid_fen,
            },
        ),
        rows,
    )


def paid_recount(session: Session, after_id: int = 0, limit: int | None = None) -> tuple[dict[Any, list[int]], int]:
    """(org_id, month) → [county, claims, fen] from the ledger's pay and reverse rows with id > after_id."""
    stmt = (
        select(col(LedgerEntry.id), col(LedgerEntry.at), col(LedgerEntry.action), col(LedgerEntry.amount_fen))
        .add_columns(col(SubsidyClaim.org_id), col(SubsidyClaim.county_id))
        .join(SubsidyClaim, col(SubsidyClaim.id) == col(LedgerEntry.claim_id))
        .where(col(LedgerEntry.action).in_(PAID_ACTIONS), col(LedgerEntry.id) > after_id)
        .order_by(col(LedgerEntry.id))
    )
    if limit:
        stmt = stmt.limit(limit)
    acc: dict[Any, list[int]] = {}
    last = after_id
    for eid, at, action, fen, org, county in session.execute(stmt):
        row = acc.setdefault((org, clock.local_month(at)), [county or 0, 0, 0])
        row[1] += 1 if action == "pay" else -1
        row[2] += fen
        last = eid
    return acc, last


def after_flush(session: OrmSession, _ctx: Any) -> None:
    """A new pay or reverse row of the ledger moves the paid summary in the same transaction."""
    paid = [o for o in session.new if isinstance(o, LedgerEntry) and o.action in PAID_ACTIONS]
    if paid:
        _paid_delta(session, paid)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------------ rebuild, check


def _state(conn: Any, name: str) -> int | None:
    row = conn.execute(select(stats_rebuild_state.c.last_id).where(stats_rebuild_state.c.name == name)).first()
    return None if row is None else int(row[0])


def rebuild_step(session: Session, batch: int = BATCH, *, cases: bool = True) -> tuple[str, int]:
    """One batch of a rebuild, in the caller's transaction: ("cases"/"paid", last id done) or ("done", 0).

    A rebuild starts by emptying the summaries, then adds the cases by id range and the ledger's pay rows; the
    progress row makes it resumable after a stop. Run it while nothing else writes (or check afterwards).
    `cases=False` recomputes only the paid summary (the triggers kept the case summaries, e.g. while seeding)."""
    state_cases, state_paid = _state(session, "cases"), _state(session, "paid")
    if state_cases is None and state_paid is None:
        for table in SUMMARY_TABLES if cases else (stats_paid_org,):
            session.execute(delete(table))
        session.execute(insert(stats_rebuild_state).values(name="cases" if cases else "paid", last_id=0))
        state_cases, state_paid = (0, None) if cases else (None, 0)
    if state_cases is not None:
        hi = session.execute(select(func.max(col(Case.id))).where(col(Case.id) > state_cases)).scalar_one_or_none()
        top = session.execute(
            select(col(Case.id)).where(col(Case.id) > state_cases).order_by(col(Case.id)).offset(batch - 1).limit(1)
        ).scalar_one_or_none()
        if hi is None:
            session.execute(delete(stats_rebuild_state).where(stats_rebuild_state.c.name == "cases"))
            session.execute(insert(stats_rebuild_state).values(name="paid", last_id=0))
            return "paid", 0
        upto = int(top if top is not None else hi)
        apply_cases(session, and_(col(Case.id) > state_cases, col(Case.id) <= upto), +1)
        apply_sessions(session, f"c.id > {int(state_cases)} AND c.id <= {upto}")
        for table in FOLLOWUP_TABLES:
            frm = '"case" c JOIN followup f ON f.case_id = c.id'
            session.execute(
                text(followup_upsert(table, "c.", frm, f"c.id > {int(state_cases)} AND c.id <= {upto}", 1, True))
            )
        session.execute(update(stats_rebuild_state).where(stats_rebuild_state.c.name == "cases").values(last_id=upto))
        return "cases", upto
    assert state_paid is not None
    acc, last = paid_recount(session, state_paid, batch)
    if not acc:
        session.execute(delete(stats_rebuild_state).where(stats_rebuild_state.c.name == "paid"))
        return "done", 0
    _paid_rows(session, acc)
    session.execute(update(stats_rebuild_state).where(stats_rebuild_state.c.name == "paid").values(last_id=last))
    return "paid", last


def apply_sessions(session: Session, where: str) -> None:
    """Add the mediation sessions of the cases `where` (SQL over the case row `c`) to the session summaries."""
    name = session.get_bind().dialect.name
    frm = '"case" c JOIN mediationsession m ON m.case_id = c.id'
    for table in SESSION_TABLES:
        month = held_month(name, "m.held_at")
        exprs = {"org_id": "c.org_id", "county_id": "COALESCE(c.county_id, 0)", "month": month}
        keys = ", ".join(exprs.get(c.name, f"c.{c.name}") for c in table.primary_key.columns)
        stmt = session_upsert(table, name, "c.", frm, where, +1, True).replace(f"GROUP BY {month}", f"GROUP BY {keys}")
        if "county_id" not in {c.name for c in table.primary_key.columns}:  # one row per key, as above
            stmt = stmt.replace("COALESCE(c.county_id, 0)", "max(COALESCE(c.county_id, 0))", 1)
        session.execute(text(stmt))


def _paid_rows(session: Session, acc: dict[Any, list[int]]) -> None:
    rows = [
        {"org_id": o, "month": m, "county_id": c, "paid_claims": n, "paid_fen": f}
        for (o, m), (c, n, f) in sorted(acc.items())
    ]
    stmt = _insert(session, stats_paid_org)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["org_id", "month"],
            set_={
                "paid_claims": stats_paid_org.c.paid_claims + stmt.excluded.paid_claims,
                "paid_fen": stats_paid_org.c.paid_fen + stmt.excluded.paid_fen,
            },
        ),
        rows,
    )


def rebuild(db: Any, batch: int = BATCH, progress: Any = None, *, cases: bool = True) -> None:
    """Recompute every summary from the cases and the ledger, one short transaction per batch (resumable)."""
    while True:
        with db.write() as s:
            stage, last = rebuild_step(s, batch, cases=cases)
        if progress is not None:
            progress(stage, last)
        if stage == "done":
            return


@contextmanager
def suspended(db: Any) -> Iterator[None]:
    """Bulk loading (demo seeding): the summary triggers are dropped while it writes, then put back and every
    summary rebuilt once (much cheaper than a trigger per row). Only while nothing else writes."""
    name = db.dialect
    with db.write_engine.begin() as conn:
        for statement in drop_trigger_ddl(name):
            conn.execute(text(statement))
    try:
        yield
    finally:
        with db.write_engine.begin() as conn:
            for statement in trigger_ddl(name):
                conn.execute(text(statement))
        rebuild(db)


def _table_rows(session: Session, table: Table) -> dict[tuple[Any, ...], tuple[int, ...]]:
    keys = list(table.primary_key.columns)
    vals = values_of(table)
    out = {}
    for row in session.execute(select(*keys, *(table.c[v] for v in vals))):
        n = len(keys)
        if any(row[n:]):
            out[tuple(row[:n])] = tuple(int(v) for v in row[n:])
    return out


def _recount_rows(session: Session, table: Table) -> dict[tuple[Any, ...], tuple[int, ...]]:
    pk = {c.name for c in table.primary_key.columns}
    keys = [k for k, c in zip(keys_of(table), key_columns(table), strict=True) if c in pk]
    if table in DUE_TABLES:
        stmt = select(*keys, func.count()).where(due_pending())
    else:
        stmt = select(*keys, *measure_aggregates())
    out = {}
    n = len(keys)
    for row in session.execute(stmt.group_by(*keys)):
        if any(row[n:]):
            out[tuple(row[:n])] = tuple(int(v or 0) for v in row[n:])
    return out


def differences(session: Session) -> list[str]:
    """Every summary row that differs from a recount from the cases and the ledger, as one line each."""
    out: list[str] = []
    for table in (*CASE_TABLES, *DUE_TABLES):
        have, want = _table_rows(session, table), _recount_rows(session, table)
        names = values_of(table)
        for key in sorted(set(have) | set(want), key=repr):
            a, b = have.get(key), want.get(key)
            if a != b:
                diff = {
                    n: (x, y)
                    for n, x, y in zip(names, a or (0,) * len(names), b or (0,) * len(names), strict=True)
                    if x != y
                }
                out.append(f"{table.name} {key}: summary≠recount {diff}")
    name = session.get_bind().dialect.name
    month = held_month(name, "m.held_at")
    for table in SESSION_TABLES:
        keys = [c.name for c in table.primary_key.columns]
        exprs = {"org_id": "c.org_id", "county_id": "COALESCE(c.county_id, 0)", "month": month}
        sel = ", ".join(exprs.get(k, f"c.{k}") for k in keys)
        recount = session.execute(
            text(
                f"SELECT {sel}, count(*), sum(CASE WHEN m.online THEN 1 ELSE 0 END) "  # noqa: S608 — names only
                f'FROM "case" c JOIN mediationsession m ON m.case_id = c.id GROUP BY {sel}'
            )
        )
        want = {tuple(r[:-2]): (int(r[-2]), int(r[-1])) for r in recount}
        have = _table_rows(session, table)
        for key in sorted(set(have) | set(want), key=repr):
            if have.get(key) != want.get(key):
                out.append(f"{table.name} {key}: summary {have.get(key)} ≠ recount {want.get(key)}")
    for table in FOLLOWUP_TABLES:
        keys = [c.name for c in table.primary_key.columns]
        exprs = {"county_id": "COALESCE(c.county_id, 0)", "due": "f.due"}
        sel = ", ".join(exprs.get(k, f"c.{k}") for k in keys)
        recount = session.execute(
            text(
                f'SELECT {sel}, count(*) FROM "case" c JOIN followup f ON f.case_id = c.id '  # noqa: S608 — names only
                f"WHERE c.status = 'succeeded' AND f.done_at IS NULL AND f.due IS NOT NULL GROUP BY {sel}"
            )
        )
        want_f = {tuple(str(v) for v in r[:-1]): (int(r[-1]),) for r in recount}  # SQLite: dates as text
        have_f = {tuple(str(v) for v in k): v for k, v in _table_rows(session, table).items()}
        for key in sorted(set(have_f) | set(want_f), key=repr):
            if have_f.get(key) != want_f.get(key):
                out.append(f"{table.name} {key}: summary {have_f.get(key)} ≠ recount {want_f.get(key)}")
    paid_have = {
        (r.org_id, r.month): [r.county_id, r.paid_claims, r.paid_fen]
        for r in session.execute(select(stats_paid_org))
        if r.paid_claims or r.paid_fen
    }
    paid_want = {k: v for k, v in paid_recount(session)[0].items() if v[1] or v[2]}
    for key in sorted(set(paid_have) | set(paid_want), key=repr):
        if paid_have.get(key) != paid_want.get(key):
            out.append(f"stats_paid_org {key}: summary {paid_have.get(key)} ≠ recount {paid_want.get(key)}")
    return out
