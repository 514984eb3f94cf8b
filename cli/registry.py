"""The table of every `manage.py` command, gathered from the modules that declare them."""

from __future__ import annotations

from cli import data, demo, notify, privacy, reports, setup
from cli.command import Command


def commands() -> list[Command]:
    """Every command, in the order `manage.py --help` lists them (argparse refuses a name declared twice)."""
    return [*setup.COMMANDS, *demo.COMMANDS, *data.COMMANDS, *reports.COMMANDS, *notify.COMMANDS, *privacy.COMMANDS]
