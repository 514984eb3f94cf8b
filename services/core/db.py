"""Engines and units of work: SQLite (WAL, safe pragmas, BEGIN IMMEDIATE writers) or PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, create_engine

from services.core.errors import StorageProblem


def _render_sqlite_from_hints() -> None:
    """SQLAlchemy's SQLite compiler drops FROM hints, but SQLite reads `INDEXED BY` right there: a statement
    that names its index with `.with_hint(table, "INDEXED BY ix", "sqlite")` gets it (PostgreSQL ignores it)."""

    def hint(self: SQLiteCompiler, table: Any, text: str | None) -> str | None:
        return text

    setattr(SQLiteCompiler, "get_from_hint_text", hint)  # noqa: B010 — a plain attribute assignment mypy refuses


_render_sqlite_from_hints()

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA busy_timeout=8000",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=FULL",
    "PRAGMA secure_delete=ON",
    "PRAGMA cache_size=-65536",
    "PRAGMA temp_store=MEMORY",
)
# Driver errors that mean "the storage cannot take writes now" (shown as error.storage, never a traceback):
# SQLite's messages, and PostgreSQL's SQLSTATEs disk_full, out_of_memory, io_error, read_only_sql_transaction.
SQLITE_STORAGE = (
    "database or disk is full",
    "readonly database",
    "disk i/o error",
    "database is locked",
    "unable to open database file",
    "attempt to write a read",
)
PG_STORAGE = {"53100", "53200", "58030", "25006"}


def upsert_into(conn: Session | Connection, table: Any) -> Any:
    """An INSERT into `table` in the dialect of the connected engine, so ON CONFLICT … may follow (PostgreSQL or
    SQLite, the two engines the app runs on)."""
    name = conn.get_bind().dialect.name if isinstance(conn, Session) else conn.dialect.name
    return (postgresql.insert if name == "postgresql" else sqlite.insert)(table)


def is_storage_error(err: BaseException) -> bool:
    """Whether a driver error is a storage failure (full, read-only, I/O, locked too long) rather than a bug."""
    if not isinstance(err, DBAPIError):
        return False
    if getattr(err.orig, "sqlstate", None) in PG_STORAGE:
        return True
    return any(s in str(err.orig).lower() for s in SQLITE_STORAGE)


def _sqlite_engine(url: str, *, begin: str) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 8}, hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        for pragma in SQLITE_PRAGMAS:
            cur.execute(pragma)
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)

    return engine


class FifoWriterLock:
    """Writers of one SQLite file in this process take turns in arrival order (re-entrant per thread).

    SQLite allows one writer at a time; left to its busy handler, 20 saturating threads starve some
    writers past the busy timeout ("database is locked"). threading.Lock is not fair either."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._next = 0
        self._serving = 0
        self._owner: int | None = None
        self._depth = 0

    def __enter__(self) -> None:
        me = threading.get_ident()
        with self._cond:
            if self._owner == me:
                self._depth += 1
                return
            ticket = self._next
            self._next += 1
            try:
                self._cond.wait_for(lambda: self._serving == ticket)
            except BaseException:
                self._next_turn_if(ticket)
                raise
            self._owner, self._depth = me, 1

    def __exit__(self, *exc: object) -> None:
        with self._cond:
            self._depth -= 1
            if self._depth == 0:
                self._owner = None
                self._serving += 1
                self._cond.notify_all()

    def _next_turn_if(self, ticket: int) -> None:
        # interrupted while waiting: a later turn must not wait for this one forever
        if self._serving == ticket:
            self._serving += 1
        self._cond.notify_all()


@dataclass
class Database:
    """A read engine and a write engine over one database (the same engine on PostgreSQL)."""

    url: str
    read_engine: Engine
    write_engine: Engine
    writer_lock: FifoWriterLock | None = field(default=None, repr=False)

    @property
    def dialect(self) -> str:
        return self.read_engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; closing it discards anything written but keeps loaded objects usable. Its
        `info["reader"]` lets a reader remember what it read once (services/stats/scope.py)."""
        with Session(self.read_engine, expire_on_commit=False, info={"reader": True}) as session:
            try:
                yield session
            except DBAPIError as err:
                if is_storage_error(err):
                    raise StorageProblem() from err
                raise

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A short write transaction (BEGIN IMMEDIATE on SQLite, writers queued in order), committed on success."""
        if self.writer_lock is None:
            yield from self._write()
        else:
            with self.writer_lock:
                yield from self._write()

    def _write(self) -> Iterator[Session]:
        with Session(self.write_engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except DBAPIError as err:
                if not is_storage_error(err):
                    session.rollback()
                    raise
                try:  # the driver may already have rolled back (SQLITE_FULL); nothing of this unit stays
                    session.rollback()
                except DBAPIError:
                    session.close()
                raise StorageProblem() from err
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.read_engine.dispose()
        if self.write_engine is not self.read_engine:
            self.write_engine.dispose()


def make_database(url: str) -> Database:
    """Open the database named by `url`, creating the SQLite folder when needed."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        return Database(
            url, _sqlite_engine(url, begin="BEGIN"), _sqlite_engine(url, begin="BEGIN IMMEDIATE"), FifoWriterLock()
        )
    # No JIT: PostgreSQL compiles any statement its planner costs above jit_above_cost, and for the workbench's
    # tabs at a million cases that compiling was 0.9 s of a 1.3 s page; short statements never repay it.
    engine = create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=10,
        hide_parameters=True,
        connect_args={"options": "-c jit=off"},
    )
    return Database(url, engine, engine)
