"""Every kind of case-timeline entry the services write has a label in the catalogue, so the case page never
shows a raw key such as `intake.received` (kinds built in an f-string count by their literal prefix)."""

from __future__ import annotations

import ast

from services.core import i18n
from tests.test_architecture import parse, python_files, rel


def written_kinds() -> dict[str, str]:
    """kind (or 'prefix.*') → where it is written: CaseEvent(kind=...) calls and {"kind": ...} rows beside them."""
    found: dict[str, str] = {}
    for path in python_files("services"):
        for node in ast.walk(parse(path)):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "CaseEvent"):
                continue
            for kw in node.keywords:
                if kw.arg != "kind":
                    continue
                if isinstance(kw.value, ast.Constant):
                    found.setdefault(str(kw.value.value), f"{rel(path)}:{node.lineno}")
                elif isinstance(kw.value, ast.JoinedStr) and isinstance(kw.value.values[0], ast.Constant):
                    found.setdefault(f"{kw.value.values[0].value}*", f"{rel(path)}:{node.lineno}")
    found.setdefault("imported", "services/legacy_import/write.py")  # rows inserted through SQLAlchemy Core
    return found


def test_every_timeline_entry_kind_has_a_chinese_label():
    i18n.catalogue.cache_clear()
    keys = set(i18n.catalogue())
    missing = [
        f"{where}: event.{kind}"
        for kind, where in written_kinds().items()
        if not (
            any(k.startswith(f"event.{kind[:-1]}") for k in keys) if kind.endswith("*") else f"event.{kind}" in keys
        )
    ]
    assert not missing, "timeline entries without a label:\n" + "\n".join(missing)
