"""The generic admin services: scoped lists, search and filters, masked fields, validated and audited writes."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import col, select

from models import AuditLog, AuthSession, ExpertPool, Mediator, MediatorPosting, Organisation, TrainingRecord, User
from services.access.accounts import load_actor
from services.access.signin import session_key, start_session
from services.admin import entities as admin
from services.admin.entities import ListQuery
from services.admin.forms import FormInvalid, choices
from services.admin.specs import get_spec
from services.core.errors import NotFound, OutOfScope, PermissionDenied
from tests.factories import make_actor, make_tree, make_user


@pytest.fixture
def world(db):
    """Two villages with a mediator each; a coordinator of the county and an editor who sits in village 1."""
    with db.write() as s:
        tree = make_tree(s)
        m1 = Mediator(name="王调解", org_id=tree["v1"].id, phone="13812345678", employment="full_time")
        m2 = Mediator(name="赵调解", org_id=tree["v2"].id, phone="13987654321")
        pool = ExpertPool(code="MED", name="医疗专家库", sector="medical")
        s.add_all([m1, m2, pool])
        s.flush()
        ids = {k: v.id for k, v in tree.items()} | {"m1": m1.id, "m2": m2.id, "pool": pool.id}
        actors = {
            "county": make_actor(s, tree["county"], ["coordinator"]),
            "village": make_actor(s, tree["v1"], ["coordinator"]),
            "mediator": make_actor(s, tree["v1"], ["mediator"]),
            "admin": make_actor(s, tree["root"], ["admin"]),
        }
    return ids, actors


def _names(db, actor, entity, **query):
    with db.read() as s:
        page = admin.list_rows(s, actor=actor, entity=entity, query=ListQuery(**query))
    return {r.cells[get_spec(entity).title_field] for r in page.rows}


def test_list_mediators_scoped_to_subtree(db, world):
    _ids, actors = world
    assert _names(db, actors["county"], "mediator") == {"王调解", "赵调解"}
    assert _names(db, actors["village"], "mediator") == {"王调解"}
    assert _names(db, actors["mediator"], "organisation") == {"东村调委会"}


def test_get_record_out_of_scope_refused_like_missing(db, world):
    ids, actors = world
    with db.read() as s:
        with pytest.raises(OutOfScope) as foreign:
            admin.get_record(s, actor=actors["village"], entity="mediator", record_id=ids["m2"])
        with pytest.raises(NotFound) as missing:
            admin.get_record(s, actor=actors["village"], entity="mediator", record_id=99_999)
    assert foreign.value.key == missing.value.key == "error.admin_not_found"


def test_update_other_village_refused(db, world):
    ids, actors = world
    with db.write() as s, pytest.raises(OutOfScope):
        admin.update_record(
            s, actor=actors["village"], entity="organisation", record_id=ids["v2"], data={"name": "改名"}
        )
    with db.write() as s, pytest.raises(FormInvalid) as err:  # nor move one's own mediator into it
        admin.update_record(
            s, actor=actors["village"], entity="mediator", record_id=ids["m1"], data={"org_id": ids["v2"]}
        )
    assert "org_id" in err.value.errors
    with db.read() as s:
        assert s.get(Organisation, ids["v2"]).name == "西村调委会"
        assert s.get(Mediator, ids["m1"]).org_id == ids["v1"]


def test_mediator_role_cannot_edit(db, world):
    ids, actors = world
    with db.write() as s, pytest.raises(PermissionDenied):
        admin.create_record(
            s,
            actor=actors["mediator"],
            entity="mediator",
            data={"name": "新人", "org_id": ids["v1"], "employment": "part_time", "status": "active"},
        )


def test_list_masks_phone_and_labels_codes(db, world):
    _ids, actors = world
    with db.read() as s:
        page = admin.list_rows(s, actor=actors["county"], entity="mediator", query=ListQuery(search="王"))
    (row,) = page.rows
    assert row.cells["phone"] == "138****5678"
    assert row.cells["org_id"] == "东村调委会"
    assert row.cells["employment"] == "专职"


def test_search_escapes_like_wildcards(db, world):
    _ids, actors = world
    assert _names(db, actors["county"], "mediator", search="%") == set()
    assert _names(db, actors["county"], "mediator", search="_") == set()


def test_filter_organisation_means_subtree(db, world):
    ids, actors = world
    assert _names(db, actors["county"], "mediator", filters={"org_id": ids["town"]}) == {"王调解", "赵调解"}
    assert _names(db, actors["county"], "mediator", filters={"org_id": ids["v2"]}) == {"赵调解"}
    assert _names(db, actors["county"], "organisation", filters={"kind": "court"}) == {"江安县人民法院"}


def test_unknown_filter_refused(db, world):
    _ids, actors = world
    with db.read() as s, pytest.raises(Exception) as err:
        admin.list_rows(s, actor=actors["county"], entity="mediator", query=ListQuery(filters={"phone": "1"}))
    assert err.value.key == "error.admin_field_unknown"


def test_paging_by_cursor_covers_every_row_once(db, world):
    ids, actors = world
    with db.write() as s:
        s.add_all(Mediator(name=f"调解员{i:03d}", org_id=ids["v1"]) for i in range(45))
    seen: list[str] = []
    after = None
    with db.read() as s:
        for _ in range(3):
            got = admin.list_rows(
                s, actor=actors["county"], entity="mediator", query=ListQuery(order="-name", after=after)
            )
            seen += [r.cells["name"] for r in got.rows]
            after = got.after
    assert got.total == 47 and got.pages == 3 and after is None
    assert len(seen) == len(set(seen)) == 47 and seen == sorted(seen, reverse=True)


def test_create_mediator_opens_posting_and_audits(db, world):
    ids, actors = world
    with db.write() as s:
        mid = admin.create_record(
            s,
            actor=actors["county"],
            entity="mediator",
            data={
                "name": " 李新 ",
                "org_id": ids["v2"],
                "employment": "invited",
                "status": "active",
                "phone": "139 1234 5678",
                "specialties": ["medical", "labour"],
                "pools": [ids["pool"]],
                "start_date": date(2024, 3, 1),
            },
        )
    with db.read() as s:
        m = s.get(Mediator, mid)
        assert (m.name, m.phone, m.specialties) == ("李新", "13912345678", ["medical", "labour"])
        postings = s.exec(select(MediatorPosting).where(MediatorPosting.mediator_id == mid)).all()
        assert [(p.org_id, p.start, p.end) for p in postings] == [(ids["v2"], date(2024, 3, 1), None)]
        log = s.exec(select(AuditLog).where(AuditLog.action == "admin.create", AuditLog.entity_id == mid)).one()
        assert log.detail["values"]["phone"] == "139****5678"
        rec = admin.get_record(s, actor=actors["county"], entity="mediator", record_id=mid)
    assert rec.values["pools"] == [ids["pool"]] and "phone" not in rec.values
    assert rec.cells["specialties"] == "医疗纠纷、劳动争议纠纷"


def test_create_reports_every_bad_field(db, world):
    ids, actors = world
    with db.write() as s, pytest.raises(FormInvalid) as err:
        admin.create_record(
            s,
            actor=actors["county"],
            entity="mediator",
            data={
                "name": "",
                "org_id": ids["v1"],
                "employment": "boss",
                "status": "active",
                "phone": "12345",
                "specialties": ["no_such_category"],
            },
        )
    assert {k: v[0] for k, v in err.value.errors.items()} == {
        "name": "error.admin_required",
        "employment": "error.admin_choice_invalid",
        "phone": "error.phone_invalid",
        "specialties": "error.admin_choice_invalid",
    }


def test_rotation_keeps_posting_history(db, world):
    ids, actors = world
    with db.write() as s:
        changed = admin.update_record(
            s, actor=actors["county"], entity="mediator", record_id=ids["m1"], data={"org_id": ids["v2"], "phone": ""}
        )
    assert changed == ["org_id"]  # an empty masked field keeps the stored phone
    with db.read() as s:
        posts = s.exec(
            select(MediatorPosting).where(MediatorPosting.mediator_id == ids["m1"]).order_by(col(MediatorPosting.id))
        ).all()
        assert [p.org_id for p in posts] == [ids["v2"]] and posts[-1].end is None
        assert s.get(Mediator, ids["m1"]).phone == "13812345678"


def test_create_organisation_fills_path_and_rejects_taken_code(db, world):
    ids, actors = world
    with db.write() as s:
        oid = admin.create_record(
            s,
            actor=actors["county"],
            entity="organisation",
            data={
                "code": "v9",
                "name": "南村调委会",
                "kind": "village_committee",
                "parent_id": ids["town"],
                "phone": "0831-7654321",
                "population": 1200,
            },
        )
    with db.read() as s:
        org = s.get(Organisation, oid)
        town = s.get(Organisation, ids["town"])
        assert (org.code, org.path, org.county_id) == ("V9", f"{town.path}{oid}/", ids["county"])
    with db.write() as s, pytest.raises(FormInvalid) as err:
        admin.create_record(
            s,
            actor=actors["county"],
            entity="organisation",
            data={"code": "V1", "name": "重复", "kind": "village_committee", "parent_id": ids["town"]},
        )
    assert err.value.errors == {"code": ("error.admin_taken", {})}


def test_training_session_attendance_counts_hours(db, world):
    ids, actors = world
    with db.write() as s:
        sid = admin.create_record(
            s,
            actor=actors["county"],
            entity="training_session",
            data={
                "topic": "民法典婚姻家庭编",
                "held_on": date(2026, 5, 10),
                "kind": "expert_lecture",
                "hours": 3.5,
                "org_id": ids["county"],
                "attendance": [ids["m1"], ids["m2"]],
            },
        )
        admin.update_record(
            s,
            actor=actors["county"],
            entity="training_session",
            record_id=sid,
            data={"hours": 4.0, "attendance": [ids["m1"]]},
        )
    with db.read() as s:
        records = s.exec(select(TrainingRecord).where(TrainingRecord.session_id == sid)).all()
        page = admin.list_rows(s, actor=actors["county"], entity="training_session")
    assert [(r.mediator_id, r.hours, r.kind) for r in records] == [(ids["m1"], 4.0, "expert_lecture")]
    assert page.rows[0].cells["attendees"] == 1


def test_training_attendance_outside_scope_refused(db, world):
    ids, actors = world
    with db.write() as s, pytest.raises(FormInvalid) as err:
        admin.create_record(
            s,
            actor=actors["village"],
            entity="training_session",
            data={
                "topic": "调解技巧",
                "held_on": date(2026, 5, 10),
                "kind": "organised",
                "org_id": ids["v1"],
                "attendance": [ids["m2"]],
            },
        )
    assert err.value.errors["attendance"][0] == "error.admin_choice_invalid"


def test_user_admin_disables_user_and_ends_sessions(db, world):
    ids, actors = world
    with db.write() as s:
        target = make_user(s, s.get(Organisation, ids["v1"]), ["mediator"], username="target")
        start_session(s, user_id=target.id, key=session_key("target", 1.0e9), client="t")
    with db.write() as s:
        admin.update_record(s, actor=actors["admin"], entity="user", record_id=target.id, data={"active": False})
    with db.read() as s:
        assert s.get(User, target.id).active is False
        assert all(
            a.revoked_at is not None for a in s.exec(select(AuthSession).where(AuthSession.user_id == target.id)).all()
        )
        assert load_actor(s, target.id) is None


def test_user_admin_changes_roles_and_creates_users(db, world):
    ids, actors = world
    with db.read() as s:
        roles = {lbl: v for v, lbl in choices(s, actors["admin"], get_spec("user"), "roles", "en").options}
    with db.write() as s:
        uid = admin.create_record(
            s,
            actor=actors["admin"],
            entity="user",
            data={
                "username": "newbie",
                "display_name": "新人",
                "org_id": ids["v1"],
                "roles": [roles["Mediator"]],
                "password": "a long enough passphrase",
                "active": True,
            },
        )
        admin.update_record(
            s, actor=actors["admin"], entity="user", record_id=uid, data={"roles": [roles["Justice office"]]}
        )
    with db.read() as s:
        actor = load_actor(s, uid)
        page = admin.list_rows(s, actor=actors["admin"], entity="user", query=ListQuery(search="newbie"))
        record = admin.get_record(s, actor=actors["admin"], entity="user", record_id=uid)
    assert actor.roles == {"justice"}
    assert page.rows[0].cells["roles"] == record.cells["roles"] == "司法所/司法局"
    assert record.values["roles"] == [roles["Justice office"]]


def test_user_create_needs_password(db, world):
    ids, actors = world
    with db.write() as s, pytest.raises(FormInvalid) as err:
        admin.create_record(
            s,
            actor=actors["admin"],
            entity="user",
            data={"username": "nopass", "display_name": "x", "org_id": ids["v1"], "roles": []},
        )
    assert set(err.value.errors) == {"roles"}
    with db.write() as s, pytest.raises(FormInvalid) as err:
        admin.create_record(
            s,
            actor=actors["admin"],
            entity="user",
            data={"username": "nopass", "display_name": "x", "org_id": ids["v1"], "roles": [1]},
        )
    assert set(err.value.errors) == {"password"}


def test_admin_cannot_lock_self_out(db, world):
    _ids, actors = world
    with db.write() as s, pytest.raises(Exception) as err:
        admin.update_record(
            s, actor=actors["admin"], entity="user", record_id=actors["admin"].user_id, data={"active": False}
        )
    assert err.value.key == "error.admin_self_lockout"


def test_export_iterates_whole_filtered_list(db, world):
    ids, actors = world
    with db.read() as s:
        rows = list(
            admin.iter_export(
                s, actor=actors["county"], entity="mediator", query=ListQuery(filters={"org_id": ids["v2"]})
            )
        )
    assert [r.cells["name"] for r in rows] == ["赵调解"]
