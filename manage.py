"""Command line: python manage.py <command>; `python manage.py --help` lists the commands."""

from __future__ import annotations

import sys

from cli.command import dispatch
from cli.registry import commands
from services.admin.hooks import register_admin_extensions
from services.core import logs as applog


def main(argv: list[str] | None = None) -> int:
    """Run the command named in `argv` (default: the process arguments); its exit code."""
    register_admin_extensions()  # the hooks and computed columns the admin specs name, as app.py does (idempotent)
    return dispatch(commands(), argv, description=__doc__)


if __name__ == "__main__":
    applog.configure()  # run reports (retention, key rotation) and warnings on standard error
    sys.exit(main())
