"""The command table of `manage.py` (cli/): every command declared with help, listed by --help and in the README."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from cli.registry import commands

ROOT = Path(__file__).resolve().parent.parent
README_ROW = re.compile(r"^\| `([a-z][a-z-]*)[^`]*` \|", re.MULTILINE)


def readme_commands() -> list[str]:
    """The command names of the README's '## Commands' table, in its order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Commands\n", 1)[1].split("\n## ", 1)[0]
    return README_ROW.findall(section)


def test_declare_help_for_every_command_and_argument() -> None:
    table = commands()
    assert len({c.name for c in table}) == len(table), "a command name is declared twice"
    assert [c.name for c in table if not c.help.strip()] == []
    assert [f"{c.name} {a.name}" for c in table for a in c.args if not a.help.strip()] == []


def test_list_every_command_in_help() -> None:
    done = subprocess.run(
        [sys.executable, "manage.py", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    listed = set(re.findall(r"^ {4}([a-z][a-z-]*)(?: |$)", done.stdout, re.MULTILINE))
    assert listed == {c.name for c in commands()}


def test_list_every_command_in_readme() -> None:
    documented = readme_commands()
    assert len(documented) == len(set(documented)), "the README lists a command twice"
    assert set(documented) == {c.name for c in commands()}


def test_resolve_every_command_to_its_function() -> None:
    """Each command names a function that exists (the table imports none of them until the command runs)."""
    assert [c.name for c in commands() if not callable(c.function())] == []
