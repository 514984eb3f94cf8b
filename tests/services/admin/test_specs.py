"""Admin specs are data checked eagerly: stable error ids for broken specs; a new entity needs only a spec."""

from __future__ import annotations

from dataclasses import replace

import pytest

from models import ChecklistItem
from services.access.permissions import P
from services.admin import entities as admin
from services.admin.checks import check_specs
from services.admin.entities import ListQuery
from services.admin.extensions import DISPLAYS, HOOKS
from services.admin.hooks import BUILTIN_HOOKS, register_admin_extensions
from services.admin.specs import REGISTRY, AdminSpec, field_kind
from services.core import checks
from tests.factories import make_actor, make_tree

TINY = AdminSpec(
    entity="checklist_item",
    model="checklistitem",
    title_key="admin.entity.checklist_state",
    icon=":material/rule:",
    view_permission=P.LOWCODE_EDIT,
    edit_permission=P.LOWCODE_EDIT,
    scope="global",
    list_display=("label_zh", "code", "position", "active"),
    list_filter=("active",),
    search_fields=("label_zh", "code"),
    ordering=("position",),
    create_only=("code",),
    form_fields=("label_zh", "label_en", "position", "active"),
    required=("code", "label_zh"),
)


def _ids(spec: AdminSpec) -> set[str]:
    return {p.split(":")[0] for p in check_specs({spec.entity: spec})}


def test_check_builtin_specs_clean():
    assert check_specs() == []
    assert [p for p in checks.run_checks() if p.startswith("spec.")] == []


def test_register_admin_extensions_twice_changes_nothing():
    before = (dict(HOOKS), dict(DISPLAYS))  # the tests' conftest registered them once already, as app.py does
    register_admin_extensions()
    assert (dict(HOOKS), dict(DISPLAYS)) == before
    assert HOOKS["dictionary"] is BUILTIN_HOOKS["dictionary"] and ("mediator", "success_rate") in DISPLAYS


def test_check_reports_unregistered_hook(monkeypatch):
    monkeypatch.delitem(HOOKS, "user")
    assert {p.split(":")[0] for p in check_specs({"user": REGISTRY["user"]})} == {"spec.E012"}


def test_check_reports_misspelt_filter_in_django_words():
    broken = replace(REGISTRY["mediator"], list_filter=("org_id", "catgory"))
    assert check_specs({"mediator": broken}) == [
        "spec.E002: 'mediator.list_filter[1]' refers to 'catgory', which is not a field of mediator"
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"model": "no_such_table"}, "spec.E001"),
        ({"list_display": ("name", "nope")}, "spec.E003"),
        ({"search_fields": ("stars",)}, "spec.E004"),
        ({"ordering": ("-nope",)}, "spec.E005"),
        ({"form_fields": ("name", "nope")}, "spec.E006"),
        ({"readonly_fields": ("nope",)}, "spec.E007"),
        ({"masked_fields": {"phone": "rot13"}}, "spec.E008"),
        ({"masked_fields": {}}, "spec.E009"),
        ({"view_permission": "roster.peek"}, "spec.E010"),
        ({"scope": "village"}, "spec.E011"),
        ({"scope": "org_self"}, "spec.E011"),
        ({"hook": "no_such_hook"}, "spec.E012"),
        ({"choices": {"employment": "enum:no_such"}}, "spec.E013"),
        ({"validators": {"phone": "no_such"}}, "spec.E014"),
        ({"title_key": "admin.entity.nope"}, "spec.E015"),
        ({"list_filter": ("name",)}, "spec.E016"),
        ({"list_display": ("name", "photo")}, "spec.E017"),
        ({"page_size": 1000}, "spec.E020"),
        ({"required": ("name", "stars")}, "spec.E021"),
    ],
)
def test_check_reports_broken_spec_with_stable_id(change, expected):
    assert expected in _ids(replace(REGISTRY["mediator"], **change))


def test_check_reports_registry_key_mismatch():
    assert {p.split(":")[0] for p in check_specs({"other": REGISTRY["mediator"]})} == {"spec.E019"}


def test_manage_check_includes_specs(monkeypatch):
    monkeypatch.setitem(REGISTRY, "mediator", replace(REGISTRY["mediator"], list_filter=("catgory",)))
    assert "spec.E002" in {p.split(":")[0] for p in checks.run_checks()}


def test_field_kinds_come_from_the_model():
    spec = REGISTRY["mediator"]
    kinds = {n: field_kind(spec, n) for n in ("name", "org_id", "specialties", "start_date", "pools", "stars")}
    assert kinds == {
        "name": "text",
        "org_id": "choice",
        "specialties": "multi",
        "start_date": "date",
        "pools": "multi",
        "stars": "int",
    }


def test_new_entity_needs_only_a_spec(db, monkeypatch):
    monkeypatch.setitem(REGISTRY, TINY.entity, TINY)
    assert check_specs() == []
    with db.write() as s:
        actor = make_actor(s, make_tree(s)["county"], ["coordinator"])
        new_id = admin.create_record(
            s,
            actor=actor,
            entity=TINY.entity,
            data={
                "code": "night_phone",
                "label_zh": "夜间值班电话",
                "label_en": "Night phone",
                "position": 99,
                "active": True,
            },
        )
    with db.read() as s:
        page = admin.list_rows(s, actor=actor, entity=TINY.entity, query=ListQuery(search="夜间"))
        assert s.get(ChecklistItem, new_id).label_en == "Night phone"
    assert [(r.id, r.cells["label_zh"], r.cells["active"]) for r in page.rows] == [(new_id, "夜间值班电话", "是")]
