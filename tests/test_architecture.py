"""The layering rules of STYLE.md, checked mechanically over the source tree (AST, not text)."""

from __future__ import annotations

import ast
import os
import subprocess
from collections.abc import Callable, Collection, Iterator, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UI_MODULES = {"streamlit", "altair", "streamlit_authenticator", "pages"}
AUTHENTICATOR = "streamlit_authenticator"
# the one st.html call: a stylesheet built from constants and catalogue texts, never stored data
STYLE_ADAPTER = Path("pages/ui/streamlit_texts.py")
QUERY_ADAPTER = Path("pages/ui/db.py")
SKIP_DIRS = {".venv", ".git", "artifacts", "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache"}
QUERY_FUNCTIONS = {"select", "create_engine"}
QUERY_METHODS = {"exec", "execute", "create_engine"}
SQL_MODULES = {"sqlmodel", "sqlalchemy", "sa"}
MAX_LOOSE_SERVICE_MODULES = 12  # beside the domain packages of services/
MAX_FILE_LINES = 600
GENERATED = ("migrations", "versions")  # Alembic revisions: written once, never edited


def python_files(*roots: str) -> Iterator[Path]:
    """Every .py file under the given repo-relative roots (a file root yields itself when it exists)."""
    for root in roots:
        base = ROOT / root
        if base.is_file():
            yield base
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
            yield from (Path(dirpath) / f for f in sorted(filenames) if f.endswith(".py"))


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def rel(path: Path) -> Path:
    return path.relative_to(ROOT)


def imported_modules(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, dotted module) for every import, including importlib.import_module("x") and __import__("x")."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                yield node.lineno, node.module
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                yield node.lineno, node.args[0].value


def ui_imports(tree: ast.AST) -> list[str]:
    return [f"line {line}: {mod}" for line, mod in imported_modules(tree) if mod.split(".")[0] in UI_MODULES]


def raw_html_calls(tree: ast.AST) -> list[str]:
    """unsafe_allow_html=<not False>, st.html(…), components.html(…), and `html` imported from streamlit."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "unsafe_allow_html":
            if not (isinstance(node.value, ast.Constant) and node.value.value is False):
                found.append(f"line {node.value.lineno}: unsafe_allow_html")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "html":
            base = node.func.value
            base_name = base.id if isinstance(base, ast.Name) else getattr(base, "attr", "")
            if base_name in ("st", "streamlit", "components", "v1", "stc"):
                found.append(f"line {node.lineno}: {base_name}.html(")
        elif (
            isinstance(node, ast.ImportFrom)
            and (node.module or "").startswith("streamlit")
            and any(alias.name == "html" for alias in node.names)
        ):
            found.append(f"line {node.lineno}: from {node.module} import html")
    return found


def query_calls(tree: ast.AST) -> list[str]:
    """select(…), create_engine(…), session.exec(…), .execute(…) and sqlmodel.select(…)-style calls."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in QUERY_FUNCTIONS:
            found.append(f"line {node.lineno}: {func.id}(")
        elif isinstance(func, ast.Attribute):
            if func.attr in QUERY_METHODS:
                found.append(f"line {node.lineno}: .{func.attr}(")
            elif func.attr == "select" and isinstance(func.value, ast.Name) and func.value.id in SQL_MODULES:
                found.append(f"line {node.lineno}: {func.value.id}.select(")
    return found


def authenticator_imports(tree: ast.AST) -> list[str]:
    return [f"line {line}: {mod}" for line, mod in imported_modules(tree) if mod.split(".")[0] == AUTHENTICATOR]


def violations(check: Callable[[ast.AST], list[str]], paths: Iterator[Path], skip: Collection[Path] = ()) -> list[str]:
    out = []
    for path in paths:
        if rel(path) in skip:
            continue
        out += [f"{rel(path)} {hit}" for hit in check(parse(path))]
    return out


def ui_sources() -> Iterator[Path]:
    return python_files("pages", "app.py")


# --- the checkers catch what they should (so a green run means something) ---------------------------------


@pytest.mark.parametrize(
    ("check", "source", "hits"),
    [
        (ui_imports, "import streamlit as st\nfrom altair import Chart\nimport pages.ui.i18n\n", 3),
        (ui_imports, "import importlib\nimportlib.import_module('streamlit_authenticator')\n", 1),
        (ui_imports, "from sqlmodel import select\nimport streamlit_extras_not_ui_named\n", 0),
        (raw_html_calls, "st.markdown(x, unsafe_allow_html=True)\nst.html(x)\ncomponents.html(x)\n", 3),
        (raw_html_calls, "st.markdown(x, unsafe_allow_html=False)\nst.text(x)\n", 0),
        (query_calls, "select(Case)\ns.exec(q)\nconn.execute(q)\ncreate_engine(u)\nsqlmodel.select(Case)\n", 5),
        (query_calls, "st.selectbox('a', [1])\nlist_cases(session=s)\n", 0),
        (authenticator_imports, "import streamlit_authenticator as stauth\n", 1),
    ],
)
def test_detect_rule_breaks_in_samples(check: Callable[[ast.AST], list[str]], source: str, hits: int) -> None:
    assert len(check(ast.parse(source))) == hits


