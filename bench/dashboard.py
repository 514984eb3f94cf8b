"""Dashboard benchmark: every statistics query next to its raw-SQL floor, the dashboard page (AppTest warm run)
next to an empty page, and the first page of a 3-filter case list next to its raw indexed query.

Usage:
    python bench/dashboard.py --n 100000            # builds (or reuses) a demo database of N cases
    python bench/dashboard.py --db /tmp/mh_1m.db    # benchmarks a copy of an existing demo database
    python bench/dashboard.py --import-rows 100000  # also times importing a ledger of that many rows

The floor of a query is the same SQL text with the same parameters run through plain `sqlite3` on the same
file (captured from the service's own statements), so "service / floor" is the cost of the service layer.
The page target (perf-baselines §7.1): warm page ≤ 1.5 × (Σ raw SQL of the page + empty page); the list
target: first page ≤ 2 × its raw queries. Statistics are cached per data version; the page figures are
uncached (the cache is cleared before each run) unless marked "cached". Nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
os.environ.setdefault("AUTH_COOKIE_KEY", secrets.token_urlsafe(40))
os.environ.setdefault("DATA_KEY", secrets.token_urlsafe(40))
os.environ.setdefault("MEDIATION_BCRYPT_ROUNDS", "4")

from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import col, func, select  # noqa: E402

from models import Case, Organisation, User  # noqa: E402
from services.core.config import get_settings  # noqa: E402
from services.core.db import SQLITE_PRAGMAS, make_database  # noqa: E402
from services.stats import dashboard as stats  # noqa: E402
from services.stats import drilldown  # noqa: E402
from services.stats.sql import Filters, Period, Slice, add_months, month_of  # noqa: E402

BENCH_USER = "bench_city"
# An empty page run the way every page of the app runs: page config, the signed-in session checked, a title.
EMPTY_PAGE = """
import streamlit as st
from pages.ui.auth import resolve_actor
from pages.ui.i18n import t
from services.core.config import get_settings
st.set_page_config(page_title=t("app.title"), layout="centered")
settings = get_settings()
assert resolve_actor(settings) is not None
st.title(t("stats.title"))
"""
Captured = list[tuple[str, Any]]


class Recorder:
    """Captures the SQL text and parameters of every statement any engine runs while `on`."""

    def __init__(self) -> None:
        self.on = False
        self.statements: Captured = []
        event.listen(Engine, "before_cursor_execute", self._record)

    def _record(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, many: bool) -> None:
        if self.on and not many and statement.lstrip().upper().startswith("SELECT"):
            self.statements.append((statement, parameters))

    def capture(self, fn: Callable[[], Any]) -> Captured:
        self.statements, self.on = [], True
        try:
            fn()
        finally:
            self.on = False
        return self.statements


def median_ms(fn: Callable[[], Any], reps: int) -> float:
    fn()
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def raw_conn(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in SQLITE_PRAGMAS:
        if "journal_mode" not in pragma:
            conn.execute(pragma)
    return conn


def floor_ms(conn: sqlite3.Connection, statements: Captured, reps: int) -> float:
    """Median time of running every captured statement through plain sqlite3 (one after another)."""

    def run() -> None:
        for sql, params in statements:
            conn.execute(sql, params).fetchall()

    return median_ms(run, reps)


def prepare(args: argparse.Namespace) -> Path:
    """The database to measure: a copy of --db, or a demo database of --n cases built with bench/build.py."""
    workdir = Path(args.dir)
    workdir.mkdir(parents=True, exist_ok=True)
    if args.db:
        source = Path(args.db)
        target = workdir / f"copy_{source.stem}.db"
        if not target.exists() or target.stat().st_mtime < source.stat().st_mtime:
            print(f"copying {source} → {target} (the original is left alone)")
            with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, sqlite3.connect(target) as dst:
                src.backup(dst)
        from services.core.migrate import upgrade

        upgrade(f"sqlite:///{target}")
        return target
    from build import ensure_db  # bench/build.py (seed_demo, reused while schema, size and seed match)

    path, meta = ensure_db(workdir, args.n)
    print(f"demo database {path} ({meta['bytes'] / 2**20:,.0f} MB, seeded in {meta['seed_seconds']} s)")
    return path


def bench_user(db: Any) -> tuple[Any, Any]:
    """A coordinator at the root organisation (the widest scope: the whole city) and their actor."""
    from services.access.accounts import create_user, load_actor

    with db.write() as s:
        user = s.exec(select(User).where(User.username == BENCH_USER)).first()
        if user is None:
            root = s.exec(select(Organisation).where(col(Organisation.parent_id).is_(None))).first()
            assert root is not None
            user = create_user(
                s,
                username=BENCH_USER,
                display_name="基准测试",
                password="bench " * 4,
                org_code=root.code,
                roles=["coordinator"],
            )
        actor = load_actor(s, user.id or 0)
    return user, actor


def default_filters(db: Any) -> tuple[Filters, Any]:
    """This year so far, as the dashboard opens, with 'today' the newest case's day."""
    with db.read() as s:
        newest = s.exec(select(func.max(Case.received_at))).one()
    today = newest.date()
    return Filters(Period(today.replace(month=1, day=1), today)), today


