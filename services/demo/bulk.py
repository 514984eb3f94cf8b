"""Writing the demo rows fast on both engines: a precompiled SQLite executemany, PostgreSQL COPY, a forked producer.

Primary keys come from running counters (services.demo.tables.IdCounters), so child rows never need RETURNING;
on PostgreSQL the sequences are moved past them afterwards.
"""

from __future__ import annotations

import json
import multiprocessing
import operator
import queue
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import JSON, Boolean, Column, func, insert, text
from sqlalchemy import select as sa_select
from sqlmodel.sql.sqltypes import UTCDateTime

from services.core.db import Database
from services.demo.tables import TABLES, Row, Rows

T = TypeVar("T")
Encoded = dict[str, Any]
USE_COPY = True  # PostgreSQL with psycopg 3: COPY … FROM STDIN (False: Core executemany, as on other drivers)
# COPY rows are converted to tuples in the writer, while the server takes the previous ones, not in the generator:
# generating is the slower half, so the writer's idle time does that share of the work.
COPY_IN_WRITER = True


def write_rows(db: Database, *, tables: Rows) -> None:
    """One transaction: Core executemany per table, in the order given (parents first)."""
    with db.write_engine.begin() as c:
        for name, rows in tables.items():
            if rows:
                c.execute(insert(TABLES[name]), rows)


@dataclass
class _Plan:
    """A compiled Core `insert(table)` for one set of columns, with each column's bind processor."""

    sql: str
    keys: list[str]
    processors: list[Any]
    constants: dict[str, Any]

    def row(self, r: Row) -> tuple[Any, ...]:
        """The row's values in the statement's order, through the bind processors."""
        c = self.constants
        return tuple(
            [
                (p(v) if p is not None else v)
                for p, v in zip(self.processors, [r[k] if k in r else c[k] for k in self.keys], strict=True)
            ]
        )


@dataclass
class _CopyPlan:
    """`COPY table (columns) FROM STDIN` for one set of row keys: every column a Core insert would send (the row's
    keys, then the columns with a Python-side default), values converted the way the Core insert's bind processors
    would for psycopg (see `_copy_processor`)."""

    sql: str
    get: Callable[[Row], tuple[Any, ...]]  # the row's own keys, in order (operator.itemgetter)
    constants: tuple[Any, ...]  # the scalar defaults of the columns the rows leave out
    factories: tuple[Callable[[Any], Any], ...]  # then the callable defaults, called for each row as Core does
    convert: tuple[tuple[int, Callable[[Any], Any], bool], ...]  # (position, converter, also for None)

    def row(self, r: Row) -> tuple[Any, ...]:
        """The row's values in the COPY's column order."""
        v = [*self.get(r), *self.constants, *[f(None) for f in self.factories]]
        for i, conv, nulls in self.convert:
            x = v[i]
            if x is not None or nulls:
                v[i] = conv(x)
        return tuple(v)


def _utc(value: datetime) -> datetime:
    """UTCDateTime's bind processor, with the generator's own UTC datetimes passed as they are."""
    if value.tzinfo is UTC:
        return value
    if value.utcoffset() is None:
        raise ValueError("Datetime values must have timezone information")
    return value.astimezone(UTC)


def _copy_processor(column: Column[Any], dialect: Any) -> tuple[Callable[[Any], Any], bool] | None:
    """How a Python value of `column` becomes what psycopg's COPY writes, and whether None goes through it too:
    JSON as its text (None as JSON null unless the type says none_as_null, as the Core insert stores it), aware
    datetimes in UTC, booleans as bool, anything else with a bind processor through it; None: as it is."""
    kind = column.type
    if isinstance(kind, JSON):
        return json.dumps, not kind.none_as_null
    if isinstance(kind, UTCDateTime):
        return _utc, False
    if isinstance(kind, Boolean):
        return bool, False
    processor = kind.dialect_impl(dialect).bind_processor(dialect)
    return (processor, True) if processor is not None else None


