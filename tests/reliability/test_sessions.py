"""DB-9 session-per-rerun hygiene: no ORM object is ever kept in st.session_state (a static scan of pages/, and
the live session state after 200 reruns over every page a mediator and a coordinator see), and the app's pooled
connections are all back in the pool afterwards (0 leaked; the pool never grows past its limit)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlmodel import SQLModel

from pages.nav import PAGES
from pages.ui.db import _database
from services.access.permissions import BUILTIN_ROLES
from tests.factories import make_tree, make_user
from tests.reliability.helpers import file_case

ROOT = Path(__file__).resolve().parents[2]
RERUNS = 200
QUERY_CALLS = {"exec", "get", "first", "one", "one_or_none", "all", "scalar", "scalars"}


def _is_state(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute | ast.Subscript) and "session_state" in ast.unparse(node)


def orm_into_state(tree: ast.AST) -> list[int]:
    """Lines that put a query result straight into st.session_state."""
    hits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(_is_state(t) for t in node.targets):
            value = node.value
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "setdefault"
            and "session_state" in ast.unparse(node.func.value)
            and len(node.args) == 2
        ):
            value = node.args[1]
        else:
            continue
        calls = [n for n in ast.walk(value) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)]
        if any(
            c.func.attr in QUERY_CALLS
            and "session_state" not in ast.unparse(c.func.value)  # type: ignore[attr-defined]
            and not ast.unparse(c.func.value).startswith(("st.", "dict", "{", "params", "query"))
            for c in calls
        ):  # type: ignore[attr-defined]
            hits.append(node.lineno)
    return hits


@pytest.mark.parametrize(
    ("source", "hits"),
    [
        ("st.session_state['case'] = s.get(Case, 1)", 1),
        ("st.session_state.rows = session.exec(select(Case)).all()", 1),
        ("st.session_state.setdefault('c', s.exec(q).first())", 1),
        ("st.session_state['case_id'] = case.id", 0),
        ("st.session_state['lang'] = st.query_params.get('lang')", 0),
        ("st.session_state['x'] = st.session_state.get('y')", 0),
    ],
)
def test_detect_orm_into_session_state_in_samples(source, hits):
    assert len(orm_into_state(ast.parse(source))) == hits


def test_forbid_orm_objects_in_session_state_statically():
    found = [
        f"{p.relative_to(ROOT)}:{line}"
        for p in sorted((ROOT / "pages").rglob("*.py"))
        for line in orm_into_state(ast.parse(p.read_text()))
    ]
    assert found == []


def _orm_values(value: object, depth: int = 0) -> list[str]:
    if isinstance(value, SQLModel) and getattr(value, "__table__", None) is not None:
        return [type(value).__name__]
    if depth > 4:
        return []
    if isinstance(value, dict):
        return [v for x in value.values() for v in _orm_values(x, depth + 1)]
    if isinstance(value, list | tuple | set | frozenset):
        return [v for x in value for v in _orm_values(x, depth + 1)]
    return []


@pytest.fixture
def db(sqlite_db):
    return sqlite_db


@pytest.mark.slow
def test_return_every_connection_after_200_reruns(db, make_app):
    with db.write() as s:
        tree = make_tree(s)
        users = [make_user(s, tree["v1"], ["mediator"]), make_user(s, tree["county"], ["coordinator"])]
    for n in range(5):
        file_case(db, tree["v1"].id or 0, n)
    runs, kept = 0, []
    apps = []
    for user, role in zip(users, ("mediator", "coordinator"), strict=True):
        perms = BUILTIN_ROLES[role][2]
        at = make_app(user=user)
        at.run()
        apps.append(at)
        pages = [f"pages/{p.file}" for p in PAGES if p.permission is None or p.permission in perms]
        # every page once, then plain reruns of the account page (a rerun is what each click causes)
        visits = pages + ["pages/staff/account.py"] * (RERUNS // 2 - len(pages))
        for i, path in enumerate(visits):
            if i <= len(pages):
                at.switch_page(path)
            at.run()
            runs += 1
            assert not at.exception, (path, at.exception)
            state = at.session_state._state.filtered_state  # everything the pages stored for this session
            kept += [f"{path}: {k} → {v}" for k, value in state.items() for v in _orm_values(value)]
    app_db = _database(db.url)
    pools = [app_db.read_engine.pool, app_db.write_engine.pool]
    out = [p.checkedout() for p in pools]  # type: ignore[attr-defined]
    idle = [p.checkedin() for p in pools]  # type: ignore[attr-defined]
    print(
        f"DB-9: {runs} reruns, ORM objects in session state {len(kept)}, connections checked out {out}, "
        f"idle in pool {idle}"
    )
    assert runs == RERUNS and kept == []
    assert out == [0, 0]
    assert all(n <= p.size() + 10 for n, p in zip(idle, pools, strict=True))  # type: ignore[attr-defined]
