"""Issue 23 item 7: the organisations are a tree (hosts above what is stationed there) with case and mediator counts."""

from __future__ import annotations

from models import Mediator
from services.roster.org_tree import org_tree
from tests.factories import make_actor, make_case, make_tree


def test_organisations_show_as_a_tree_with_cases_and_mediators(db):
    with db.write() as s:
        tree = make_tree(s)
        for org, n in (("v1", 3), ("v2", 1), ("police", 2)):
            for _ in range(n):
                make_case(s, tree[org])
        s.add_all(
            [
                Mediator(name="甲", org_id=tree["v1"].id),
                Mediator(name="乙", org_id=tree["v1"].id),
                Mediator(name="丙", org_id=tree["police"].id),
                Mediator(name="丁", org_id=tree["v2"].id, status="left"),
            ]
        )
        county = make_actor(s, tree["county"], ["coordinator"])
    with db.read() as s:
        nodes = org_tree(s, actor=county)
    assert [(n.code, n.level) for n in nodes] == [
        ("C1", 0),
        ("T1", 1),  # the town before what is stationed at the county
        ("V1", 2),
        ("V2", 2),
        ("P1", 2),  # the police room under the town that hosts it, after the villages
        ("CT1", 1),  # then what is stationed at the county itself, by name
        ("J1", 1),
    ]
    by = {n.code: n for n in nodes}
    assert (by["C1"].cases, by["C1"].mediators) == (6, 3)
    assert (by["T1"].cases, by["T1"].own_cases) == (6, 0)
    assert (by["V1"].own_cases, by["V1"].own_mediators) == (3, 2)
    assert by["V2"].mediators == 0  # a mediator who left is not counted
