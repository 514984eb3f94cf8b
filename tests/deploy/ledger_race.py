"""A worker process for the two-instance ledger race: the service layer with one app instance's environment.

Each process imports the app afresh (spawn), opens its own connection pool on the shared PostgreSQL
database, and steps through approve → batch → pay in lock-step with the other process (a barrier
before each step), so both issue the same write at the same moment.
"""

from __future__ import annotations

import os
from typing import Any


def race(
    env: dict[str, str],
    user_ids: tuple[int, int],
    claim_id: int,
    region_org_id: int,
    barrier: Any,
    batch_id: Any,
    results: Any,
) -> None:
    """Approve (as this process's approver), batch and pay (as the payer, a fourth person under the office's
    separation of duties) one claim; put [outcome per step] on `results` (a key for a refusal)."""
    os.environ.update(env)
    from services.access.accounts import load_actor
    from services.core.db import make_database
    from services.core.errors import DomainError
    from services.ledger.claims import approve_claim
    from services.ledger.payout import create_batch, mark_batch_paid

    db = make_database(env["DATABASE_URL"])
    out: list[str] = []
    try:
        with db.read() as s:
            actor, payer = load_actor(s, user_ids[0]), load_actor(s, user_ids[1])
        assert actor is not None and payer is not None

        def step(name: str, fn: Any) -> None:
            barrier.wait(timeout=60)
            try:
                with db.write() as s:
                    out.append(fn(s) or name)
            except DomainError as err:
                out.append(err.key)

        step("approved", lambda s: approve_claim(s, actor=actor, claim_id=claim_id, note="同意") and None)

        def batch(s: Any) -> None:
            b = create_batch(s, actor=payer, region_org_id=region_org_id, claim_ids=[claim_id])
            s.flush()
            batch_id.value = b.id

        step("batched", batch)
        barrier.wait(timeout=60)  # the winner's batch id is committed and shared before anyone pays
        step(
            "paid", lambda s: "replayed" if mark_batch_paid(s, actor=payer, batch_id=batch_id.value).replayed else None
        )
    except Exception as exc:  # reported to the test, which fails with it
        out.append(f"crash: {type(exc).__name__}: {exc}")
    finally:
        db.dispose()
        results.put(out)
