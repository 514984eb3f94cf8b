"""Throwaway databases per test, on SQLite and (when TEST_DATABASE_URL is set) PostgreSQL."""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

os.environ.setdefault("AUTH_COOKIE_KEY", "test-cookie-key-" + "x" * 40)
os.environ.setdefault("DATA_KEY", "test-data-key-" + "y" * 40)
os.environ.setdefault("MEDIATION_BCRYPT_ROUNDS", "4")
os.environ.setdefault("MEDIATION_SECRETS_FILE", "/nonexistent/secrets.toml")

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

import models  # noqa: F401
from services.admin.hooks import register_admin_extensions
from services.core.bootstrap import ensure_reference_data
from services.core.config import get_settings
from services.core.db import Database, make_database
from services.core.migrate import upgrade
from services.stats.scope import clear_cache as clear_stats_cache

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
register_admin_extensions()  # as app.py and manage.py do where they start
ENGINES = ["sqlite", "pg"] if PG_URL else ["sqlite"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--at",
        metavar="MOMENT",
        default="",
        help="run as if it were this moment (ISO 8601, e.g. 2026-12-31T17:00:00+00:00, the first hours "
        "of a year in China); time-machine moves Python's clocks, not the database server's",
    )


def pytest_configure(config: pytest.Config) -> None:
    """`--at`: tests that build data from 'now' and read it back by day, month or year meet the boundaries."""
    at = config.getoption("--at", default="")
    if at:
        import time_machine  # a test-only dependency (requirements-dev.txt)

        time_machine.travel(datetime.fromisoformat(at), tick=True).start()


@pytest.fixture(autouse=True)
def _keep_main_module() -> Iterator[None]:
    """AppTest installs its script as `__main__` and leaves it there; a process spawned later by the same worker
    (the two-instance races) would run that script again while starting. Each test gets pytest's own back."""
    main = sys.modules.get("__main__")
    yield
    if main is not None:
        sys.modules["__main__"] = main


@pytest.fixture(autouse=True)
def _fresh_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Settings and the statistics cache start empty: a truncated PostgreSQL test database restarts its ids, so
    the cache's data version (the newest audit and case ids) could match a previous test's figures."""
    get_settings.cache_clear()
    clear_stats_cache()
    yield
    get_settings.cache_clear()
    clear_stats_cache()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tmpl") / "template.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    db = make_database(url)
    with db.write() as s:
        ensure_reference_data(s)
    db.dispose()
    return path


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A database of this test process's own on the PostgreSQL server, migrated once."""
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL not set")
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"mh_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_pg(db: Database) -> None:
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with db.write_engine.begin() as c:
        c.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=ENGINES)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated database holding the reference data, on each engine."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        database = make_database(f"sqlite:///{path}")
    else:
        database = make_database(request.getfixturevalue("pg_url"))
        _truncate_pg(database)
        with database.write() as s:
            ensure_reference_data(s)
    yield database
    database.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path, sqlite_template: Path) -> Iterator[Database]:
    """SQLite only, for tests about SQLite itself."""
    path = tmp_path / "test.db"
    shutil.copy(sqlite_template, path)
    database = make_database(f"sqlite:///{path}")
    yield database
    database.dispose()
