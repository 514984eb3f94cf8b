"""Benchmark: dashboard aggregates and list pages against their raw-SQL floor, and bulk insert against raw executemany.

Usage: python bench/run.py [--big] [--dir DIR] [--sizes 10000,100000] [--reps 5] [--rebuild] [--analyze]
       python bench/run.py --sizes 100000[,1000000] [--url URL] --json   (issue 21: one JSON line at the end)
       python bench/run.py --url URL [--insert-cases 20000]   (the bulk-insert comparison on PostgreSQL: seed's
                                                              COPY against plain psycopg COPY; empties URL's db)
Prints plain text; nothing here passes or fails (see bench/README.md).
"""

from __future__ import annotations

import argparse
import os
import secrets
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("AUTH_COOKIE_KEY", secrets.token_urlsafe(40))
os.environ.setdefault("DATA_KEY", secrets.token_urlsafe(40))
os.environ.setdefault("MEDIATION_BCRYPT_ROUNDS", "4")

import insert as insert_bench  # noqa: E402
from build import ensure_db  # noqa: E402
from queries import AGGREGATES, PAGES, Params, Query, params  # noqa: E402
from sqlalchemy.dialects import sqlite as sqlite_dialect  # noqa: E402

from services.core.db import make_database  # noqa: E402


def median_ms(fn: Callable[[], Any], reps: int) -> float:
    fn()  # warm the page cache and the statement caches
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def raw_conn(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.execute("PRAGMA cache_size=-65536")
    conn.execute("PRAGMA temp_store=MEMORY")
    return conn


def plan(conn: sqlite3.Connection, sql: str, args: tuple[Any, ...] = ()) -> str:
    rows = conn.execute(f"EXPLAIN QUERY PLAN {sql}", args).fetchall()
    return "; ".join(r[3] for r in rows)


def measure_query(q: Query, conn: sqlite3.Connection, db: Any, p: Params, reps: int) -> tuple[float, float, str]:
    floors = []
    for sql in q.raw:
        try:
            floors.append(median_ms(lambda sql=sql: conn.execute(sql, q.raw_args(p)).fetchall(), reps))
        except sqlite3.OperationalError:  # e.g. an INDEXED BY naming an index this schema does not have
            continue
    stmt = q.app(p)

    def app() -> None:
        with db.read() as s:
            s.exec(stmt).all()

    app_ms = median_ms(app, reps)
    literal = str(stmt.compile(dialect=sqlite_dialect.dialect(), compile_kwargs={"literal_binds": True}))
    return min(floors), app_ms, plan(conn, literal)


def bench_size(path: Path, meta: dict, reps: int) -> None:
    conn = raw_conn(path)
    db = make_database(f"sqlite:///{path}")
    p = params(conn)
    n = meta["n"]
    print(f"\n== N = {n:,} cases   ({path}, {meta['bytes'] / 2**20:,.0f} MB, seeded in {meta['seed_seconds']} s)")
    print(f"{'query':<38}{'floor ms':>10}{'app ms':>10}{'app/floor':>11}   app query plan")
    for q in [*AGGREGATES, *PAGES]:
        floor, app_ms, how = measure_query(q, conn, db, p, reps)
        print(f"{q.name:<38}{floor:>10.2f}{app_ms:>10.2f}{app_ms / floor:>10.2f}x   {how}")
    conn.close()
    db.dispose()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", default="/tmp/mh_bench", help="where the databases are built and cached")
    ap.add_argument("--sizes", default="10000,100000", help="comma-separated case counts")
    ap.add_argument("--big", action="store_true", help="also N = 1,000,000 (building it takes several minutes)")
    ap.add_argument("--reps", type=int, default=5, help="timed runs per query (median; at least 3; inserts: 3)")
    ap.add_argument("--rebuild", action="store_true", help="rebuild the databases even when cached")
    ap.add_argument("--analyze", action="store_true", help="run ANALYZE after seeding (the app does not)")
    ap.add_argument("--insert-cases", type=int, default=20000, help="cases for the bulk-insert comparison (0: skip)")
    ap.add_argument("--json", action="store_true", help="province-scale figures (issue 21), ending with one JSON line")
    ap.add_argument(
        "--url",
        help="with --json: a PostgreSQL URL beside which <db>_<N> is seeded (when it holds another size) and measured; "
        "without: the bulk-insert comparison on that (emptied) PostgreSQL database",
    )
    ap.add_argument("--page", action="store_true", help="with --json: also the dashboard page itself (bench/page.py)")
    args = ap.parse_args(argv)
    if args.json:
        return province_json(args)
    if args.url:
        print(f"\n== bulk insert on PostgreSQL, {args.insert_cases:,} cases with every row that hangs off them")
        print(f"{'path':<52}{'rows/s':>12}{'vs floor':>10}")
        for name, rate, ratio in insert_bench.measure_pg(args.url, args.insert_cases, 3):
            print(f"{name:<52}{rate:>12,.0f}{ratio:>10.2f}")
        return 0
    reps = max(3, args.reps)
    directory = Path(args.dir)
    sizes = [int(x) for x in args.sizes.split(",") if x] + ([1_000_000] if args.big else [])
    load = os.getloadavg()[0]
    print(
        f"Mediation Hub bench — {os.cpu_count()} CPUs, load average {load:.1f}, sqlite {sqlite3.sqlite_version}, "
        f"medians of {reps}"
    )
    if load > (os.cpu_count() or 1):
        print("note: the machine is busy; absolute times are inflated, ratios are steadier")
    for n in sizes:
        path, meta = ensure_db(directory, n, rebuild=args.rebuild, analyze=args.analyze)
        bench_size(path, meta, reps)
    if args.insert_cases:
        print(f"\n== bulk insert, {args.insert_cases:,} cases with every row that hangs off them")
        print(f"{'path':<44}{'rows/s':>12}{'vs raw':>9}")
        for name, rate, ratio in insert_bench.measure(directory, args.insert_cases, 3):
            print(f"{name:<44}{rate:>12,.0f}{ratio:>9.2f}")
    return 0


def province_json(args: argparse.Namespace) -> int:
    """For each size: seed (or reuse) the database, then print the figures of bench/province.py as one JSON line."""
    import json

    import province

    sizes = [int(x) for x in args.sizes.split(",") if x] + ([1_000_000] if args.big else [])
    load = os.getloadavg()[0]
    print(f"load average {load:.1f} on {os.cpu_count()} CPUs", file=sys.stderr)
    out: dict[str, Any] = {}
    for n in sizes:
        if args.url:
            db = ensure_pg(args.url, n, rebuild=args.rebuild)
        else:
            path, _meta = ensure_db(Path(args.dir), n, rebuild=args.rebuild, analyze=args.analyze)
            db = make_database(f"sqlite:///{path}")
        out[str(n)] = {"engine": db.dialect, **province.measure(db, max(3, args.reps))}
        if args.page:
            import page

            out[str(n)].update(page.measure(db, max(3, args.reps), earlier=out))
        db.dispose()
        print(f"N = {n:,}: {json.dumps(out[str(n)])}", file=sys.stderr)
    print(json.dumps({"sizes": out, "load_average": round(load, 1)}))
    return 0


def pg_size_url(url: str, n: int) -> str:
    """The database of size n beside the one `url` names (`<name>_<n>`), created when missing; each size keeps its
    own, so a rerun reuses every size instead of reseeding one database per size."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{n}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        if c.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is None:
            c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def ensure_pg(url: str, n: int, *, rebuild: bool = False) -> Any:
    """The PostgreSQL database `<name>_<n>` beside `url` with n demo cases (emptied and seeded when it holds another
    number), vacuumed and analysed after loading."""
    from sqlalchemy import create_engine, text
    from sqlmodel import SQLModel

    import models  # noqa: F401 — every table in the metadata
    from services.core.bootstrap import ensure_reference_data
    from services.core.migrate import upgrade
    from services.demo import seed as demo

    url = pg_size_url(url, n)
    upgrade(url)
    db = make_database(url)
    with db.read() as s:
        have = s.connection().execute(text('SELECT count(*) FROM "case"')).scalar()
    if have != n or rebuild:
        tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        with db.write_engine.begin() as c:
            c.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        with db.write() as s:
            ensure_reference_data(s)
        demo.LOGINS_FILE = Path("/tmp/mh_bench_pg_logins.txt")
        started = time.perf_counter()
        demo.seed_demo(db, cases=n, seed=1)
        print(f"seeded {n:,} cases on PostgreSQL in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as c:  # steady state: statistics, and visibility maps for index-only scans
        c.execute(text("VACUUM (ANALYZE)"))
    engine.dispose()
    return db


if __name__ == "__main__":
    sys.exit(main())
