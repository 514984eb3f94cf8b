"""Demo data: a realistic city of mediation bodies, staff and years of cases, loaded fast and deterministically.

Organisations and the demo sign-ins go through the real services (create_org, create_user). The bulk
(mediators, cases and everything hanging off them) is generated in chunks and written one short transaction per
chunk — on SQLite by a precompiled executemany, on PostgreSQL by COPY (services/demo/bulk.py) — with primary keys
assigned from running counters so child rows never need RETURNING. The same seed (and the same `today`) gives the
same data on either path.
"""

from __future__ import annotations

import gc
import random
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

from faker import Faker
from sqlmodel import select

from models import Case, Organisation
from services.access.accounts import check_password_policy
from services.core import clock
from services.core.bootstrap import ensure_reference_data
from services.core.config import ROOT, get_settings
from services.core.db import Database
from services.core.errors import Conflict
from services.demo.bulk import (
    Encoded,
    Encoder,
    can_fork,
    derivations_suspended,
    forked,
    reset_sequences,
    write_rows,
)
from services.demo.cases import TRACK_ALPHABET, CaseGenerator, tracking_code
from services.demo.city import DEMO_VILLAGE, build_city
from services.demo.derived import insert_derived_rows
from services.demo.people import ROLES, NamePool, create_sign_ins, insert_staff, make_id_number
from services.demo.registers import seed_register_entries
from services.demo.tables import TABLES, IdCounters
from services.demo.timeline import daily_counts
from services.demo.world import Reference, World
from services.stats.summary import suspended as summaries_suspended

__all__ = [
    "CHUNK_CASES",
    "DEMO_VILLAGE",
    "LOGINS_FILE",
    "ROLES",
    "TABLES",
    "TRACK_ALPHABET",
    "USE_FORK",
    "make_id_number",
    "read_demo_logins",
    "seed_demo",
    "tracking_code",
]

LOGINS_FILE = ROOT / "data" / "demo_logins.txt"
CHUNK_CASES = 10_000  # ~165k rows of all tables per transaction (fewer commits: less WAL rewriting of index pages)
USE_FORK = True  # generate in a forked child while the parent writes (when there is more than one chunk)
_Encoder = Encoder  # the name bench/insert.py and tests/services/demo patch

Progress = Callable[[int, int], None]


def seed_demo(
    db: Database,
    *,
    cases: int,
    seed: int,
    if_empty: bool = False,
    password: str | None = None,
    progress: Progress | None = None,
    today: date | None = None,
) -> list[tuple[str, str, str]]:
    """Fill the database with a demo city and `cases` cases; return the demo sign-ins (role, username, password).

    With `if_empty`, a database that already has cases (or the demo city) is left alone and [] is returned.
    """
    if if_empty and _has_data(db):
        return []
    if password is not None:
        check_password_policy(password)
    rng = random.Random(seed)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    names = NamePool(fake)
    with db.write() as s:
        ensure_reference_data(s)
        if s.exec(select(Organisation.id).where(Organisation.code == DEMO_VILLAGE)).first() is not None:
            raise Conflict("error.demo_exists", code=DEMO_VILLAGE)
        city = build_city(s, rng=rng)
        logins, users = create_sign_ins(s, city=city, names=names, password=password)
        ref = Reference.load(s)
    end = datetime.combine(today or clock.today(), datetime.min.time(), UTC)
    gc_was_on = gc.isenabled()
    gc.disable()  # millions of short-lived acyclic rows: collection passes would only cost time
    try:
        ids = IdCounters.load(db)
        staff = insert_staff(db, city=city, users=users, names=names, rng=rng, ids=ids, end=end)
        world = World(
            rng=rng,
            ids=ids,
            city=city,
            staff=staff,
            user={role: u.id or 0 for role, u in users.items()},
            ref=ref,
            end=end,
            key=get_settings().data_key,
        )
        gen = CaseGenerator(world, names)
        with summaries_suspended(db):  # issue 21: one rebuild of the statistics summaries, not a trigger per row
            _insert_cases(db, gen, cases, progress)
            insert_derived_rows(db, world=world)
    finally:
        if gc_was_on:
            gc.enable()
    if db.dialect == "postgresql":
        reset_sequences(db)
    with db.write() as s:  # issue 11: a few entries in the starter registers, through the register service
        seed_register_entries(s, users, rng, end.date())
    _write_logins(logins)
    return logins


