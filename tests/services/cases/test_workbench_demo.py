"""The workbench on the demo city, as the field day met it: the police liaison's 待办, and warnings that agree with
the dashboard for the same actor."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel, col, select

from models import Case, Organisation, OrgKind, User
from services.access.accounts import load_actor
from services.access.authz import case_in_scope_clause, scope_org_ids
from services.cases import states, warnings, workbench
from services.core import clock
from services.core.bootstrap import ensure_reference_data
from services.core.db import make_database
from services.demo import seed as demo
from tests.case_factories import succeeded_case
from tests.conftest import ENGINES
from tests.factories import make_actor
from tests.services.cases.test_warnings import assert_same_warnings


@pytest.fixture(scope="module", params=ENGINES)
def city(request, tmp_path_factory):
    """One demo city of 200 cases per engine (seeding is the slow part), with its sign-ins."""
    folder = tmp_path_factory.mktemp("demo")
    if request.param == "sqlite":
        shutil.copy(request.getfixturevalue("sqlite_template"), folder / "demo.db")
        db = make_database(f"sqlite:///{folder / 'demo.db'}")
    else:
        db = make_database(request.getfixturevalue("pg_url"))
        names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        with db.write_engine.begin() as c:
            c.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        with db.write() as s:
            ensure_reference_data(s)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(demo, "LOGINS_FILE", folder / "data" / "demo_logins.txt")
        demo.seed_demo(db, cases=200, seed=7, password="demo-passphrase-2026", progress=lambda _d, _t: None)
    yield db
    db.dispose()


def _actor(s, username):
    user = s.exec(select(User).where(User.username == username)).one()
    actor = load_actor(s, user.id)
    assert actor is not None
    return actor


def test_demo_police_liaison_sees_the_grade_audit_first_and_the_rest_under_all(city):
    with city.write() as s:
        police = _actor(s, "police")
        room = s.exec(
            select(Organisation).where(
                col(Organisation.id).in_(scope_org_ids(police)), Organisation.kind == OrgKind.POLICE_ROOM
            )
        ).first()
        room_mediator = make_actor(s, room, ["mediator"])
    audit = succeeded_case(city, room_mediator)
    with city.read() as s:
        todo = workbench.list_cards(s, actor=police, limit=100)
        everything = workbench.list_cards(s, actor=police, view="all", limit=100)
    assert todo and all(c.next_action != "view" for c in todo)
    assert todo[0].id == audit.id and todo[0].next_action == "grade"
    actionable = [c.id for c in everything if c.next_action != "view"]
    assert sorted(actionable) == sorted(c.id for c in todo)
    assert len(everything) > len(todo)  # the hand-overs it only views live under 全部


def test_demo_village_mediator_todo_holds_only_next_steps(city):
    with city.read() as s:
        mediator = _actor(s, "mediator")
        todo = workbench.list_cards(s, actor=mediator, limit=100)
        everything = workbench.list_cards(s, actor=mediator, view="all", limit=100)
    assert todo and all(c.next_action != "view" for c in todo) and all(c.status in states.ACTIVE for c in todo)
    assert {c.id for c in everything if c.next_action != "view"} == {c.id for c in todo}
    dues = [c.due for c in todo if c.due is not None]
    assert dues == sorted(dues)  # oldest deadline first


def test_demo_workbench_and_dashboard_show_the_same_warnings(city):
    today = clock.today()
    with city.write() as s:
        coordinator = _actor(s, "coordinator")
        mine = case_in_scope_clause(coordinator)
        case = s.exec(select(Case).where(mine, col(Case.status).in_(states.MEDIATING)).order_by(col(Case.id))).first()
        warnings.flag_case(s, actor=coordinator, case_id=case.id, flags=["violence"])
    with city.read() as s:
        for username in ("coordinator", "justice"):
            counts, flagged, _ = assert_same_warnings(s, _actor(s, username), today)
            assert counts.high_risk >= 1 and counts.overdue >= 1 and case.id in flagged