class Encoder:
    """Rows → what the writer sends. On SQLite, done in the generator process (so the writer only runs the DBAPI
    executemany): the Core-compiled INSERT and positional tuples already passed through the columns' own bind
    processors. On PostgreSQL with psycopg 3: a `COPY … FROM STDIN` per table and the rows as tuples converted the
    way Core would, written with `write_row` (converted in the writer, see COPY_IN_WRITER). Elsewhere: the row
    dicts, written with Core `insert(table)`."""

    def __init__(self, dialect: Any) -> None:
        self.dialect = dialect
        self.sqlite = dialect.name == "sqlite"
        self.copy = USE_COPY and dialect.name == "postgresql" and dialect.driver == "psycopg"
        self.plans: dict[tuple[str, tuple[str, ...]], _Plan] = {}
        self.copy_plans: dict[tuple[str, tuple[str, ...]], _CopyPlan] = {}

    def plan(self, name: str, keys: tuple[str, ...]) -> _Plan:
        """The compiled insert of `name` for rows with these keys (columns left out get their scalar default)."""
        plan = self.plans.get((name, keys))
        if plan is None:
            table = TABLES[name]
            constants = {
                c.key: cast(Any, c.default).arg
                for c in table.columns
                if c.key not in keys and c.default is not None and c.default.is_scalar
            }
            compiled = insert(table).compile(dialect=self.dialect, column_keys=[*keys, *constants])
            order = list(compiled.positiontup or [])
            procs = [table.c[k].type.bind_processor(self.dialect) for k in order]
            plan = self.plans[(name, keys)] = _Plan(str(compiled), order, procs, constants)
        return plan

    def copy_plan(self, name: str, keys: tuple[str, ...]) -> _CopyPlan:
        """The COPY of `name` for rows with these keys (columns left out get their Python-side default)."""
        plan = self.copy_plans.get((name, keys))
        if plan is None:
            table = TABLES[name]
            left_out = [c for c in table.columns if c.key not in keys and c.default is not None]
            constants = [c for c in left_out if c.default is not None and c.default.is_scalar]
            factories = [c for c in left_out if c.default is not None and c.default.is_callable]
            columns = [*(table.c[k] for k in keys), *constants, *factories]
            quote = self.dialect.identifier_preparer.quote
            convert = []
            for i, column in enumerate(columns):
                how = _copy_processor(column, self.dialect)
                if how is not None:
                    convert.append((i, *how))
            plan = self.copy_plans[(name, keys)] = _CopyPlan(
                sql=f"COPY {quote(table.name)} ({', '.join(quote(c.name) for c in columns)}) FROM STDIN",
                get=cast(Callable[[Row], tuple[Any, ...]], operator.itemgetter(*keys)),
                constants=tuple(cast(Any, c.default).arg for c in constants),
                factories=tuple(cast(Any, c.default).arg for c in factories),
                convert=tuple(convert),
            )
        return plan

    def encode(self, out: Rows) -> Encoded:
        """One chunk of rows per table, ready for `write`."""
        encoded: Encoded = {}
        for name, rows in out.items():
            if not rows:
                continue
            if self.sqlite:
                plan = self.plan(name, tuple(rows[0]))
                encoded[name] = (plan.sql, [plan.row(r) for r in rows])
            elif self.copy and not COPY_IN_WRITER:
                cplan = self.copy_plan(name, tuple(rows[0]))
                encoded[name] = (cplan.sql, [cplan.row(r) for r in rows])
            else:
                encoded[name] = rows
        return encoded

    def copy_items(self, chunk: Encoded) -> list[tuple[str, Iterable[tuple[Any, ...]]]]:
        """(COPY statement, row tuples) per table of an encoded chunk."""
        if not COPY_IN_WRITER:
            return list(chunk.values())
        items: list[tuple[str, Iterable[tuple[Any, ...]]]] = []
        for name, rows in chunk.items():
            plan = self.copy_plan(name, tuple(rows[0]))
            items.append((plan.sql, map(plan.row, rows)))
        return items

    def write(self, db: Database, chunk: Encoded) -> None:
        """One short transaction per chunk."""
        with db.write_engine.begin() as c:
            if self.copy:
                copy_rows(c, self.copy_items(chunk))
                return
            for name, item in chunk.items():
                if self.sqlite:
                    c.exec_driver_sql(item[0], item[1])
                else:
                    c.execute(insert(TABLES[name]), item)


