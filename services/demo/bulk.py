"""Writing the demo rows fast on both engines: Core executemany, a precompiled SQLite path, a forked producer.

Primary keys come from running counters (services.demo.tables.IdCounters), so child rows never need RETURNING;
on PostgreSQL the sequences are moved past them afterwards.
"""

from __future__ import annotations

import multiprocessing
import queue
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import func, insert
from sqlalchemy import select as sa_select

from services.core.db import Database
from services.demo.tables import TABLES, Row, Rows

T = TypeVar("T")
Encoded = dict[str, Any]


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


class Encoder:
    """Rows → what the writer sends. On SQLite: the Core-compiled INSERT and positional tuples already passed
    through the columns' own bind processors (done in the generator process, so the writer only runs the DBAPI
    executemany). On PostgreSQL: the row dicts, written with Core `insert(table)` executemany."""

    def __init__(self, dialect: Any) -> None:
        self.dialect = dialect
        self.sqlite = dialect.name == "sqlite"
        self.plans: dict[tuple[str, tuple[str, ...]], _Plan] = {}

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

    def encode(self, out: Rows) -> Encoded:
        """One chunk of rows per table, ready for `write`."""
        if not self.sqlite:
            return {name: rows for name, rows in out.items() if rows}
        encoded: Encoded = {}
        for name, rows in out.items():
            if rows:
                plan = self.plan(name, tuple(rows[0]))
                encoded[name] = (plan.sql, [plan.row(r) for r in rows])
        return encoded

    def write(self, db: Database, chunk: Encoded) -> None:
        """One short transaction per chunk."""
        with db.write_engine.begin() as c:
            for name, item in chunk.items():
                if self.sqlite:
                    c.exec_driver_sql(item[0], item[1])
                else:
                    c.execute(insert(TABLES[name]), item)


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
