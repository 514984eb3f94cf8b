"""Dependencies: every package the code imports is pinned in requirements*.txt, and the hashed locks that
`make run` / `make test` install from hold exactly those pins (`make lock` writes them)."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_CODE = ["models", "services", "pages", "web", "cli", "migrations", "app.py", "manage.py", "serve.py"]
DEV_CODE = ["tests", "scripts", "bench"]
# the project's own top-level packages and modules; bench/run.py imports its siblings (build, insert, queries)
LOCAL = {"models", "services", "pages", "web", "cli", "tests", "scripts", "bench", "app", "manage", "serve"} | {
    p.stem for p in (ROOT / "bench").glob("*.py")
}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(filename: str) -> dict[str, str]:
    """name -> version of every `name==version` line of a requirements or lock file (not its -r includes)."""
    lines = (ROOT / filename).read_text(encoding="utf-8").splitlines()
    return {_norm(m[1]): m[2] for m in map(PIN.match, lines) if m}


def _imported(paths: list[str]) -> dict[str, str]:
    """Top-level third-party modules imported anywhere under `paths` -> one file that imports it."""
    found: dict[str, str] = {}
    for entry in paths:
        path = ROOT / entry
        for file in [path] if path.suffix == ".py" else sorted(path.rglob("*.py")):
            for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for top in (n.split(".")[0] for n in names):
                    if top not in sys.stdlib_module_names and top not in LOCAL:
                        found.setdefault(top, str(file.relative_to(ROOT)))
    return found


@pytest.mark.parametrize(
    ("code", "pinned_in"),
    [(RUNTIME_CODE, ["requirements.txt"]), (DEV_CODE, ["requirements.txt", "requirements-dev.txt"])],
    ids=["runtime", "dev"],
)
def test_pin_every_imported_package(code: list[str], pinned_in: list[str]) -> None:
    pinned = {name for f in pinned_in for name in _pins(f)}
    dists = packages_distributions()
    unpinned = [
        f"{module} ({', '.join(dists.get(module, ['not installed']))}), imported by {file}"
        for module, file in sorted(_imported(code).items())
        if not any(_norm(d) in pinned for d in dists.get(module, []))
    ]
    assert not unpinned, f"pin these in {' or '.join(pinned_in)}, then `make lock`: {unpinned}"


@pytest.mark.parametrize(
    ("requirements", "lock"),
    [
        ("requirements.txt", "requirements.lock"),
        ("requirements.txt", "requirements-dev.lock"),
        ("requirements-dev.txt", "requirements-dev.lock"),
        ("requirements.lock", "requirements-dev.lock"),
    ],
)
def test_lock_every_pin_at_its_version(requirements: str, lock: str) -> None:
    locked = _pins(lock)
    wrong = {
        name: (version, locked.get(name))
        for name, version in _pins(requirements).items()
        if locked.get(name) != version
    }
    assert not wrong, f"{lock} differs from {requirements} (pinned, locked); run `make lock`: {wrong}"
