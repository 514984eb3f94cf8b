"""Organisation tree: moving a subtree keeps its history, paths, depths and county ids (cases included)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from models import Case, Organisation, OrgHistory
from services.admin import entities as admin
from services.core.errors import OutOfScope, PermissionDenied, ValidationFailed
from services.roster import orgs
from tests.factories import make_actor, make_case, make_tree


@pytest.fixture
def region(db):
    with db.write() as s:
        tree = make_tree(s)
        c2 = orgs.create_org(s, code="C2", name="长宁县", kind="county", parent=tree["root"])
        t2 = orgs.create_org(s, code="T2", name="双河镇", kind="town", parent=c2)
        case = make_case(s, tree["v1"])
        ids = {k: v.id for k, v in tree.items()} | {"c2": c2.id, "t2": t2.id, "case": case.id}
        ids["admin"] = make_actor(s, tree["root"], ["admin"])
        ids["coord1"] = make_actor(s, tree["county"], ["coordinator"])
        ids["mediator"] = make_actor(s, tree["v1"], ["mediator"])
    return ids


def test_move_town_moves_subtree_and_county(db, region):
    with db.write() as s:
        orgs.move_org(s, actor=region["admin"], org_id=region["town"], parent_id=region["c2"])
    with db.read() as s:
        c2, town, v1 = (s.get(Organisation, region[k]) for k in ("c2", "town", "v1"))
        assert town.parent_id == c2.id and town.path == f"{c2.path}{town.id}/" and town.depth == 2
        assert v1.path == f"{town.path}{v1.id}/" and v1.depth == 3
        assert {
            o.county_id for o in s.exec(select(Organisation).where(Organisation.path.startswith(town.path))).all()
        } == {c2.id}
        assert s.get(Case, region["case"]).county_id == c2.id
        assert s.get(Organisation, region["court"]).county_id == region["county"]  # siblings untouched
        history = s.exec(select(OrgHistory).where(OrgHistory.org_id == town.id)).one()
        assert (history.field, history.old_value, history.new_value) == ("parent", "C1", "C2")


def test_move_within_county_keeps_county_ids(db, region):
    with db.write() as s:
        orgs.move_org(s, actor=region["admin"], org_id=region["v1"], parent_id=region["county"])
    with db.read() as s:
        v1 = s.get(Organisation, region["v1"])
        assert (v1.depth, v1.county_id) == (2, region["county"])
        assert s.get(Case, region["case"]).county_id == region["county"]


@pytest.mark.parametrize("target", ["v1", "town"])
def test_move_under_own_subtree_refused(db, region, target):
    with db.write() as s, pytest.raises(ValidationFailed) as err:
        orgs.move_org(s, actor=region["admin"], org_id=region["town"], parent_id=region[target])
    assert err.value.key == "error.org_move_cycle"


def test_move_outside_scope_or_without_permission_refused(db, region):
    with db.write() as s, pytest.raises(OutOfScope):
        orgs.move_org(s, actor=region["coord1"], org_id=region["town"], parent_id=region["c2"])
    with db.write() as s, pytest.raises(PermissionDenied):
        orgs.move_org(s, actor=region["mediator"], org_id=region["v1"], parent_id=region["v2"])


def test_admin_update_moves_and_renames_with_history(db, region):
    with db.write() as s:
        changed = admin.update_record(
            s,
            actor=region["admin"],
            entity="organisation",
            record_id=region["v1"],
            data={"name": "东村人民调解委员会", "parent_id": region["t2"]},
        )
    assert changed == ["name", "parent_id"]
    with db.read() as s:
        rec = admin.get_record(s, actor=region["admin"], entity="organisation", record_id=region["v1"])
        assert s.get(Organisation, region["v1"]).county_id == region["c2"]
    (history,) = [i for i in rec.inlines if i.model == "orghistory"]
    assert {(r["field"], r["old_value"], r["new_value"]) for r in history.rows} == {
        ("上级组织", "T1", "T2"),
        ("名称", "东村调委会", "东村人民调解委员会"),
    }


def test_county_kind_cannot_change(db, region):
    from services.admin.forms import FormInvalid

    with db.write() as s, pytest.raises(FormInvalid) as err:
        admin.update_record(
            s, actor=region["admin"], entity="organisation", record_id=region["c2"], data={"kind": "town"}
        )
    assert err.value.errors == {"kind": ("error.org_kind_fixed", {})}
