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


def test_report_command_writes_the_workbook_the_page_exports(db, tmp_path, monkeypatch) -> None:
    """`manage.py report --org C1 --period 2026-11` for cron: the same sheets and cell values as the page's export."""
    import io
    from contextlib import contextmanager
    from datetime import date

    from openpyxl import load_workbook

    import cli.report
    from cli.command import dispatch
    from services.stats import reports
    from tests.factories import make_actor, make_tree
    from tests.services.stats.data import case_row, insert_cases

    with db.write() as s:
        tree = make_tree(s)
        actor = make_actor(s, tree["county"], ["coordinator"])
        insert_cases(
            s,
            [
                case_row(tree["v1"], date(2026, 11, 3), status="succeeded"),
                case_row(tree["v2"], date(2026, 11, 9), category="loan", source="phone"),
                case_row(tree["v1"], date(2025, 11, 20), category="contract", source="petition"),
            ],
        )

    @contextmanager
    def test_database():
        yield db

    monkeypatch.setattr(cli.report, "database", test_database)
    out = tmp_path / "reports" / "2026-11.xlsx"
    argv = ["report", "--org", "C1", "--period", "2026-11", "--out", str(out), "--user", actor.username]
    assert dispatch(commands(), argv) == 0
    with db.read() as s:  # the page: the actor's own area, org_id None
        _, page = reports.export_report(s, actor=actor, period=reports.monthly(2026, 11))

    def cells(data: bytes) -> dict[str, list[tuple[object, ...]]]:
        wb = load_workbook(io.BytesIO(data))
        return {ws.title: [tuple(c.value for c in row) for row in ws.iter_rows()] for ws in wb.worksheets}

    written = cells(out.read_bytes())
    assert written == cells(page)
    assert written["分类型统计"][-3][:2] == ("合计", 2)
