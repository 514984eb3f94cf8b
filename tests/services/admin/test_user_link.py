"""Issue 23 item 7: a user account is linked to its mediator roster entry; both records show it; the admin sets it."""

from __future__ import annotations

import pytest
from sqlmodel import select

from models import AuditLog, Mediator, Organisation
from services.admin import entities as admin
from services.admin.entities import ListQuery
from services.admin.forms import FormInvalid
from tests.factories import make_actor, make_tree, make_user


@pytest.fixture
def world(db):
    with db.write() as s:
        tree = make_tree(s)
        m1 = Mediator(name="王调解", org_id=tree["v1"].id, phone="13812345678")
        m2 = Mediator(name="赵调解", org_id=tree["v2"].id)
        s.add_all([m1, m2])
        s.flush()
        wang = make_user(s, tree["v1"], ["mediator"], username="wang")
        zhao = make_user(s, tree["v2"], ["mediator"], username="zhao")
        return {
            "m1": m1.id,
            "m2": m2.id,
            "wang": wang.id,
            "zhao": zhao.id,
            "admin": make_actor(s, tree["root"], ["admin"]),
            "county": make_actor(s, tree["county"], ["coordinator"]),
        }


def test_admin_links_user_to_mediator_and_both_records_show_it(db, world):
    with db.write() as s:
        admin.update_record(
            s, actor=world["admin"], entity="user", record_id=world["wang"], data={"mediator": world["m1"]}
        )
    with db.read() as s:
        assert s.get(Mediator, world["m1"]).user_id == world["wang"]
        user = admin.get_record(s, actor=world["admin"], entity="user", record_id=world["wang"])
        users = admin.list_rows(s, actor=world["admin"], entity="user", query=ListQuery(search="wang"))
        mediator = admin.get_record(s, actor=world["county"], entity="mediator", record_id=world["m1"])
        logged = s.exec(select(AuditLog).where(AuditLog.action == "user.link_mediator")).all()
    assert user.values["mediator"] == world["m1"]
    assert "王调解" in str(user.cells["mediator"]) and "王调解" in str(users.rows[0].cells["mediator"])
    assert "wang" in str(mediator.cells["account"])
    assert len(logged) == 1


def test_relinking_moves_the_link_and_a_taken_entry_is_refused(db, world):
    with db.write() as s:
        admin.update_record(
            s, actor=world["admin"], entity="user", record_id=world["wang"], data={"mediator": world["m1"]}
        )
        admin.update_record(
            s, actor=world["admin"], entity="user", record_id=world["wang"], data={"mediator": world["m2"]}
        )
    with db.read() as s:
        assert s.get(Mediator, world["m1"]).user_id is None and s.get(Mediator, world["m2"]).user_id == world["wang"]
    with db.write() as s, pytest.raises(FormInvalid) as err:
        admin.update_record(
            s, actor=world["admin"], entity="user", record_id=world["zhao"], data={"mediator": world["m2"]}
        )
    assert err.value.errors["mediator"][0] == "error.mediator_linked_elsewhere"
    with db.write() as s:
        admin.update_record(s, actor=world["admin"], entity="user", record_id=world["wang"], data={"mediator": None})
    with db.read() as s:
        assert s.exec(select(Mediator).where(Mediator.user_id == world["wang"])).first() is None
        assert s.exec(select(Organisation)).first() is not None
