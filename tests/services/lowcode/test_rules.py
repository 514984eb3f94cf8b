"""Rules as audited, versioned data: validation, change, history, rollback, conflicts, live effect."""

from __future__ import annotations

import contextlib
import threading

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from models import AuditLog, ChecklistItem, ConfigVersion, Organisation
from services.access.accounts import load_actor
from services.access.permissions import P
from services.cases.deadlines import rules_for
from services.cases.warnings import warning_settings
from services.core import clock
from services.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from services.core.i18n import catalogue
from services.ledger.policy import award_cap_fen, rate_in_force
from services.lowcode import rules
from services.rating.schemes import DEFAULT, effective, scheme_for
from tests.factories import make_actor, make_tree, make_user


@pytest.fixture
def world(db):
    with db.write() as s:
        tree = make_tree(s)
        coordinator = make_actor(s, tree["county"], ["coordinator"])
        mediator_user = make_user(s, tree["v1"], ["mediator"])
        mediator = load_actor(s, mediator_user.id or 0)
    return tree, coordinator, mediator, mediator_user


def _current(db, actor, name):
    with db.read() as s:
        return rules.current(s, actor=actor, name=name)


def _change(db, actor, name, value, base, note=""):
    with db.write() as s:
        return rules.change(s, actor=actor, name=name, value=value, base_version=base, note=note)


@pytest.mark.parametrize(
    ("name", "mutate", "key"),
    [
        ("deadlines", lambda v: v.update(accept_days=0), "rules.error.int_range"),
        ("deadlines", lambda v: v.update(conclude_days=2.5), "rules.error.int_range"),
        ("early_warning", lambda v: v.update(group_min_people=1), "rules.error.int_range"),
        ("subsidy_rates", lambda v: v["rates"].update(simple=-1), "rules.error.int_range"),
        ("subsidy_rates", lambda v: v["rates"].update(major=100), "rules.error.rate_grade"),
        ("subsidy_rates", lambda v: v["rates"].update({"simple@nowhere": 100}), "rules.error.rate_kind"),
        ("rating_schemes", lambda v: v["mediator"]["weights"].update(cases=50), "rules.error.weights_sum"),
        ("rating_schemes", lambda v: v["mediator"]["thresholds"].update({"4": 95}), "error.rating_thresholds"),
        ("checklist", lambda v: v["items"]["seal"].update(label_zh=" "), "rules.error.item_label"),
        ("roles", lambda v: v["roles"]["mediator"]["permissions"].append("case.fly"), "rules.error.permission_unknown"),
        ("roles", lambda v: v["roles"]["admin"]["permissions"].remove("user.admin"), "rules.error.admin_lockout"),
        ("roles", lambda v: v["roles"].pop("police"), "rules.error.role_builtin"),
        (
            "roles",
            lambda v: v["roles"].update({"Bad Code": {"name_zh": "甲", "name_en": "A", "permissions": []}}),
            "rules.error.role_code",
        ),
    ],
)
def test_refuse_invalid_rule_values(db, world, name, mutate, key):
    _, coordinator, _, _ = world
    state = _current(db, coordinator, name)
    value = state.value
    mutate(value)
    with pytest.raises(ValidationFailed) as err, db.write() as s:
        rules.change(s, actor=coordinator, name=name, value=value, base_version=state.version)
    assert err.value.key == key
    with db.read() as s:
        assert rules.latest_version(s, name) == 0


def test_refuse_rules_without_lowcode_permission(db, world):
    _, _, mediator, _ = world
    with pytest.raises(PermissionDenied), db.read() as s:
        rules.current(s, actor=mediator, name="deadlines")


def test_change_deadlines_writes_version_audit_and_live_value(db, world):
    _, coordinator, _, _ = world
    state = _current(db, coordinator, "deadlines")
    assert state.version == 0 and state.value == {"accept_days": 3, "conclude_days": 30, "followup_days": 15}
    new = _change(db, coordinator, "deadlines", {**state.value, "conclude_days": 45}, 0, note="县里新规定")
    assert new.version == 1 and new.value["conclude_days"] == 45
    with db.read() as s:
        assert rules_for(s)["conclude_days"] == 45  # the existing reader sees it
        snap = s.exec(select(ConfigVersion).where(ConfigVersion.key == "rules.deadlines")).one()
        log = s.exec(select(AuditLog).where(AuditLog.action == "rules.change")).one()
        hist = rules.history(s, actor=coordinator, name="deadlines")
    assert snap.version == 1 and snap.value["before"]["conclude_days"] == 30
    assert log.actor_id == coordinator.user_id and log.entity_id == snap.id
    assert log.detail["before"]["conclude_days"] == 30 and log.detail["after"]["conclude_days"] == 45
    assert [(c.path, c.before, c.after) for c in hist[0].changes] == [(("conclude_days",), 30, 45)]
    assert hist[0].note == "县里新规定" and hist[0].created_by == coordinator.display_name


