"""Benchmark: rate a year for every mediator against the raw SQL the metrics need.

Usage: python bench/ratings.py [--db PATH] [--cases 1000000] [--mediators 10000] [--reps 3] [--rebuild]

The database (default /tmp/mh_ratings_1m.db, reused while the schema head and sizes match) holds `--cases`
cases received in the rated year 2025 plus a tenth as many in 2024 (outside the period), spread over
`--mediators` mediators in 2,000 village committees with a skewed load (some fall below the minimum case
count), public ratings on 5 % of cases, three training records per mediator and some complaints. Cases carry
the outcome/agreement columns the database triggers keep, set directly at load time.

*floor*: the grouped statements `services.rating.metrics.statements()` emits for the computation, compiled
with literal values and run with plain `sqlite3` (fetching every row). *app*: `services.rating.runs.compute_ratings`
for the city justice bureau — the same statements through SQLAlchemy, scoring in Python, the diff against the
previous computation, superseding its proposals, inserting one rating row per mediator, the audit row and the
commit. Then the follow-up steps an office takes: approve all, the first review page, one score card's
evidence. Nothing here passes or fails (see bench/README.md).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("AUTH_COOKIE_KEY", secrets.token_urlsafe(40))
os.environ.setdefault("DATA_KEY", secrets.token_urlsafe(40))
os.environ.setdefault("MEDIATION_BCRYPT_ROUNDS", "4")

from alembic.script import ScriptDirectory  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.dialects import sqlite as sqlite_dialect  # noqa: E402

from services.access.accounts import create_user, load_actor  # noqa: E402
from services.core.bootstrap import ensure_reference_data  # noqa: E402
from services.core.db import make_database  # noqa: E402
from services.core.migrate import alembic_config, upgrade  # noqa: E402

YEAR, SEED = 2025, 7
TODAY = date(YEAR + 1, 2, 1)
COUNTIES, TOWNS, VILLAGES = 10, 20, 10  # per parent: 10 counties × 20 towns × 10 villages = 2,000 committees


def head() -> str:
    """The schema head and a hash of the migrations (a changed migration means a rebuild)."""
    import hashlib

    files = sorted((ROOT / "migrations" / "versions").glob("*.py"))
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()[:12]
    return f"{ScriptDirectory.from_config(alembic_config('sqlite://')).get_current_head()}:{digest}"


def _orgs(c: sqlite3.Connection, root: int) -> tuple[list[tuple[int, int]], int]:
    """Counties, towns and village committees under the root, plus the city justice bureau (returned)."""
    now, rows, villages = datetime.now(UTC).isoformat(" "), [], []
    next_id = c.execute("SELECT max(id) FROM organisation").fetchone()[0] + 1

    def add(code: str, name: str, kind: str, parent: int, path: str, depth: int, county: int | None) -> int:
        nonlocal next_id
        oid, next_id = next_id, next_id + 1
        rows.append((oid, code, name, kind, parent, f"{path}{oid}/", depth, county, None, "", "", "", 0, 1, now))
        return oid

    justice = add("BJ", "市司法局", "justice_office", root, f"/{root}/", 1, None)
    for ci in range(COUNTIES):
        county = add(f"BC{ci}", f"第{ci}县", "county", root, f"/{root}/", 1, None)
        cpath = f"/{root}/{county}/"
        for ti in range(TOWNS):
            town = add(f"BT{ci}-{ti}", f"第{ci}-{ti}镇", "town", county, cpath, 2, county)
            for vi in range(VILLAGES):
                vid = add(
                    f"BV{ci}-{ti}-{vi}",
                    f"第{ci}-{ti}-{vi}村调委会",
                    "village_committee",
                    town,
                    f"{cpath}{town}/",
                    3,
                    county,
                )
                villages.append((vid, county))
    c.executemany(
        "INSERT INTO organisation (id, code, name, kind, parent_id, path, depth, county_id, sector, "
        "address, phone, hours, population, active, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        rows,
    )
    return villages, justice


CASE_COLS = (
    "case_no",
    "org_id",
    "county_id",
    "mediator_id",
    "source",
    "category",
    "status",
    "title",
    "description",
    "place",
    "request",
    "amount_fen",
    "group_size",
    "risk_level",
    "risk_flags",
    "on_the_spot",
    "pre_litigation",
    "outcome_note",
    "received_at",
    "received_month",
    "custom",
    "version",
    "outcome",
    "agreement_kind",
    "performance",
    "performance_due",
    "confirmed",
    "satisfaction",
)
CLOSED = (("succeeded", "succeeded"), ("followed_up", "succeeded"), ("archived", "succeeded"))


def _case(rng: random.Random, i: int, mediator: tuple[int, int, int], day: date) -> tuple[Any, ...]:
    mid, org, county = mediator
    r = rng.random()
    kind = perf = due = sat = None
    confirmed = 0
    if r < 0.70:
        status, outcome = CLOSED[i % 3]
        if rng.random() < 0.9:
            kind = "written" if rng.random() < 0.7 else "oral"
            p = rng.random()
            perf = "fulfilled" if p < 0.7 else "pending" if p < 0.9 else "partly" if p < 0.95 else "breached"
            due = (day + timedelta(days=rng.randrange(0, 120))).isoformat()
            confirmed = int(rng.random() < 0.08)
        if rng.random() < 0.4:
            sat = rng.choice((3, 4, 4, 5, 5, 5, 2, 1))
    elif r < 0.85:
        status = outcome = "failed"
    elif r < 0.88:
        status = outcome = "withdrawn"
    elif r < 0.90:
        status = outcome = "rejected"
    else:
        status, outcome = rng.choice(("submitted", "accepted", "in_mediation")), None
    at = datetime(day.year, day.month, day.day, 9, tzinfo=UTC).isoformat(" ")
    return (
        f"B{i:08d}",
        org,
        county,
        mid if rng.random() < 0.97 else None,
        "walk_in",
        "neighbour",
        status,
        "",
        "x",
        "",
        "",
        0,
        0,
        "none",
        "[]",
        0,
        0,
        "",
        at,
        day.year * 100 + day.month,
        "{}",
        1,
        outcome,
        kind,
        perf,
        due,
        confirmed,
        sat,
    )


def build(path: Path, cases: int, mediators: int) -> dict[str, Any]:
    """A fresh database with the synthetic year; indexes are dropped during the load and rebuilt after."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    upgrade(url)
    db = make_database(url)
    with db.write() as s:
        ensure_reference_data(s)
        root = s.execute(text("SELECT id FROM organisation WHERE code = 'ROOT'")).scalar_one()
    db.dispose()
    rng = random.Random(SEED)
    started = time.perf_counter()
    c = sqlite3.connect(path, isolation_level=None)
    c.execute("PRAGMA journal_mode=WAL")
    c.execute("PRAGMA synchronous=OFF")
    c.execute("BEGIN")
    villages, justice = _orgs(c, root)
    now = datetime.now(UTC).isoformat(" ")
    staff = []
    for k in range(mediators):
        org, county = villages[k % len(villages)]
        staff.append((k + 1, org, county))
    c.executemany(
        "INSERT INTO mediator (id, org_id, name, phone, employment, specialties, certificate_no, status, "
        "created_at) VALUES (?, ?, ?, '', 'part_time', '[]', '', 'active', ?)",
        [(m, org, f"调解员{m}", now) for m, org, _ in staff],
    )
    weights = [rng.lognormvariate(0, 1.0) for _ in staff]
    indexes = [
        r[0]
        for r in c.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'case' AND sql IS NOT NULL"
        )
    ]
    for (name,) in c.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'case' AND sql IS NOT NULL"
    ).fetchall():
        c.execute(f'DROP INDEX "{name}"')
    insert = f'INSERT INTO "case" ({", ".join(CASE_COLS)}) VALUES ({", ".join("?" * len(CASE_COLS))})'
    total, chunk, start = cases + cases // 10, 50_000, date(YEAR - 1, 1, 1)
    for lo in range(0, total, chunk):
        picks = rng.choices(staff, weights=weights, k=min(chunk, total - lo))
        rows = []
        for j, m in enumerate(picks):
            i = lo + j
            offset = rng.randrange(365) if i < cases else rng.randrange(365) - 365
            rows.append(_case(rng, i, m, start + timedelta(days=365 + offset)))
        c.executemany(insert, rows)
    for sql in indexes:
        c.execute(sql)
    n_cases = c.execute('SELECT max(id) FROM "case"').fetchone()[0]
    c.executemany(
        "INSERT INTO publicrating (case_id, stars, comment, at) VALUES (?, ?, '', ?)",
        [(cid, rng.choice((5, 5, 4, 4, 3, 2, 1)), now) for cid in rng.sample(range(1, n_cases + 1), n_cases // 20)],
    )
    c.executemany(
        "INSERT INTO trainingrecord (mediator_id, held_on, title, hours, organiser, kind) "
        "VALUES (?, ?, '培训', ?, '', 'organised')",
        [
            (
                m,
                date(YEAR - (k == 2), 1 + rng.randrange(12), 1 + rng.randrange(28)).isoformat(),
                rng.choice((2, 4, 6, 8)),
            )
            for m, _, _ in staff
            for k in range(3)
        ],
    )
    c.executemany(
        "INSERT INTO mediatorcomplaint (mediator_id, received_on, source, summary, substantiated, "
        "finding, created_at) VALUES (?, ?, 'phone', '投诉', ?, '', ?)",
        [
            (
                rng.randrange(1, mediators + 1),
                date(YEAR, 1 + rng.randrange(12), 1).isoformat(),
                int(rng.random() < 0.5),
                now,
            )
            for _ in range(mediators // 5)
        ],
    )
    c.execute("COMMIT")
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    c.close()
    db = make_database(url)
    with db.write() as s:
        from models import Organisation

        org = s.get(Organisation, justice)
        user = create_user(
            s,
            username="bench_justice",
            display_name="bench",
            password="bench-pass-2026-x",
            org_code=org.code if org else "BJ",
            roles=["justice"],
        )
    db.dispose()
    return {
        "head": head(),
        "cases": cases,
        "mediators": mediators,
        "seed": SEED,
        "user_id": user.id,
        "load_s": round(time.perf_counter() - started, 1),
    }


def median(fn: Callable[[], Any], reps: int, warm: bool = True) -> tuple[float, list[float], Any]:
    if warm:
        fn()
    times, out = [], None
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, default=Path("/tmp/mh_ratings_1m.db"))
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--mediators", type=int, default=10_000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--rebuild", action="store_true")
    args = ap.parse_args()
    meta_path = args.db.with_suffix(".json")
    meta = json.loads(meta_path.read_text()) if meta_path.exists() and args.db.exists() else {}
    if args.rebuild or (meta.get("head"), meta.get("cases"), meta.get("mediators"), meta.get("seed")) != (
        head(),
        args.cases,
        args.mediators,
        SEED,
    ):
        print(f"building {args.db} ({args.cases:,} cases in {YEAR}, {args.mediators:,} mediators) …", flush=True)
        meta = build(args.db, args.cases, args.mediators)
        meta_path.write_text(json.dumps(meta))
        print(f"  loaded in {meta['load_s']} s", flush=True)
    report(args.db, meta, args.reps)


def report(path: Path, meta: dict[str, Any], reps: int) -> None:
    from services.rating import card as rating_card
    from services.rating import review as rating_review
    from services.rating import runs as rating
    from services.rating.metrics import statements
    from services.rating.schemes import parse_period

    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; {path}")
    db = make_database(f"sqlite:///{path}")
    with db.read() as s:
        actor = load_actor(s, meta["user_id"])
        assert actor is not None
        n_cases = s.execute(text('SELECT count(*) FROM "case"')).scalar_one()
    per = parse_period(str(YEAR))
    ids = rating.subjects_in_scope(actor, "mediator")
    sql = [
        str(stmt.compile(dialect=sqlite_dialect.dialect(), compile_kwargs={"literal_binds": True}))
        for _, stmt in statements("mediator", ids, per, min(TODAY, per.end))
    ]
    raw = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    raw.execute("PRAGMA cache_size=-65536")
    raw.execute("PRAGMA temp_store=MEMORY")
    floor, floor_runs, rows = median(lambda: [raw.execute(q).fetchall() for q in sql], reps)
    plans = ["; ".join(r[3] for r in raw.execute(f"EXPLAIN QUERY PLAN {q}")) for q in sql]

    def compute() -> Any:
        with db.write() as s:
            return rating.compute_ratings(s, actor=actor, subject="mediator", period=str(YEAR), today=TODAY)

    app, app_runs, run = median(compute, reps, warm=False)
    with db.write() as s:
        t0 = time.perf_counter()
        approved = rating.approve_run(s, actor=actor, run_id=run.id)
    approve_s = time.perf_counter() - t0
    again, _, rerun = median(compute, 1, warm=False)
    with db.read() as s:
        page_s, _, page = median(
            lambda: rating_review.list_ratings(s, actor=actor, subject="mediator", period=str(YEAR)), reps
        )
        summary_s, _, _ = median(
            lambda: rating_review.period_summary(s, actor=actor, subject="mediator", period=str(YEAR)), reps
        )
        rid = page.items[0].id
        card_s, _, _ = median(lambda: rating_card.get_card(s, actor=actor, rating_id=rid), reps)
        ev_s, _, ev = median(lambda: rating_card.evidence(s, actor=actor, rating_id=rid, part="mediated"), reps)
    first, last = per.months
    year_cases = raw.execute(
        'SELECT count(*) FROM "case" WHERE received_month BETWEEN ? AND ?', (first, last)
    ).fetchone()[0]
    print(
        f"data: {n_cases:,} cases, {year_cases:,} of them received in {YEAR} by {len(rows[0]):,} mediators; "
        f"{run.subjects:,} mediators rated, {run.rated:,} eligible"
    )
    print(
        f"floor  raw sqlite3, {len(sql)} grouped statements  median {floor:7.3f} s  runs "
        + ", ".join(f"{x:.3f}" for x in floor_runs)
    )
    print(
        f"app    compute_ratings (write + commit)        median {app:7.3f} s  runs "
        + ", ".join(f"{x:.3f}" for x in app_runs)
        + f"   ratio {app / floor:.2f}"
    )
    print(f"app    recompute after approving all           {again:7.3f} s   changed {rerun.changed}")
    print(f"app    approve_run ({approved:,} ratings + stars) {approve_s:7.3f} s")
    print(
        f"page   review list first page {page_s * 1000:7.1f} ms · period summary {summary_s * 1000:7.1f} ms · "
        f"score card {card_s * 1000:6.1f} ms · evidence page ({ev.count} cases) {ev_s * 1000:6.1f} ms"
    )
    for q, p in zip(sql, plans, strict=True):
        print(f"  plan: {p}   <- {q[:90]}…")
    db.dispose()


if __name__ == "__main__":
    main()
