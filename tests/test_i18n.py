"""The message catalogue (assets/i18n/*.toml): complete, unique, and covering every key the code uses."""

from __future__ import annotations

import ast
import os
import string
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.core import i18n

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE_FILES = sorted(Path(i18n.CATALOGUE_DIR).glob("*.toml"))
ERROR_BASES = {"DomainError"}  # grown below with every subclass found in services/


def _py_files(*roots: str) -> Iterator[Path]:
    for root in roots:
        base = ROOT / root
        if base.is_file():
            yield base
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = [d for d in dirnames if d != "__pycache__"]
            yield from (Path(dirpath) / f for f in sorted(filenames) if f.endswith(".py"))


def _load(path: Path) -> dict[str, object]:
    with path.open("rb") as fh:
        return tomllib.load(fh)


def _placeholders(text: str) -> set[str]:
    return {field.split(".")[0].split("[")[0] for _, field, _, _ in string.Formatter().parse(text) if field}


def _trees(*roots: str) -> Iterator[tuple[Path, ast.Module]]:
    for path in _py_files(*roots):
        yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _first_str_arg(call: ast.Call) -> str | None:
    if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        return call.args[0].value
    return None


def keys_used_in_ui(trees: list[tuple[Path, ast.Module]]) -> set[tuple[str, str]]:
    """(key, where) for every t("literal", …) call in pages/ and app.py."""
    used = set()
    for path, tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                key = _first_str_arg(node)
                if name == "t" and key:
                    used.add((key, f"{path.relative_to(ROOT)}:{node.lineno}"))
    return used


def keys_used_in_services(trees: list[tuple[Path, ast.Module]]) -> set[tuple[str, str]]:
    """(key, where) for string literals "error.…", DomainError(…)-family first arguments and `key = "…"` in them."""
    bases = set(ERROR_BASES)
    classes: list[tuple[Path, ast.ClassDef]] = []
    for path, tree in trees:
        classes += [(path, n) for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    grown = True
    while grown:  # subclasses of subclasses, across modules, by name
        before = len(bases)
        bases |= {c.name for _, c in classes if any(getattr(b, "id", getattr(b, "attr", "")) in bases for b in c.bases)}
        grown = len(bases) > before

    used = set()
    for path, tree in trees:
        where = str(path.relative_to(ROOT))
        in_fstrings = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                head = node.values[0] if node.values else None
                if isinstance(head, ast.Constant) and str(head.value).startswith("error."):
                    used.add((f"{head.value}*", f"{where}:{node.lineno}"))  # dynamic: some key must have this prefix
            elif id(node) in in_fstrings:
                continue
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("error."):
                if " " not in node.value:
                    used.add((node.value, f"{where}:{node.lineno}"))
            elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in bases:
                key = _first_str_arg(node)
                if key:
                    used.add((key, f"{where}:{node.lineno}"))
    for path, cls in classes:
        if cls.name in bases:
            for stmt in cls.body:
                if (
                    isinstance(stmt, ast.Assign)
                    and any(getattr(t, "id", "") == "key" for t in stmt.targets)
                    and isinstance(stmt.value, ast.Constant)
                    and isinstance(stmt.value.value, str)
                ):
                    used.add((stmt.value.value, f"{path.relative_to(ROOT)}:{stmt.lineno}"))
    return used


def _defined(key: str, known: set[str]) -> bool:
    if key.endswith("*"):
        return any(k.startswith(key[:-1]) for k in known)
    return key in known


def test_find_catalogue_files() -> None:
    assert CATALOGUE_FILES, f"no catalogue in {i18n.CATALOGUE_DIR}"


@pytest.mark.parametrize("path", CATALOGUE_FILES, ids=lambda p: p.name)
def test_give_every_entry_zh_and_en(path: Path) -> None:
    bad = []
    for key, entry in _load(path).items():
        if not isinstance(entry, dict) or set(entry) != {"zh", "en"}:
            bad.append(f"{key}: must be {{ zh = …, en = … }} (quote dotted keys), got {entry!r:.60}")
        elif not all(isinstance(entry[f], str) and entry[f].strip() for f in ("zh", "en")):
            bad.append(f"{key}: empty zh or en")
    assert bad == []


@pytest.mark.parametrize("path", CATALOGUE_FILES, ids=lambda p: p.name)
def test_match_placeholders_between_languages(path: Path) -> None:
    bad = []
    for key, entry in _load(path).items():
        if isinstance(entry, dict) and isinstance(entry.get("zh"), str) and isinstance(entry.get("en"), str):
            zh, en = _placeholders(entry["zh"]), _placeholders(entry["en"])
            if zh != en:
                bad.append(f"{key}: zh {sorted(zh)} vs en {sorted(en)}")
    assert bad == []


def test_define_each_key_once() -> None:
    seen: dict[str, str] = {}
    twice = []
    for path in CATALOGUE_FILES:
        for key in _load(path):
            if key in seen:
                twice.append(f"{key}: {seen[key]} and {path.name}")
            seen[key] = path.name
    assert twice == []
    i18n.catalogue.cache_clear()
    assert set(i18n.catalogue()) == set(seen)  # the loader itself accepts the catalogue


def test_refuse_duplicate_key_in_loader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.toml").write_text('"x.y" = { zh = "甲", en = "A" }\n', encoding="utf-8")
    (tmp_path / "b.toml").write_text('"x.y" = { zh = "乙", en = "B" }\n', encoding="utf-8")
    monkeypatch.setattr(i18n, "CATALOGUE_DIR", tmp_path)
    i18n.catalogue.cache_clear()
    try:
        with pytest.raises(ValueError, match=r"x\.y"):
            i18n.catalogue()
    finally:
        i18n.catalogue.cache_clear()


def test_find_keys_in_sample_code() -> None:
    ui = ast.parse('t("home.title")\nui.t("a.b", n=1)\nt(name)\nst.write("x")\n')
    services = ast.parse(
        "class Oops(DomainError):\n    key = 'error.oops'\n"
        "class Worse(Oops):\n    pass\n"
        "raise Worse('case.closed')\nmsg = 'error.plain'\nraise Oops(f'error.needs_{field}')\n"
    )
    assert {k for k, _ in keys_used_in_ui([(ROOT / "x.py", ui)])} == {"home.title", "a.b"}
    assert {k for k, _ in keys_used_in_services([(ROOT / "y.py", services)])} == {
        "error.oops",
        "case.closed",
        "error.plain",
        "error.needs_*",
    }


def test_define_every_key_the_code_uses() -> None:
    i18n.catalogue.cache_clear()
    known = set(i18n.catalogue())
    used = keys_used_in_ui(list(_trees("pages", "app.py"))) | keys_used_in_services(list(_trees("services")))
    first_use: dict[str, str] = {}
    for key, where in sorted(used):
        first_use.setdefault(key, where)
    missing = [f"{key}  ({where})" for key, where in first_use.items() if not _defined(key, known)]
    assert not missing, f"{len(missing)} key(s) used in code but not in assets/i18n/*.toml:\n" + "\n".join(missing)