def test_refuse_unchanged_rules(db, world):
    _, coordinator, _, _ = world
    state = _current(db, coordinator, "early_warning")
    with pytest.raises(ValidationFailed, match=r"rules\.error\.unchanged"), db.write() as s:
        rules.change(s, actor=coordinator, name="early_warning", value=state.value, base_version=0)


def test_rollback_applies_old_snapshot_as_new_version(db, world):
    _, coordinator, _, _ = world
    v0 = _current(db, coordinator, "early_warning").value
    _change(db, coordinator, "early_warning", {**v0, "group_min_people": 8}, 0)
    _change(db, coordinator, "early_warning", {**v0, "group_min_people": 12, "repeat_window_days": 30}, 1)
    with db.read() as s:
        assert warning_settings(s)["group_min_people"] == 12
    with db.write() as s:
        back = rules.rollback(s, actor=coordinator, name="early_warning", version=1, base_version=2)
    assert back.version == 3 and back.value == {**v0, "group_min_people": 8}
    with db.read() as s:
        assert warning_settings(s)["group_min_people"] == 8 and warning_settings(s)["keywords"]
        hist = rules.history(s, actor=coordinator, name="early_warning")
        logs = s.exec(select(AuditLog).where(AuditLog.action == "rules.rollback")).all()
    assert [h.version for h in hist] == [3, 2, 1] and hist[0].action == "rollback" and hist[0].from_version == 1
    assert {c.path[0]: (c.before, c.after) for c in hist[0].changes} == {
        "group_min_people": (12, 8),
        "repeat_window_days": (30, 90),
    }
    assert len(logs) == 1 and logs[0].detail["from_version"] == 1
    with pytest.raises(NotFound), db.write() as s:
        rules.rollback(s, actor=coordinator, name="early_warning", version=99, base_version=3)


def test_refuse_concurrent_change_from_same_version(db, world):
    _, coordinator, _, _ = world
    v0 = _current(db, coordinator, "deadlines").value
    _change(db, coordinator, "deadlines", {**v0, "accept_days": 5}, 0)
    with pytest.raises(Conflict) as err, db.write() as s:  # a second editor who also opened version 0
        rules.change(s, actor=coordinator, name="deadlines", value={**v0, "accept_days": 7}, base_version=0)
    assert err.value.key == "rules.error.stale"
    with db.read() as s:
        assert rules_for(s)["accept_days"] == 5


def test_refuse_concurrent_change_by_unique_version(db, world, monkeypatch):
    """Even when both editors pass the version check, the database lets only one become version N."""
    _, coordinator, _, _ = world
    v0 = _current(db, coordinator, "deadlines").value
    _change(db, coordinator, "deadlines", {**v0, "accept_days": 5}, 0)
    monkeypatch.setattr(rules, "latest_version", lambda session, name: 0)
    with pytest.raises(Conflict, match=r"rules\.error\.stale"), db.write() as s:
        rules.change(s, actor=coordinator, name="deadlines", value={**v0, "accept_days": 7}, base_version=0)
    with pytest.raises(IntegrityError), db.write() as s:
        s.add(ConfigVersion(key="rules.deadlines", version=1, value={}))
    with db.read() as s:
        assert rules_for(s)["accept_days"] == 5


def test_change_subsidy_rates_and_award_cap(db, world):
    tree, coordinator, _, _ = world
    state = _current(db, coordinator, "subsidy_rates")
    assert state.value["rates"]["simple"] == 6_000 and state.value["award_cap_fen"] == 200_000
    value = {
        "rates": {**state.value["rates"], "standard": 12_000, "simple@professional": 20_000},
        "award_cap_fen": 300_000,
    }
    value["rates"].pop("complex@petition_room")
    _change(db, coordinator, "subsidy_rates", value, 0)
    today = clock.today()
    with db.read() as s:
        v1 = s.get(Organisation, tree["v1"].id)
        assert rate_in_force(s, grade="standard", org=v1, on=today).amount_fen == 12_000
        assert award_cap_fen(s) == 300_000
        assert _current(db, coordinator, "subsidy_rates").value == value
    with db.write() as s:
        rules.rollback(s, actor=coordinator, name="subsidy_rates", version=0, base_version=1)
    with db.read() as s:
        assert rules.current(s, actor=coordinator, name="subsidy_rates").value == state.value
        assert rate_in_force(s, grade="standard", org=s.get(Organisation, tree["v1"].id), on=today).amount_fen == 10_000