def section(title: str) -> None:
    print(f"\n{title}\n{'-' * len(title)}")


def row(name: str, app: float, floor: float, note: str = "") -> None:
    print(f"{name:<34}{app:>10.1f}{floor:>10.1f}{app / floor if floor else float('nan'):>9.2f}  {note}")


def bench_queries(
    db: Any, conn: sqlite3.Connection, rec: Recorder, actor: Any, filters: Filters, today: Any, reps: int
) -> float:
    section("Dashboard queries (ms): service · raw SQL floor · ratio")
    with db.read() as s:
        scope = stats.resolve_scope(s, actor, None)
    previous = filters.compared("previous-year")
    parts: list[tuple[str, Callable[[Any], Any]]] = [
        ("headline by month (1 scan)", lambda s: stats.scan_months(s, scope, filters, today)),
        ("high-risk KPIs", lambda s: stats.scan_risk(s, scope, filters, today)),
        ("last year, by month", lambda s: stats.scan_months(s, scope, previous, today)),
        ("last year, high-risk", lambda s: stats.scan_risk(s, scope, previous, today)),
        ("by category × source", lambda s: stats.by_category_source(s, scope, filters, today, stats.CHART)),
        ("by organisation", lambda s: stats.by_org(s, scope, filters, today, stats.CHART)),
        ("open alerts (high-risk, overdue)", lambda s: stats.alerts(s, actor=actor, filters=filters, today=today)),
    ]
    total_app = total_floor = 0.0
    for name, fn in parts:

        def call(fn: Callable[[Any], Any] = fn) -> None:
            with db.read() as s:
                fn(s)

        statements = rec.capture(call)
        app = median_ms(call, reps)
        floor = floor_ms(conn, statements, reps)
        total_app += app
        total_floor += floor
        row(name, app, floor, f"{len(statements)} statement(s)")
    row("Σ dashboard queries", total_app, total_floor)

    def whole() -> None:
        stats.clear_cache()
        with db.read() as s:
            stats.dashboard(s, actor=actor, filters=filters, today=today)

    statements = rec.capture(whole)
    app, floor = median_ms(whole, reps), floor_ms(conn, statements, reps)
    row("stats.dashboard() uncached", app, floor, f"{len(statements)} statements incl. scope and version")
    with db.read() as s:
        stats.dashboard(s, actor=actor, filters=filters, today=today)

    def cached() -> None:
        with db.read() as s:
            stats.dashboard(s, actor=actor, filters=filters, today=today)

    print(f"{'stats.dashboard() cached':<34}{median_ms(cached, reps):>10.2f}")
    return floor


