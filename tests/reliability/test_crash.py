"""DB-3 crash safety: `kill -9` a writer process at random moments while it files cases continuously through the
real create path (services.cases.create.create_case: case + 2 parties + event + audit row in one write transaction).

The writer is a forked child of the test process (so it starts in milliseconds, with everything imported; it
opens its own connections after the fork, the parent holds none at that moment). After every kill: SQLite's
`PRAGMA integrity_check` must say ok and no case may lack its parties or its "created" event; then the next
writer starts on the same file, which is also the "restarts and serves" check (first write timed).
"""

from __future__ import annotations

import os
import random
import select
import signal
import time

import pytest

from services.core.db import make_database
from tests.factories import make_tree
from tests.reliability.helpers import counts, file_case, integrity, sqlite_path

KILLS_SQLITE, KILLS_PG = 50, 10


def _writer(url: str, org_id: int, progress: int) -> None:  # pragma: no cover - runs in the forked child
    """File cases until killed, one byte down the pipe after each commit; never returns."""
    try:
        db = make_database(url)
        n = 0
        while True:
            n += 1
            file_case(db, org_id, n)
            os.write(progress, b".")
    finally:
        os._exit(1)


def _wait_for_commits(progress: int, n: int) -> None:
    """Block until the writer has committed n cases (so the kill lands in continuous writing, whatever the load)."""
    got = 0
    while got < n:
        ready, _, _ = select.select([progress], [], [], 30)
        assert ready, "the writer made no progress for 30 s"
        got += len(os.read(progress, 64))


def _crash_loop(db, org_id: int, kills: int, rng: random.Random) -> list[float]:
    """Start a writer, kill -9 it after 1–6 commits plus 0–30 ms, `kills` times; return the read times after."""
    restart = []
    for _ in range(kills):
        db.dispose()  # no connection of ours crosses the fork
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - child
            os.close(read_end)
            _writer(db.url, org_id, write_end)
        os.close(write_end)
        try:
            _wait_for_commits(read_end, rng.randint(1, 6))
            time.sleep(rng.uniform(0, 0.03))  # then a random moment inside the next transactions
        finally:
            os.kill(pid, signal.SIGKILL)
            os.close(read_end)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL  # it was writing, not dead early
        if db.dialect == "sqlite":
            assert integrity(sqlite_path(db)) == "ok"
        started = time.perf_counter()
        with db.read() as s:
            assert counts(s)[2] == 0  # no half-written case
        restart.append(time.perf_counter() - started)
    return restart


def _run(db, kills: int) -> tuple[int, list[float]]:
    with db.write() as s:
        org_id = make_tree(s)["v1"].id or 0
    restart = _crash_loop(db, org_id, kills, random.Random(20261123))
    started = time.perf_counter()
    file_case(db, org_id, 0)  # the database takes writes again at once
    restart.append(time.perf_counter() - started)
    with db.read() as s:
        cases, parties, half = counts(s)
    assert half == 0 and parties == 2 * cases
    return cases, restart


@pytest.mark.slow
def test_survive_kill_9_of_writer_50_times(sqlite_db):
    cases, restart = _run(sqlite_db, KILLS_SQLITE)
    print(
        f"DB-3 sqlite: {KILLS_SQLITE} kills, integrity ok {KILLS_SQLITE}/{KILLS_SQLITE}, {cases} cases committed, "
        f"0 half-written, max recovery {max(restart) * 1000:.0f} ms"
    )
    assert cases >= KILLS_SQLITE and max(restart) < 10  # every writer committed before its kill


@pytest.mark.slow
def test_survive_kill_9_of_writer_on_postgres(db):
    if db.dialect != "postgresql":
        pytest.skip("PostgreSQL variant")
    cases, restart = _run(db, KILLS_PG)
    print(
        f"DB-3 postgresql: {KILLS_PG} kills, {cases} cases committed, 0 half-written, "
        f"max recovery {max(restart) * 1000:.0f} ms"
    )
    assert cases >= KILLS_PG and max(restart) < 10
