from __future__ import annotations

import itertools

import pytest
from sqlmodel import select

from models import Case, CaseEvent, CaseStatus
from services.errors import Conflict, OutOfScope, PermissionDenied, ValidationFailed
from services.permissions import BUILTIN_ROLES
from services.workflow import BY_ACTION, TRANSITIONS, transition
from tests.factories import make_actor, make_case, make_tree

EXTRA = {"reject": {"reason": "not_suitable"}, "fail": {"diversion": "litigation"}}


def test_transition_happy_path_writes_timeline(db):
    with db.write() as s:
        tree = make_tree(s)
        actor = make_actor(s, tree["v1"], ["mediator"])
        case = make_case(s, tree["v1"])
    for action in ("accept", "start", "succeed", "follow_up", "archive"):
        with db.write() as s:
            transition(s, actor=actor, case_id=case.id, action=action, data=EXTRA.get(action))
    with db.read() as s:
        c = s.get(Case, case.id)
        kinds = [e.kind for e in s.exec(select(CaseEvent).where(CaseEvent.case_id == case.id)
                                        .order_by(CaseEvent.id)).all()]
    assert c.status == CaseStatus.ARCHIVED and c.version == 6
    assert kinds == ["created", "transition.accept", "transition.start", "transition.succeed",
                     "transition.follow_up", "transition.archive"]


@pytest.mark.parametrize("role", sorted(BUILTIN_ROLES))
def test_transition_table_enumerated_for_role(db, role):
    """Every (state, action) pair: allowed exactly when the table and the role's permissions say so."""
    perms = BUILTIN_ROLES[role][2]
    with db.write() as s:
        tree = make_tree(s)
        actor = make_actor(s, tree["v1"] if role != "admin" else tree["root"], [role])
    for state, t in itertools.product(list(CaseStatus), TRANSITIONS):
        with db.write() as s:
            case = make_case(s, s.get(type(tree["v1"]), tree["v1"].id))
            case.status = state
            s.add(case)
        expected = state in t.sources and t.permission in perms
        try:
            with db.write() as s:
                transition(s, actor=actor, case_id=case.id, action=t.action, data=EXTRA.get(t.action))
            happened = True
        except (Conflict, PermissionDenied):
            happened = False
        assert happened == expected, (role, state, t.action)


def test_transition_needs_reason_and_diversion(db):
    with db.write() as s:
        tree = make_tree(s)
        actor = make_actor(s, tree["v1"], ["mediator"])
        case = make_case(s, tree["v1"])
    with pytest.raises(ValidationFailed) as err:
        with db.write() as s:
            transition(s, actor=actor, case_id=case.id, action="reject")
    assert err.value.key == "error.transition_needs_reason"
    assert BY_ACTION["fail"].needs == ("diversion",)


def test_transition_refuses_other_village_and_stale_version(db):
    with db.write() as s:
        tree = make_tree(s)
        other = make_actor(s, tree["v2"], ["mediator"])
        actor = make_actor(s, tree["v1"], ["mediator"])
        case = make_case(s, tree["v1"])
    with pytest.raises(OutOfScope):
        with db.write() as s:
            transition(s, actor=other, case_id=case.id, action="accept")
    with pytest.raises(Conflict):
        with db.write() as s:
            transition(s, actor=actor, case_id=case.id, action="accept", expected_version=99)
