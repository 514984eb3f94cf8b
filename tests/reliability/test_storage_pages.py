"""DB-4/DB-5 as a person sees them: the public intake form under a full disk shows the translated storage
message (no traceback), keeps everything typed, and files the case once the storage is back."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlmodel import select

import services.core.db as dbmod
from models import Case
from pages.ui.db import _database
from tests.factories import make_tree
from tests.pages.conftest import page_text
from tests.reliability.helpers import sqlite_path

INTAKE = "pages/public/intake.py"
MESSAGE = "存储出现问题，本次内容未保存。请稍后再试或联系管理员。"
TYPED = {
    "intake.applicant_name": "王小明",
    "intake.applicant_phone": "13912345678",
    "intake.description": "邻居家排水沟堵塞，雨水流进我家院子。" * 250,
}


@pytest.fixture
def db(sqlite_db, monkeypatch):
    """SQLite only: the disk-full fault is SQLite's max_page_count."""
    monkeypatch.setenv("MEDIATION_INTAKE_MIN_SECONDS", "0")
    with sqlite_db.write() as s:
        make_tree(s)
    return sqlite_db


def _fill(at):
    for key, value in TYPED.items():
        (at.text_area if key == "intake.description" else at.text_input)(key=key).input(value)
    at.checkbox(key="intake.consent").check()


@pytest.mark.parametrize("fault", ["max_page_count", "query_only"])
def test_intake_shows_storage_problem_and_keeps_input_then_files(db, make_app, monkeypatch, fault):
    path = sqlite_path(db)
    db.dispose()
    with sqlite3.connect(path) as c:
        c.execute("VACUUM")
        pages = c.execute("PRAGMA page_count").fetchone()[0]
    pragma = f"PRAGMA max_page_count={pages + 1}" if fault == "max_page_count" else "PRAGMA query_only=ON"
    at = make_app(query={"org": "V1"})
    at.run()
    at.switch_page(INTAKE).run()
    _fill(at)
    app_db = _database(db.url)  # the app's own engines (cached for the process)
    with monkeypatch.context() as m:
        m.setattr(dbmod, "SQLITE_PRAGMAS", (*dbmod.SQLITE_PRAGMAS, pragma))
        app_db.dispose()  # the running app's pooled connections reconnect, now onto the faulty storage
        at.button(key="intake.submit").click().run()
        assert not at.exception
        text = page_text(at)
        assert MESSAGE in [e.value for e in at.error] and "Traceback" not in text and "sqlite" not in text.lower()
        for key, value in TYPED.items():  # nothing typed is lost
            assert (at.text_area if key == "intake.description" else at.text_input)(key=key).value == value
        assert at.checkbox(key="intake.consent").value is True
    app_db.dispose()  # storage is back
    at.button(key="intake.submit").click().run()
    assert not at.exception and "申请已提交。" in page_text(at)
    with db.read() as s:
        assert len(s.exec(select(Case)).all()) == 1


def test_start_shows_storage_problem_when_database_cannot_open(tmp_path, monkeypatch):
    """A database on a missing volume at start-up: the translated storage message, not a generic error page."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    (tmp_path / "volume").write_text("not a directory: the volume is not mounted")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'volume' / 'app.db'}")
    st.cache_resource.clear()
    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert MESSAGE in page_text(at)
    st.cache_resource.clear()