def bench_page(db: Any, conn: sqlite3.Connection, rec: Recorder, user: Any, reps: int) -> None:
    from streamlit.testing.v1 import AppTest

    from services.access.signin import session_key, start_session

    section("Dashboard page, AppTest warm runs (ms)")
    key = session_key(user.username, time.time() + 3600)
    with db.write() as s:
        start_session(s, user_id=user.id or 0, key=key, client="bench")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.session_state["ui.lang"] = "zh-CN"
    at.session_state["auth.session_key"] = key
    at.run()
    at.switch_page("pages/staff/dashboard.py").run()
    assert not at.exception, at.exception
    assert any(m.label == "登记纠纷数" for m in at.metric), "the dashboard did not render its numbers"

    def uncached() -> None:
        stats.clear_cache()
        at.run()

    statements = rec.capture(uncached)
    page = median_ms(uncached, reps)
    page_sql = floor_ms(conn, statements, reps)
    cached = median_ms(at.run, reps)
    bare = median_ms(AppTest.from_string("import streamlit as st\nst.title('统计分析')\n").run, max(reps, 5))
    framed = AppTest.from_string(EMPTY_PAGE, default_timeout=60)
    framed.session_state["ui.lang"] = "zh-CN"
    framed.session_state["auth.session_key"] = key
    empty = median_ms(framed.run, max(reps, 5))
    base = page_sql + empty
    print(f"{'empty page (st.title only)':<34}{bare:>10.1f}")
    print(f"{'empty page in the app frame':<34}{empty:>10.1f}   (page config, session check, a title: the baseline)")
    print(f"{'Σ raw SQL of the page':<34}{page_sql:>10.1f}   ({len(statements)} SELECT statements)")
    print(
        f"{'dashboard page, uncached':<34}{page:>10.1f}   ratio to (Σ SQL + empty) = {page / base:.2f}"
        f"   target ≤ 1.50 → {'met' if page <= 1.5 * base else 'NOT met'}"
    )
    print(f"{'dashboard page, cached':<34}{cached:>10.1f}   ratio = {cached / base:.2f}")


def bench_list(db: Any, conn: sqlite3.Connection, rec: Recorder, actor: Any, today: Any, reps: int) -> None:
    section("First page of a 3-filter case list (ms): service · raw indexed query · ratio")
    with db.read() as s:
        county = s.exec(
            select(Organisation.id, Organisation.name)
            .where(Organisation.kind == "county")
            .order_by(col(Organisation.id))
        ).first()
    assert county is not None
    last12 = Period.months(add_months(month_of(today), -11), month_of(today))
    three = Filters(last12, org_id=county[0], category="neighbour", source="walk_in")
    cases: list[tuple[str, Filters, str, Slice | None]] = [
        ("county·category·source, succeeded", three, "succeeded", None),
        ("county·category·source, all", three, "received", None),
        ("city, confirmed (sparse)", Filters(last12), "confirmed", None),
        ("city, one month's bar", Filters(last12), "received", Slice(month=month_of(today - timedelta(days=40)))),
    ]
    print(f"(county = {county[1]}; category = neighbour; source = walk_in; the last 12 months)")
    for name, filters, kpi_id, piece in cases:
        for counted in (False, True):

            def first_page(
                filters: Filters = filters, kpi_id: str = kpi_id, piece: Slice | None = piece, counted: bool = counted
            ) -> None:
                with db.read() as s:
                    drilldown.list_cases(s, actor=actor, filters=filters, kpi_id=kpi_id, piece=piece, today=today)
                    if counted:  # the list page shows the total too
                        drilldown.count_cases(s, actor=actor, filters=filters, kpi_id=kpi_id, piece=piece, today=today)

            statements = rec.capture(first_page)
            list_sql = [st for st in statements if '"case"' in st[0]]  # the page (and its count) only
            app, floor = median_ms(first_page, reps), floor_ms(conn, list_sql, reps)
            row(
                f"{name}{' + count' if counted else ''}",
                app,
                floor,
                f"target ≤ 2.00 → {'met' if app <= 2 * floor else 'NOT met'}",
            )


