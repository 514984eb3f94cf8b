"""AppTest helpers: the real app.py against the test database, signed in through a real session row."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from models import User
from services.access.signin import session_key, start_session
from services.core.db import Database

ROOT = Path(__file__).resolve().parents[2]
AppFactory = Callable[..., AppTest]


@pytest.fixture
def make_app(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppFactory]:
    """`make_app(user=None, lang="zh-CN", query=None)` → an AppTest of app.py, not yet run."""
    monkeypatch.setenv("DATABASE_URL", db.url)
    st.cache_resource.clear()
    st.cache_data.clear()

    def factory(user: User | None = None, lang: str = "zh-CN", query: dict[str, str] | None = None) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.session_state["ui.lang"] = lang
        if user is not None:
            key = session_key(user.username, 1.0e9 + (user.id or 0))
            with db.write() as s:
                start_session(s, user_id=user.id or 0, key=key, client="apptest")
            at.session_state["auth.session_key"] = key
        for k, v in (query or {}).items():
            at.query_params[k] = v
        return at

    yield factory
    st.cache_resource.clear()
    st.cache_data.clear()


def page_text(at: AppTest) -> str:
    """Everything a person would read on the page (markdown, text, captions, alerts, metrics)."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "text", "caption", "info", "warning", "error", "success"):
        parts += [str(getattr(e, "value", "")) for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    return "\n".join(parts)