# --- the rules over the real tree -----------------------------------------------------------------------


def test_forbid_ui_imports_in_models_and_services() -> None:
    files = list(python_files("models", "services", "web"))  # web/: the light public pages, plain HTML
    assert files, "models/ and services/ hold no Python files"
    assert violations(ui_imports, iter(files)) == []


def test_forbid_scripts_at_pages_top_level() -> None:
    stray = sorted(p.name for p in (ROOT / "pages").glob("*.py") if p.name != "__init__.py")
    assert stray == [], "Streamlit's legacy pages/ routing would serve these without app.py; move them to a subfolder"


def test_forbid_raw_html_in_pages_and_app() -> None:
    assert violations(raw_html_calls, ui_sources(), skip={STYLE_ADAPTER}) == []


def test_never_import_the_authenticator() -> None:
    """streamlit-authenticator is gone: the server sets the sign-in cookie (services.access.cookie, web.signin);
    its cookie component cost 1 MB on every signed-in first load and raced st.rerun()."""
    assert violations(authenticator_imports, python_files(".")) == []


def test_confine_queries_to_ui_db_adapter() -> None:
    assert violations(query_calls, python_files("pages"), skip={QUERY_ADAPTER}) == []


def test_ruff_check_is_clean() -> None:
    """The linter's rules (pyproject [tool.ruff.lint]) hold for the whole tree; `make fmt` fixes most findings."""
    import subprocess
    import sys

    ruff = Path(sys.executable).with_name("ruff")
    if not ruff.exists():
        pytest.skip("ruff is not installed in this environment (requirements-dev.txt)")
    done = subprocess.run(
        [str(ruff), "check", "--output-format", "concise", "."], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout[-3000:]


# --- the shape of services/: no import cycles, few loose modules, no huge files ----------------------------


def service_modules() -> dict[str, Path]:
    """Dotted name → file of every module under services/ (a package is its `__init__.py`)."""
    found = {}
    for path in python_files("services"):
        parts = rel(path).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def service_imports(tree: ast.AST, modules: Collection[str]) -> dict[str, int]:
    """Service module → line of its first import anywhere in the file (inside functions too);
    `from services.x import y` is the module `services.x.y` when there is one, else `services.x`."""
    found: dict[str, int] = {}
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [
                f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module for a in node.names
            ]
        for name in names:
            if name in modules:
                found[name] = min(found.get(name, node.lineno), node.lineno)
    return found


def import_cycles(graph: Mapping[str, Mapping[str, int]]) -> list[list[str]]:
    """Each group of modules that import one another in a circle (Tarjan's strongly connected components),
    as its imports `module:line -> module`."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, {})):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = {stack.pop()}
            while node not in group:
                group.add(stack.pop())
            if len(group) > 1:
                groups.append(
                    [f"{a}:{graph[a][b]} -> {b}" for a in sorted(group) for b in sorted(graph[a]) if b in group]
                )

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def source_files() -> list[Path]:
    """Every Python file git tracks or would track (the whole tree when git is not there), except migrations."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "*.py"],
            cwd=ROOT,
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout.decode()
        paths = [ROOT / name for name in listed.split("\0") if name]
    except (OSError, subprocess.SubprocessError):
        paths = list(python_files("."))
    return [p for p in paths if p.is_file() and rel(p).parts[:2] != GENERATED]


def test_detect_import_cycles_in_samples() -> None:
    modules = {"services.a", "services.b", "services.b.c", "services.d"}
    tree = ast.parse("import services.a\ndef f():\n    from services.b import c, x\n")
    assert service_imports(tree, modules) == {"services.a": 1, "services.b.c": 3, "services.b": 3}
    graph = {"services.a": {"services.b": 3}, "services.b": {"services.a": 7}, "services.d": {"services.a": 1}}
    assert import_cycles(graph) == [["services.a:3 -> services.b", "services.b:7 -> services.a"]]
    assert import_cycles({"services.a": {"services.b": 1}, "services.b": {}}) == []


def test_forbid_import_cycles_among_services() -> None:
    modules = service_modules()
    graph = {name: service_imports(parse(path), modules) for name, path in modules.items()}
    for name, imports in graph.items():
        imports.pop(name, None)
    assert import_cycles(graph) == []


def test_limit_loose_modules_beside_service_packages() -> None:
    loose = sorted(p.name for p in (ROOT / "services").glob("*.py") if p.name != "__init__.py")
    assert len(loose) <= MAX_LOOSE_SERVICE_MODULES, f"put these in domain packages: {loose}"


def test_limit_source_file_length() -> None:
    long = [f"{rel(p)}: {n} lines" for p in source_files() if (n := len(p.read_bytes().splitlines())) > MAX_FILE_LINES]
    assert long == [], f"split these (at most {MAX_FILE_LINES} lines a file)"
