"""Province scale, the page (issue 21 item 6): the dashboard page itself, run by Streamlit's AppTest through app.py's
frame, against its own SQL and an almost empty page through the same frame, and its memory.

Signed in as a coordinator of the root organisation (the whole area; created once as `bench_coordinator` when the
database has none) through a real server-side session, as tests/pages/conftest.py does. Every timed run is a new
AppTest (a browser opening the page) after one warm-up, with every statistics cache cleared before it:
`page_ms` the dashboard page, `empty_page_ms` the account page (one profile read and a form, through the same
sign-in, navigation and menu), `page_sql_ms` what the dashboard asks the database for the page's first view
(bench/province.py's dashboard run, with the page's default filters and this actor), `page_supervision_ms` the
page's other SQL (the 督办 figures, outside page_sql_ms and so outside the verdict). `page_peak_kb` is the peak
of Python allocations (tracemalloc) during one dashboard run, `page_rss_kb` the growth of the process's peak RSS
during it. `page_ok`: page_ms ≤ 1.5 × (page_sql_ms + empty_page_ms), and page_peak_kb ≤ 1.5 × the same figure at
10,000 cases when that size was measured first.
"""

from __future__ import annotations

import os
import statistics
import time
import tracemalloc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import province
import streamlit as st
from sqlmodel import col, select
from streamlit.testing.v1 import AppTest

from models import Organisation, Role, User, UserRole
from pages.ui.stats_view import preset_period
from services.access.accounts import create_user
from services.access.signin import check_session, session_key, start_session
from services.core import clock
from services.core.config import get_settings
from services.core.db import Database
from services.stats import dashboard as stats
from services.stats.sql import Filters
from services.supervision import figures

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
DASHBOARD = "pages/staff/dashboard.py"
EMPTY = "pages/staff/account.py"
BENCH_USER = "bench_coordinator"
BASE_SIZE = "10000"  # the memory verdict compares with the page at this size
LIMIT = 1.5
ENV = {"MEDIATION_SECRETS_FILE": "/nonexistent/secrets.toml"}


def area_coordinator(db: Database) -> User:
    """A coordinator whose organisation is the root of the tree (created, without a usable password, if none)."""
    with db.write() as s:
        root = s.exec(
            select(Organisation).where(col(Organisation.parent_id).is_(None)).order_by(col(Organisation.id))
        ).first()
        assert root is not None, "the database has no organisation tree"
        user = s.exec(
            select(User)
            .join(UserRole, col(UserRole.user_id) == col(User.id))
            .join(Role, col(Role.id) == col(UserRole.role_id))
            .where(col(User.org_id) == root.id, col(Role.code) == "coordinator")
            .order_by(col(User.id))
        ).first()
        if user is None:
            user = create_user(
                s,
                username=BENCH_USER,
                display_name=BENCH_USER,
                password="",
                password_hash="!",  # no password opens it: the bench signs it in through a session row
                org_code=root.code,
                roles=["coordinator"],
            )
        s.expunge(user)
        return user


def signed_in(db: Database, user: User) -> str:
    """A live server-side session of `user` (its key, as the sign-in cookie would carry it)."""
    key = session_key(user.username, time.time() + 86400)
    with db.write() as s:
        start_session(s, user_id=user.id or 0, key=key, client="bench")
    return key


@contextmanager
def app_settings(url: str) -> Iterator[None]:
    """The app's settings read this database (DATABASE_URL), with fresh engine and settings caches on both sides."""
    saved = {k: os.environ.get(k) for k in ("DATABASE_URL", *ENV)}
    os.environ.update({"DATABASE_URL": url, **ENV})
    get_settings.cache_clear()
    st.cache_resource.clear()
    try:
        yield
    finally:
        st.cache_resource.clear()  # also stops the per-process dispatcher the navigation started
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        get_settings.cache_clear()


def browser(key: str) -> AppTest:
    """A new browser session signed in with `key`, after its first view (AppTest opens the default page first)."""
    at = AppTest.from_file(APP, default_timeout=600)
    at.session_state["ui.lang"] = "zh-CN"
    at.session_state["auth.session_key"] = key
    return _checked(at.run(), "app.py")


def _checked(at: AppTest, page: str) -> AppTest:
    if at.exception:
        raise RuntimeError(f"{page}: {at.exception[0].message}")
    return at


def _median_ms(page: str, key: str, reps: int) -> float:
    """The median time to open `page` in a new browser session, the statistics caches cleared before each."""
    times = []
    for _ in range(reps):
        at = browser(key)
        stats.clear_cache()
        started = time.perf_counter()
        _checked(at.switch_page(page).run(), page)
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 2)


def _peak_rss_kb() -> int:
    status = Path("/proc/self/status").read_text().splitlines()
    return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


def _memory(page: str, key: str) -> tuple[int, int]:
    """The peak of Python allocations while `page` opens (KB, above what was held before), and the growth of the
    process's peak RSS meanwhile."""
    at = browser(key)
    stats.clear_cache()
    with suppress(OSError):  # reset the peak RSS to the current RSS (Linux 4.0+); else growth past the old peak
        Path("/proc/self/clear_refs").write_text("5")
    rss = _peak_rss_kb()
    tracemalloc.start()
    held = tracemalloc.get_traced_memory()[0]
    try:
        _checked(at.switch_page(page).run(), page)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return (peak - held) // 1024, _peak_rss_kb() - rss


def measure(db: Database, reps: int = 3, earlier: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """The page figures of issue 21 item 6 for `db`; `earlier`: the figures of sizes measured before (run.py's)."""
    user = area_coordinator(db)
    key = signed_in(db, user)
    with app_settings(db.url):
        with db.read() as s:
            actor, _stale = check_session(s, get_settings(), key=key)
        assert actor is not None, "the bench session is not live"
        warm = browser(key)  # warm-up: imports, the engine, the chart templates
        if not _checked(warm.switch_page(DASHBOARD).run(), DASHBOARD).get("vega_lite_chart"):
            raise RuntimeError(f"{DASHBOARD} showed no charts: {[e.value for e in warm.error]}")
        _checked(warm.switch_page(EMPTY).run(), EMPTY)
        page_ms = _median_ms(DASHBOARD, key, reps)
        empty_ms = _median_ms(EMPTY, key, reps)
        peak_kb, rss_kb = _memory(DASHBOARD, key)
    period = preset_period("this_year", clock.today())  # the page's first view
    sql_ms = province._median_ms(province._board(db, actor, Filters(period)), reps)

    def supervision() -> None:  # the page's other SQL: the 督办 figures (pages/ui/supervision_figures.py)
        with db.read() as s:
            figures.supervision_figures(s, actor=actor, first=period.start, last=period.end)

    supervision_ms = province._median_ms(supervision, reps)
    out: dict[str, Any] = {
        "page_ms": page_ms,
        "empty_page_ms": empty_ms,
        "page_sql_ms": sql_ms,
        "page_supervision_ms": supervision_ms,
        "page_peak_kb": peak_kb,
        "page_rss_kb": rss_kb,
    }
    ok = page_ms <= LIMIT * (sql_ms + empty_ms)
    base = (earlier or {}).get(BASE_SIZE, {}).get("page_peak_kb")
    if base:
        out["page_mem_ratio"] = round(peak_kb / base, 2)
        ok = ok and peak_kb <= LIMIT * base
    out["page_ok"] = ok
    return out
