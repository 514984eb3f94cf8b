"""Trust, but verify (issue 21): recompute the statistics summaries from the cases, and compare them with a
recount. A nightly `manage.py stats-check` (cron, after the backup) prints every difference and exits 1 when
there is one; `stats-rebuild` then recomputes them (resumable, one short transaction per batch; run it while
nobody writes, e.g. in the maintenance window, and check again afterwards)."""

from __future__ import annotations

import argparse
import sys

from cli.common import database
from services.stats import summary


def cmd_stats_rebuild(args: argparse.Namespace) -> int:
    def progress(stage: str, last: int) -> None:
        if stage != "done":
            print(f"{stage}: up to id {last}", file=sys.stderr)

    with database() as db:
        summary.rebuild(db, batch=args.batch, progress=progress)
    print("statistics summaries rebuilt")
    return 0


def cmd_stats_check(_: argparse.Namespace) -> int:
    with database() as db, db.read() as s:
        found = summary.differences(s)
    for line in found:
        print(line)
    print(f"{len(found)} difference(s) between the statistics summaries and a recount")
    return 1 if found else 0
