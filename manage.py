"""Command line: python manage.py <command>; `python manage.py --help` lists the commands."""

from __future__ import annotations

import sys

from cli.command import dispatch
from cli.registry import commands
from services.core import logs as applog


def register_extensions() -> None:
    """The hooks and computed columns the admin specs name, as app.py registers them (idempotent)."""
    # imported here, not at the top: it loads the whole service layer, which `--help` does not need
    from services.admin.hooks import register_admin_extensions

    register_admin_extensions()


def main(argv: list[str] | None = None) -> int:
    """Run the command named in `argv` (default: the process arguments); its exit code."""
    return dispatch(commands(), argv, description=__doc__, before_run=register_extensions)


if __name__ == "__main__":
    applog.configure()  # run reports (retention, key rotation) and warnings on standard error
    sys.exit(main())