def test_change_rating_scheme_makes_new_default_version(db, world):
    tree, coordinator, _, _ = world
    value = _current(db, coordinator, "rating_schemes").value
    value["mediator"]["weights"].update(cases=30, complaints=0, training=5)
    value["mediator"]["min_cases"] = 8
    _change(db, coordinator, "rating_schemes", value, 0)
    with db.read() as s:
        sc = effective(scheme_for(s, "mediator", DEFAULT, s.get(Organisation, tree["county"].id)))
    assert sc.weights["cases"] == 30 and sc.min_cases == 8 and sc.version == 2


def test_change_checklist_retires_removed_items(db, world):
    _, coordinator, _, _ = world
    value = _current(db, coordinator, "checklist").value
    value["items"].pop("seal")
    value["items"]["village_group"] = {
        "label_zh": "村民小组调解员",
        "label_en": "Group mediator",
        "points": 2,
        "active": True,
        "position": -1,
    }
    _change(db, coordinator, "checklist", value, 0)
    with db.read() as s:
        items = {i.code: i for i in s.exec(select(ChecklistItem)).all()}
    assert items["seal"].active is False and items["village_group"].position == 0
    assert items["village_group"].label_zh == "村民小组调解员"


def test_permission_change_takes_effect_for_signed_in_user(db, world):
    _, coordinator, mediator, mediator_user = world
    assert mediator.can(P.CASE_CREATE)
    value = _current(db, coordinator, "roles").value
    value["roles"]["mediator"]["permissions"].remove(str(P.CASE_CREATE))
    value["roles"]["village_helper"] = {
        "name_zh": "村调信息员",
        "name_en": "Village helper",
        "permissions": [str(P.WORKBENCH), str(P.CASE_VIEW)],
    }
    _change(db, coordinator, "roles", value, 0)
    with db.read() as s:
        again = load_actor(s, mediator_user.id or 0)
        hist = rules.history(s, actor=coordinator, name="roles")
    assert again is not None and not again.can(P.CASE_CREATE) and again.can(P.CASE_VIEW)
    paths = {c.path for c in hist[0].changes}
    assert ("roles", "mediator", "permissions", "case.create") in paths
    assert ("roles", "village_helper") in paths
    with db.write() as s:  # the custom role can be held, and then not removed
        make_user(s, s.get(Organisation, mediator.org_id), ["village_helper"])
    value["roles"].pop("village_helper")
    with pytest.raises(ValidationFailed, match=r"rules\.error\.role_in_use"), db.write() as s:
        rules.change(s, actor=coordinator, name="roles", value=value, base_version=1)


def test_translate_every_permission():
    names = catalogue()
    assert [p for p in P if f"perm.{p.value}" not in names] == []


def test_refuse_one_of_two_simultaneous_changes(db, world, monkeypatch):
    """Two editors save from version 0 at the same moment: exactly one becomes version 1."""
    _, coordinator, _, _ = world
    v0 = _current(db, coordinator, "deadlines").value
    both_checked = threading.Barrier(2)
    original = rules.latest_version

    def checked_together(session, name):
        found = original(session, name)
        with contextlib.suppress(threading.BrokenBarrierError):  # SQLite queues writers: no overlap there
            both_checked.wait(timeout=3)
        return found

    monkeypatch.setattr(rules, "latest_version", checked_together)
    outcomes: list[str] = []

    def edit(days: int) -> None:
        try:
            _change(db, coordinator, "deadlines", {**v0, "accept_days": days}, 0)
            outcomes.append("saved")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=edit, args=(d,)) for d in (5, 7)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=30)
    assert sorted(outcomes) == ["conflict", "saved"]
    with db.read() as s:
        assert rules.latest_version(s, "deadlines") == 1 and rules_for(s)["accept_days"] in (5, 7)
