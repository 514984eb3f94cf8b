"""The jobs cron runs: duty gaps of the coming week, due reminders and group-robot messages."""

from __future__ import annotations

import argparse

from cli.common import database
from services.notify.outbox import deliver_until_idle
from services.notify.reminders import run_reminders
from services.roster.duty import flag_gaps


def cmd_duty_gaps(_: argparse.Namespace) -> int:
    with database() as db, db.write() as s:
        new = flag_gaps(s)
    print(f"{new} new duty gap warning(s)")
    return 0


def cmd_send_notifications(_: argparse.Namespace) -> int:
    with database() as db:
        print(f"{run_reminders(db)} new reminder(s)")
        counts = deliver_until_idle(db)
    print(" ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "nothing due")
    return 0
