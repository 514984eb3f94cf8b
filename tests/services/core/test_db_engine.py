"""The database engines' own settings: what every connection the app opens runs with."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from services.core.db import Database


def test_postgresql_connections_run_without_jit(db: Database) -> None:
    """PostgreSQL compiles a statement whose planned cost passes jit_above_cost; for the workbench's tabs at a
    million cases that was 0.9 s of a 1.3 s page, so the app's connections switch it off."""
    if db.dialect != "postgresql":
        pytest.skip("PostgreSQL only")
    with db.read() as s:
        assert s.execute(text("SHOW jit")).scalar() == "off"
    with db.write() as s:
        assert s.execute(text("SHOW jit")).scalar() == "off"