def bench_import(rows: int) -> None:
    """Time a legacy ledger of `rows` rows (csv and xlsx) into a fresh database: check, then import."""
    import csv
    import io

    from openpyxl import Workbook

    from services.core.bootstrap import ensure_reference_data
    from services.core.migrate import upgrade
    from services.legacy_import import format as import_format
    from services.legacy_import import load as importer
    from tests.factories import make_actor, make_tree

    section(f"Legacy ledger import, {rows:,} rows (s)")
    header = [c.zh for c in import_format.COLUMNS]
    statuses = ["调解成功", "调解成功", "调解成功", "调解不成功", "已归档", "撤回"]

    def line(i: int) -> list[Any]:
        ok = statuses[i % 6] in ("调解成功", "已归档")
        return [
            f"L{i:07d}",
            f"20{20 + i % 5}-{1 + i % 12:02d}-{1 + i % 28:02d}",
            ("来访", "来电", "排查")[i % 3],
            ("邻里纠纷", "婚姻家庭纠纷", "借贷纠纷")[i % 3],
            ("V1", "V2", "P1")[i % 3],
            "",
            statuses[i % 6],
            "口头" if ok and i % 4 == 0 else ("书面" if ok else ""),
            "",
            "",
            "已履行" if ok else "",
            "否",
            str(1 + i % 5) if ok else "",
            "邻里因排水沟发生纠纷",
        ]

    data = [line(i) for i in range(rows)]
    out = io.StringIO()
    csv.writer(out).writerows([header, *data])
    files = {"csv": out.getvalue().encode("utf-8")}
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(header)
    for r in data:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    files["xlsx"] = buf.getvalue()
    for kind, blob in files.items():
        with tempfile.TemporaryDirectory(prefix="mh-import-") as tmp:
            url = f"sqlite:///{tmp}/import.db"
            upgrade(url)
            db = make_database(url)
            with db.write() as s:
                ensure_reference_data(s)
                tree = make_tree(s)
                actor = make_actor(s, tree["county"], ["coordinator"])
            started = time.perf_counter()
            with db.read() as s:
                preview = importer.validate(s, actor=actor, filename=f"ledger.{kind}", data=blob)
            checked = time.perf_counter() - started
            assert preview.ok, preview.errors[:3]
            started = time.perf_counter()
            with db.write() as s:
                result = importer.import_cases(s, actor=actor, filename=f"ledger.{kind}", data=blob)
            total = time.perf_counter() - started
            with db.read() as s:
                n = s.exec(select(func.count()).select_from(Case)).one()
            db.dispose()
        print(
            f"{kind:<5} {len(blob) / 2**20:6.1f} MB   check only {checked:6.1f}   check + import (one transaction) "
            f"{total:6.1f}   = {rows / total:,.0f} rows/s   cases in db {n:,}   numbers kept {result.imported:,}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="demo cases to build (ignored with --db)")
    parser.add_argument("--db", help="an existing demo SQLite database (a copy is measured)")
    parser.add_argument("--dir", default="/tmp/mh_stats_bench", help="where databases are built or copied")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--import-rows", type=int, default=0, help="also time importing a ledger of N rows")
    parser.add_argument("--skip-page", action="store_true")
    args = parser.parse_args(argv)
    print(
        f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs (a busy machine inflates times, "
        "ratios hold better)"
    )
    if args.n or args.db:
        path = prepare(args)
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
        get_settings.cache_clear()
        db = make_database(os.environ["DATABASE_URL"])
        conn = raw_conn(path)
        with db.read() as s:
            n = s.exec(select(func.count()).select_from(Case)).one()
        user, actor = bench_user(db)
        filters, today = default_filters(db)
        print(
            f"N = {n:,} cases; scope: the whole tree; period {filters.period.start} – {filters.period.end} "
            f"(this year so far), compared with last year"
        )
        rec = Recorder()
        bench_queries(db, conn, rec, actor, filters, today, args.reps)
        if not args.skip_page:
            bench_page(db, conn, rec, user, args.reps)
        bench_list(db, conn, rec, actor, today, args.reps)
        db.dispose()
    if args.import_rows:
        bench_import(args.import_rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