def read_demo_logins(path: Path | None = None) -> list[tuple[str, str, str]]:
    """The demo sign-ins written by the last seed_demo, or [] when there are none."""
    path = path or LOGINS_FILE
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and not line.startswith("#"):
            rows.append((parts[0], parts[1], parts[2]))
    return rows


def _has_data(db: Database) -> bool:
    with db.read() as s:
        if s.exec(select(Case.id).limit(1)).first() is not None:
            return True
        return s.exec(select(Organisation.id).where(Organisation.code == DEMO_VILLAGE)).first() is not None


def _write_logins(logins: list[tuple[str, str, str]]) -> None:
    LOGINS_FILE.parent.mkdir(parents=True, exist_ok=True)
    LOGINS_FILE.touch(mode=0o600, exist_ok=True)
    LOGINS_FILE.chmod(0o600)
    body = "# Demo sign-ins (role, username, password); written by `manage.py seed-demo`.\n"
    LOGINS_FILE.write_text(body + "".join(f"{r}\t{u}\t{p}\n" for r, u, p in logins), encoding="utf-8")


def _insert_cases(db: Database, gen: CaseGenerator, total: int, progress: Progress | None) -> None:
    """Generate and write the cases chunk by chunk, one short transaction per chunk."""
    bar = progress or _stderr_bar(total)
    batches = [{k: v for k, v in b.items() if k != "_pay"} for b in gen.world.batches.values()]
    write_rows(db, tables={"payoutbatch": batches})
    enc = Encoder(db.write_engine.dialect)
    with derivations_suspended(db, enc):
        _write_chunks(db, gen, total, enc, bar)


def _write_chunks(db: Database, gen: CaseGenerator, total: int, enc: Encoder, bar: Progress) -> None:
    """Produce the chunks (in a forked child when there are several) and write each as it comes."""
    if USE_FORK and total > CHUNK_CASES and can_fork():
        chunks = forked(lambda: _produce(gen, total, enc), gen.state, gen.restore)
    else:
        chunks = _produce(gen, total, enc)
    done = 0
    for n, chunk in chunks:
        enc.write(db, chunk)
        done += n
        bar(done, total)
    if done < total or total == 0:
        bar(total, total)


def _produce(gen: CaseGenerator, total: int, enc: Encoder) -> Iterator[tuple[int, Encoded]]:
    """(cases, encoded rows) chunks in chronological order; office hours 08:00–21:00 Beijing time (00–13 UTC)."""
    out, pending = gen.empty(), 0
    # The newest three cases stay open, so even a tiny demo shows every state.
    last = {total - 3: "in_mediation", total - 2: "accepted", total - 1: "submitted"} if total >= 10 else {}
    i = 0
    rng = gen.world.rng
    for day, n in daily_counts(total, gen.world.end, rng):
        for ts in sorted(day + rng.uniform(0, 13 * 3600) for _ in range(n)):
            gen.case(ts, out, last.get(i))
            i += 1
        pending += n
        if pending >= CHUNK_CASES:
            yield pending, enc.encode(out)
            out, pending = gen.empty(), 0
    if pending:
        yield pending, enc.encode(out)


def _stderr_bar(total: int) -> Progress:
    started = time.perf_counter()

    def show(done: int, total_: int) -> None:
        """Redraw the bar."""
        if total_ <= 0:
            return
        filled = int(30 * done / total_)
        rate = done / max(time.perf_counter() - started, 1e-6)
        end = "\n" if done >= total_ else ""
        sys.stderr.write(
            f"\rseeding cases [{'#' * filled}{'.' * (30 - filled)}] {done:,}/{total_:,} {rate:,.0f}/s{end}"
        )
        sys.stderr.flush()

    return show
