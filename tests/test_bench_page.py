"""bench/page.py end to end at a tiny size: the dashboard page and the account page through app.py, signed in as a
coordinator of the whole area, with the dashboard's SQL and the memory figures (issue 21 item 6)."""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path

import pytest

from services.core.db import make_database
from services.demo import seed as demo
from services.stats import dashboard as stats

BENCH = Path(__file__).resolve().parents[1] / "bench"


def test_measure_dashboard_page(tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(BENCH))  # bench/page.py imports its sibling province.py, as run.py does
    page = importlib.import_module("page")
    monkeypatch.setattr(demo, "LOGINS_FILE", tmp_path / "logins.txt")
    path = tmp_path / "bench.db"
    shutil.copy(sqlite_template, path)
    db = make_database(f"sqlite:///{path}")
    demo.seed_demo(db, cases=200, seed=1)
    try:
        out = page.measure(db, 1, earlier={page.BASE_SIZE: {"page_peak_kb": 10**9}})
        again = page.area_coordinator(db)  # the second size's run finds the same coordinator
    finally:
        stats.clear_cache()
        db.dispose()
    assert out["page_ms"] > 0 and out["empty_page_ms"] > 0 and out["page_sql_ms"] > 0
    assert out["page_peak_kb"] > 0 and out["page_mem_ratio"] < 1
    assert isinstance(out["page_ok"], bool)
    assert again.username == page.BENCH_USER