def copy_rows(conn: Any, items: Any) -> None:
    """Each (COPY statement, row tuples) through psycopg's `cursor.copy` + `write_row`, inside the transaction the
    SQLAlchemy connection `conn` has begun."""
    with conn.connection.driver_connection.cursor() as cur:
        for sql, rows in items:
            with cur.copy(sql) as copy:
                write = copy.write_row
                for r in rows:
                    write(r)


# The 0006 triggers that copy the newest agreement's, confirmation's and follow-up's facts onto the case: an UPDATE
# of the case per inserted row. The generator writes those facts into the case rows itself (outcomes.agreement).
DERIVATION_TRIGGERS = (
    ("agreement", "agreement_stats"),
    ("judicialconfirmation", "judicialconfirmation_stats"),
    ("followup", "followup_stats"),
)


@contextmanager
def derivations_suspended(db: Database, enc: Encoder) -> Iterator[None]:
    """While a COPY load runs on PostgreSQL, the per-row triggers of DERIVATION_TRIGGERS are disabled (a case
    UPDATE for every agreement, confirmation and follow-up, about as dear as the load itself); the case rows
    carry those facts already. Needs the tables' owner, as the seed's summary-trigger DDL does; only while nothing
    else writes. Elsewhere (SQLite, executemany) the triggers run as always."""
    if not enc.copy:
        yield
        return
    _set_triggers(db, "DISABLE")
    try:
        yield
    finally:
        _set_triggers(db, "ENABLE")


_TRIGGER_DDL = {  # DERIVATION_TRIGGERS' statements, spelled out: no SQL is built from names
    "DISABLE": (
        "ALTER TABLE agreement DISABLE TRIGGER agreement_stats",
        "ALTER TABLE judicialconfirmation DISABLE TRIGGER judicialconfirmation_stats",
        "ALTER TABLE followup DISABLE TRIGGER followup_stats",
    ),
    "ENABLE": (
        "ALTER TABLE agreement ENABLE TRIGGER agreement_stats",
        "ALTER TABLE judicialconfirmation ENABLE TRIGGER judicialconfirmation_stats",
        "ALTER TABLE followup ENABLE TRIGGER followup_stats",
    ),
}


def _set_triggers(db: Database, verb: str) -> None:
    with db.write_engine.begin() as c:
        for statement in _TRIGGER_DDL[verb]:
            c.execute(text(statement))


def can_fork() -> bool:
    """Whether this platform starts processes by forking (Linux does; macOS and Windows spawn)."""
    return "fork" in multiprocessing.get_all_start_methods()


def forked(
    produce: Callable[[], Iterator[T]], final_state: Callable[[], Any], restore: Callable[[Any], None]
) -> Iterator[T]:
    """Run `produce` in a forked child so producing item k+1 overlaps consuming item k (2 cores → ~1.6×).

    When the child is done, `restore` receives what `final_state` returned there.
    """
    ctx = multiprocessing.get_context("fork")
    q: Any = ctx.Queue(maxsize=2)
    proc = ctx.Process(target=_child, args=(produce, final_state, q), daemon=True)
    proc.start()
    try:
        while True:
            try:
                kind, payload = q.get(timeout=5)
            except queue.Empty:
                if not proc.is_alive():
                    raise RuntimeError("the demo data generator stopped unexpectedly") from None
                continue
            if kind == "chunk":
                yield payload
            elif kind == "done":
                restore(payload)
                return
            else:
                raise RuntimeError(f"the demo data generator failed:\n{payload}")
    finally:
        if proc.is_alive() and q.empty():
            proc.join(timeout=10)
        if proc.is_alive():
            proc.terminate()
        proc.join()


def _child(produce: Callable[[], Iterator[Any]], final_state: Callable[[], Any], q: Any) -> None:
    try:
        for item in produce():
            q.put(("chunk", item))
        q.put(("done", final_state()))
    except BaseException:  # reported to the parent, which raises it
        q.put(("error", traceback.format_exc()))


def reset_sequences(db: Database) -> None:
    """After explicit-id inserts, move each PostgreSQL sequence past the highest id."""
    with db.write_engine.begin() as c:
        for name, table in TABLES.items():
            top = func.max(table.c.id)
            sequence = func.pg_get_serial_sequence(f'"{name}"', "id")
            c.execute(sa_select(func.setval(sequence, top)).having(top.is_not(None)))
