"""Migrations on a database that already holds data: a new built-in permission reaches the built-in roles."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from models import Case
from services.core.db import make_database
from services.core.migrate import alembic_config, upgrade
from tests.conftest import PG_URL
from tests.factories import make_case, make_tree


def _granted(url: str) -> set[str]:
    engine = create_engine(url)
    with engine.connect() as c:
        rows = c.execute(
            text(
                "SELECT r.code FROM role r JOIN rolepermission p ON p.role_id = r.id "
                "WHERE p.permission = 'register.use'"
            )
        ).all()
    engine.dispose()
    return {r[0] for r in rows}


def _seed_roles_at_0011(url: str) -> None:
    command.upgrade(alembic_config(url), "0011_party_links")
    engine = create_engine(url)
    with engine.begin() as c:
        for code in ("mediator", "police", "coordinator"):
            c.execute(
                text("INSERT INTO role (code, name_zh, name_en, builtin) VALUES (:c, :c, :c, :b)"),
                {"c": code, "b": True},
            )
        c.execute(
            text("INSERT INTO role (code, name_zh, name_en, builtin) VALUES ('mediator2', 'x', 'x', :b)"), {"b": False}
        )
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.db'}"
        return
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL not set")
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"mh_mig_{uuid.uuid4().hex[:8]}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_URL).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_grants_register_use_to_existing_builtin_roles(empty_url: str) -> None:
    _seed_roles_at_0011(empty_url)
    upgrade(empty_url)
    assert _granted(empty_url) == {"mediator", "coordinator"}
    upgrade(empty_url)  # at head: nothing runs twice
    assert _granted(empty_url) == {"mediator", "coordinator"}


def test_upgrade_moves_cases_received_at_night_on_the_1st_into_the_local_month(empty_url: str) -> None:
    """0016: received_month becomes the month in China; only cases of the last 8 UTC hours of a month move."""
    command.upgrade(alembic_config(empty_url), "0015_privacy")
    db = make_database(empty_url)
    night, evening = datetime(2026, 12, 31, 17, 30, tzinfo=UTC), datetime(2026, 12, 31, 15, 30, tzinfo=UTC)
    with db.write() as s:
        tree = make_tree(s)
        ids = [make_case(s, tree["v1"], received_at=at).id for at in (night, evening)]
    with db.write() as s:  # as the code before 0016 stored them: the UTC month
        for case_id in ids:
            s.get(Case, case_id).received_month = 202612
    db.dispose()
    upgrade(empty_url)
    db = make_database(empty_url)
    with db.read() as s:
        assert [s.get(Case, i).received_month for i in ids] == [202701, 202612]
    db.dispose()
