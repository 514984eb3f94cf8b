"""A command as data (name, help, arguments, the function that runs it) and the parser built from a table of them."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from services.core.config import ConfigError
from services.core.errors import DomainError
from services.core.i18n import translate


@dataclass(frozen=True)
class Arg:
    """One argument of a command: a positional `name` or an `--option`, as argparse takes it."""

    name: str
    help: str = ""
    dest: str = ""
    type: Callable[[str], Any] | None = None
    default: Any = None
    choices: tuple[Any, ...] = ()
    required: bool = False
    switch: bool = False  # an on/off option without a value (store_true)
    one_of: str = ""  # options sharing this name form a required either-or group

    def options(self) -> dict[str, Any]:
        """The keyword arguments of `add_argument`, only those this argument sets."""
        given = {
            "help": self.help or None,
            "dest": self.dest or None,
            "type": self.type,
            "default": self.default,
            "choices": self.choices or None,
            "required": self.required or None,
            "action": "store_true" if self.switch else None,
        }
        return {key: value for key, value in given.items() if value is not None}


@dataclass(frozen=True)
class Command:
    """A `manage.py` command: its name, the line `--help` shows, where its function lives, its arguments."""

    name: str
    help: str
    run: str  # "module:function", imported when the command runs; the function returns the exit code
    args: tuple[Arg, ...] = ()

    def function(self) -> Callable[[argparse.Namespace], int]:
        """The function that runs this command (importing its module now)."""
        module, name = self.run.split(":")
        return cast(Callable[[argparse.Namespace], int], getattr(importlib.import_module(module), name))


def build_parser(commands: Sequence[Command], *, description: str | None = None) -> argparse.ArgumentParser:
    """One sub-parser per command of the table, in its order."""
    parser = argparse.ArgumentParser(prog="manage.py", description=description)
    sub = parser.add_subparsers(dest="command", required=True)
    for command in commands:
        p = sub.add_parser(command.name, help=command.help, description=command.help)
        groups: dict[str, argparse._MutuallyExclusiveGroup] = {}
        for arg in command.args:
            if arg.one_of and arg.one_of not in groups:
                groups[arg.one_of] = p.add_mutually_exclusive_group(required=True)
            (groups[arg.one_of] if arg.one_of else p).add_argument(arg.name, **arg.options())
        p.set_defaults(command_entry=command)
    return parser


def dispatch(
    commands: Sequence[Command],
    argv: Sequence[str] | None = None,
    *,
    description: str | None = None,
    before_run: Callable[[], None] | None = None,
) -> int:
    """Parse `argv` against the table and run the chosen command; a settings or domain error prints and exits 2."""
    args = build_parser(commands, description=description).parse_args(argv)
    if before_run is not None:
        before_run()
    try:
        return int(args.command_entry.function()(args))
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 2
    except DomainError as err:
        print(translate(err.key, "en", **err.params), file=sys.stderr)
        return 2
