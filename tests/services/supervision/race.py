"""A worker process for the two-instance accountability race: the service layer on its own connection pool."""

from __future__ import annotations

import os
from datetime import date
from typing import Any


def check_overdue(env: dict[str, str], url: str, today: date, barrier: Any, results: Any) -> None:
    """Wait for the other process, then run the overdue-report check once; put how many events it recorded."""
    os.environ.update(env)
    from services.core.db import make_database
    from services.supervision.overdue import record_overdue_reports

    db = make_database(url)
    try:
        barrier.wait(timeout=60)
        with db.write() as s:
            results.put(record_overdue_reports(s, today=today))
    except Exception as err:  # reported to the test, which fails on it
        results.put(repr(err))
    finally:
        db.dispose()
