from __future__ import annotations

import itertools

import pytest
from sqlmodel import select

from models import Agreement, Case, CaseEvent, CaseStatus, FollowUp, JointParticipant, Organisation, Referral
from models.base import utc_now
from services.access.permissions import BUILTIN_ROLES
from services.cases.workflow import BY_ACTION, TRANSITIONS, WORK, allowed_actions, transition
from services.core.errors import Conflict, OutOfScope, PermissionDenied, ValidationFailed
from tests.factories import make_actor, make_case, make_tree

EXTRA = {
    "reject": {"reason": "not_suitable"},
    "fail": {"diversion": "litigation"},
    "reopen": {"reason": "x"},
    "succeed": {"grade": "simple"},
}


def _case_in(db, org_id, state):
    """A case at `state` with a real agreement and a done follow-up, so data-needing actions can be tried."""
    with db.write() as s:
        case = make_case(s, s.get(Organisation, org_id))
        case.status = state
        s.add(case)
        s.flush()
        agreement = Agreement(case_id=case.id, kind="oral", terms="当场和解")
        fu = FollowUp(case_id=case.id, done_at=utc_now(), satisfaction=5, agreement_holds=True)
        s.add(agreement), s.add(fu)
        s.flush()
        return case, {"agreement_id": agreement.id, "followup_id": fu.id}


def _try(db, actor, case_id, action, data):
    try:
        with db.write() as s:
            return transition(s, actor=actor, case_id=case_id, action=action, data=data).status
    except (Conflict, PermissionDenied):
        return None


def test_transition_happy_path_writes_timeline(db):
    with db.write() as s:
        tree = make_tree(s)
        actor = make_actor(s, tree["v1"], ["mediator"])
    case, ids = _case_in(db, tree["v1"].id, CaseStatus.SUBMITTED)
    for action in ("accept", "start", "succeed", "follow_up", "archive"):
        with db.write() as s:
            transition(s, actor=actor, case_id=case.id, action=action, data={**ids, **EXTRA.get(action, {})})
    with db.read() as s:
        c = s.get(Case, case.id)
        kinds = [
            e.kind for e in s.exec(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)).all()
        ]
    assert c.status == CaseStatus.ARCHIVED and c.version == 6 and c.grade_proposed == "simple"
    assert kinds == [
        "created",
        "transition.accept",
        "transition.start",
        "transition.succeed",
        "transition.follow_up",
        "transition.archive",
    ]


@pytest.mark.parametrize("role", sorted(BUILTIN_ROLES))
def test_transition_table_enumerated_for_role(db, role):
    """Every (state, action): allowed exactly when the table and the role's permissions say so; and every
    (from, to) state pair that no permitted transition joins is never crossed."""
    perms = BUILTIN_ROLES[role][2]
    with db.write() as s:
        tree = make_tree(s)
        actor = make_actor(s, tree["v1"] if role != "admin" else tree["root"], [role])
    reached: set[tuple[str, str]] = set()
    for state, t in itertools.product(list(CaseStatus), TRANSITIONS):
        case, ids = _case_in(db, tree["v1"].id, state)
        expected = state in t.sources and t.permission in perms
        after = _try(db, actor, case.id, t.action, {**ids, **EXTRA.get(t.action, {})})
        assert (after is not None) == expected, (role, state, t.action)
        if after is not None:
            reached.add((state, after))
    for a, b in itertools.product(list(CaseStatus), repeat=2):
        in_table = any(a in t.sources and t.target == b and t.permission in perms for t in TRANSITIONS)
        assert ((a, b) in reached) == in_table, (role, a, b)


def test_participants_take_only_work_actions_and_senders_none(db):
    """A coordinating organisation may start mediation but never close; the sender of a hand-over may do nothing."""
    with db.write() as s:
        tree = make_tree(s)
        lead = make_actor(s, tree["v1"], ["mediator"])  # noqa: F841 (the lead exists)
        partner = make_actor(s, tree["v2"], ["mediator"])
        sender = make_actor(s, tree["police"], ["mediator"])
    for state, t in itertools.product(list(CaseStatus), TRANSITIONS):
        case, ids = _case_in(db, tree["v1"].id, state)
        with db.write() as s:
            s.add(JointParticipant(case_id=case.id, org_id=tree["v1"].id, role="lead"))
            s.add(JointParticipant(case_id=case.id, org_id=tree["v2"].id, role="coordinating"))
            s.add(Referral(case_id=case.id, from_org_id=tree["police"].id, to_org_id=tree["v1"].id, status="accepted"))
        data = {**ids, **EXTRA.get(t.action, {})}
        try:
            with db.write() as s:
                transition(s, actor=partner, case_id=case.id, action=t.action, data=data)
            partner_ok = True
        except (Conflict, OutOfScope):
            partner_ok = False
        assert partner_ok == (state in t.sources and t.scope == WORK), (state, t.action)
        with pytest.raises(OutOfScope), db.write() as s:
            transition(s, actor=sender, case_id=case.id, action=t.action, data=data)


def test_allowed_actions_follow_relation(db):
    with db.write() as s:
        tree = make_tree(s)
        actor = make_actor(s, tree["v1"], ["mediator"])
        case = make_case(s, tree["v1"])
        case.status = CaseStatus.ACCEPTED
    assert allowed_actions(case, actor) == ["start", "succeed", "fail", "withdraw"]
    assert allowed_actions(case, actor, relation="work") == ["start"]
    assert allowed_actions(case, actor, relation="visible") == []


def test_transition_needs_data(db):
    with db.write() as s:
        tree = make_tree(s)
        actor = make_actor(s, tree["v1"], ["mediator"])
    case, ids = _case_in(db, tree["v1"].id, CaseStatus.SUBMITTED)
    with pytest.raises(ValidationFailed) as err, db.write() as s:
        transition(s, actor=actor, case_id=case.id, action="reject")
    assert err.value.key == "error.transition_needs_reason"
    assert BY_ACTION["fail"].needs == ("diversion",)
    other, other_ids = _case_in(db, tree["v1"].id, CaseStatus.IN_MEDIATION)
    for action, data, key in (
        ("succeed", {"grade": "simple"}, "error.transition_needs_agreement_id"),
        ("succeed", {"grade": "simple", "agreement_id": ids["agreement_id"]}, "error.agreement_required"),
        ("succeed", {"grade": "heroic", "agreement_id": other_ids["agreement_id"]}, "error.transition_needs_grade"),
        ("fail", {"diversion": "moon"}, "error.transition_needs_diversion"),
    ):
        with pytest.raises(ValidationFailed) as err, db.write() as s:
            transition(s, actor=actor, case_id=other.id, action=action, data=data)
        assert err.value.key == key


def test_transition_refuses_other_village_and_stale_version(db):
    with db.write() as s:
        tree = make_tree(s)
        other = make_actor(s, tree["v2"], ["mediator"])
        actor = make_actor(s, tree["v1"], ["mediator"])
        case = make_case(s, tree["v1"])
    with pytest.raises(OutOfScope), db.write() as s:
        transition(s, actor=other, case_id=case.id, action="accept")
    with pytest.raises(Conflict), db.write() as s:
        transition(s, actor=actor, case_id=case.id, action="accept", expected_version=99)
    with pytest.raises(ValidationFailed), db.write() as s:
        transition(s, actor=actor, case_id=case.id, action="teleport")
