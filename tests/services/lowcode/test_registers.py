"""Registers: staff and public entries, scope, replays, limits, list filters, totals, charts and the xlsx export."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from models import FormSubmission
from models.base import utc_now
from models.lowcode import FormPhoto
from services.core.config import get_settings
from services.core.errors import NotFound, OutOfScope, PermissionDenied
from services.core.ratelimit import RateLimited
from services.intake.form import issue_form_token
from services.lowcode import forms, register_views, registers
from services.lowcode.fields import FormInvalid
from services.lowcode.register_views import EntryQuery
from services.roster.orgs import create_org
from tests.factories import make_actor, make_tree
from tests.services.lowcode.test_fields import ID, png

FIELDS = [
    {"key": "day", "type": "date", "label_zh": "日期", "label_en": "Date", "required": True},
    {"key": "place", "type": "text", "label_zh": "地点", "label_en": "Place", "required": True},
    {
        "key": "kind",
        "type": "choice",
        "label_zh": "形式",
        "label_en": "Kind",
        "required": True,
        "options": [
            {"code": "talk", "label_zh": "讲座", "label_en": "Talk"},
            {"code": "stall", "label_zh": "摊点", "label_en": "Stall"},
        ],
    },
    {"key": "people", "type": "number", "label_zh": "人数", "label_en": "People", "required": True},
    {"key": "issue", "type": "yes_no", "label_zh": "有无问题", "label_en": "Any issue", "required": True},
    {
        "key": "issue_note",
        "type": "long_text",
        "label_zh": "问题说明",
        "label_en": "Issue",
        "required": True,
        "condition": {"field": "issue", "equals": "yes"},
    },
    {"key": "contact", "type": "phone", "label_zh": "联系电话", "label_en": "Phone"},
    {"key": "idno", "type": "id_number", "label_zh": "身份证", "label_en": "ID number"},
    {"key": "pics", "type": "photo", "label_zh": "照片", "label_en": "Photos"},
]


@pytest.fixture
def world(db):
    with db.write() as s:
        tree = make_tree(s)
        coordinator = make_actor(s, tree["town"], ["coordinator"])
        forms.create_form(
            s,
            actor=coordinator,
            draft=forms.FormDraft(
                code="village_talks", title_zh="普法讲座", title_en="Law talks", fields=FIELDS, public=True
            ),
        )
        return tree, coordinator, make_actor(s, tree["v1"], ["mediator"]), make_actor(s, tree["v2"], ["mediator"])


def entry(**kw):
    return {"day": "2026-10-05", "place": "东村文化室", "kind": "talk", "people": "40", "issue": "no", **kw}


def test_add_entry_stores_clean_values_and_photos(db, world):
    tree, _, m1, _ = world
    with db.write() as s:
        e = registers.add_entry(
            s,
            actor=m1,
            code="village_talks",
            values=entry(issue="yes", issue_note="村民关心宅基地", idno=ID, pics=[png(), png()]),
        )
    with db.read() as s:
        row = s.get(FormSubmission, e.id)
        assert row.org_id == tree["v1"].id and row.form_version == 1 and row.submitted_by == m1.user_id
        assert row.data["people"] == 40 and row.data["issue"] is True and ID not in str(row.data)
        assert len(registers.entry_photos(s, actor=m1, entry_id=e.id)) == 2


def test_add_entry_drops_hidden_field_and_checks_required(db, world):
    _, _, m1, _ = world
    with db.write() as s:
        e = registers.add_entry(s, actor=m1, code="village_talks", values=entry(issue_note="不该保存"))
        assert "issue_note" not in e.data
    with pytest.raises(FormInvalid) as err, db.write() as s:
        registers.add_entry(s, actor=m1, code="village_talks", values=entry(issue="yes"))
    assert [p.field for p in err.value.problems] == ["issue_note"]


def test_add_entry_refuses_other_village_and_no_permission(db, world):
    tree, _, m1, _ = world
    with pytest.raises(OutOfScope), db.write() as s:
        registers.add_entry(s, actor=m1, code="village_talks", values=entry(), org_id=tree["v2"].id)
    with db.write() as s:
        police = make_actor(s, tree["police"], ["police"])
    with pytest.raises(PermissionDenied), db.write() as s:
        registers.add_entry(s, actor=police, code="village_talks", values=entry())


def test_get_entry_refuses_foreign_and_missing_ids_alike(db, world):
    _, coordinator, m1, m2 = world
    with db.write() as s:
        e = registers.add_entry(s, actor=m1, code="village_talks", values=entry())
    with db.read() as s:
        assert registers.get_entry(s, actor=coordinator, entry_id=e.id).id == e.id  # the town sees its villages
        for missing in (e.id, 10_000_000):
            with pytest.raises((OutOfScope, NotFound)) as err:
                registers.get_entry(s, actor=m2 if missing == e.id else m1, entry_id=missing)
            assert err.value.key == "error.not_found"


def test_submit_public_entry_once_per_token(db, world):
    tree, _, _, _ = world
    token = issue_form_token(utc_now() - timedelta(seconds=20))
    first = registers.submit_public_entry(
        db, code="village_talks", token=token, values=entry(), client="1.2.3.4", org_code="V1"
    )
    again = registers.submit_public_entry(db, code="village_talks", token=token, values=entry(), client="1.2.3.4")
    assert first == again and first.reference == registers.reference(first.entry_id)
    with db.read() as s:
        rows = s.exec(select(FormSubmission).where(FormSubmission.form_code == "village_talks")).all()
    assert len(rows) == 1 and rows[0].org_id == tree["v1"].id and rows[0].submitted_by is None


def test_submit_public_entry_goes_to_owner_without_org(db, world):
    tree, _, _, _ = world
    receipt = registers.submit_public_entry(
        db, code="village_talks", token=issue_form_token(), values=entry(), client="c"
    )
    with db.read() as s:
        assert s.get(FormSubmission, receipt.entry_id).org_id == tree["town"].id


def test_submit_public_entry_refuses_non_public_and_over_limit(db, world, monkeypatch):
    with pytest.raises(NotFound):
        registers.submit_public_entry(db, code="joint_meeting", token=issue_form_token(), values={}, client="c")
    monkeypatch.setenv("MEDIATION_REGISTER_CLIENT_LIMIT", "2/600")
    get_settings.cache_clear()
    for _ in range(2):
        registers.submit_public_entry(db, code="village_talks", token=issue_form_token(), values=entry(), client="x")
    with pytest.raises(RateLimited):
        registers.submit_public_entry(db, code="village_talks", token=issue_form_token(), values=entry(), client="x")
    with db.read() as s:
        assert len(s.exec(select(FormSubmission).where(FormSubmission.form_code == "village_talks")).all()) == 2


def _fill(db, world):
    _, _, m1, m2 = world
    with db.write() as s:
        registers.add_entry(s, actor=m1, code="village_talks", values=entry(people=30, pics=[png()], idno=ID))
        registers.add_entry(
            s,
            actor=m1,
            code="village_talks",
            values=entry(day="2026-11-03", kind="stall", people=12, issue="yes", issue_note="漏水"),
        )
        registers.add_entry(s, actor=m2, code="village_talks", values=entry(day="2026-11-20", place="西村", people=8))


def test_list_entries_scope_filters_search_totals_and_charts(db, world):
    _, coordinator, m1, _ = world
    _fill(db, world)
    with db.read() as s:
        fields = register_views.all_fields(s, registers.get_register(s, "village_talks"))
        everything = register_views.list_entries(s, actor=coordinator, code="village_talks")
        mine = register_views.list_entries(s, actor=m1, code="village_talks")
        stalls = register_views.list_entries(
            s, actor=coordinator, code="village_talks", query=EntryQuery(equals={"kind": "stall"})
        )
        autumn = EntryQuery(date_from=date(2026, 11, 1), date_to=date(2026, 11, 30))
        november = register_views.list_entries(s, actor=coordinator, code="village_talks", query=autumn)
        west = register_views.list_entries(s, actor=coordinator, code="village_talks", query=EntryQuery(search="西村"))
        issues = register_views.list_entries(
            s, actor=coordinator, code="village_talks", query=EntryQuery(equals={"issue": True})
        )
    assert len(everything) == 3 and len(mine) == 2 and len(stalls) == 1 and len(november) == 2
    assert [r.org_name for r in west] == ["西村调委会"] and len(issues) == 1
    assert register_views.totals(fields, everything).sums["people"] == 50
    kind = next(f for f in fields if f.key == "kind")
    assert register_views.chart_by_field(kind, everything, "zh-CN") == [
        {"label": "讲座", "count": 2},
        {"label": "摊点", "count": 1},
    ]
    assert register_views.chart_by_month(everything) == [
        {"month": "2026-10", "count": 1},
        {"month": "2026-11", "count": 2},
    ]


def test_export_entries_has_one_column_per_field(db, world):
    _, coordinator, _, _ = world
    _fill(db, world)
    with db.read() as s:
        data = register_views.export_entries(s, actor=coordinator, code="village_talks", lang="zh-CN")
    ws = load_workbook(io.BytesIO(data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == (
        "登记编号",
        "单位",
        "日期",
        "表单版本",
        "日期",
        "地点",
        "形式",
        "人数",
        "有无问题",
        "问题说明",
        "联系电话",
        "身份证",
        "照片",
        "提交时间",
        "填报渠道",
    )
    assert len(rows) == 4
    oldest = rows[-1]
    assert oldest[6] == "讲座" and oldest[7] == 30 and oldest[12] == "1 张照片"
    assert ID not in str(rows) and oldest[11].startswith("1101") and "*" in oldest[11]


def test_old_entries_keep_their_version(db, world):
    _, coordinator, m1, _ = world
    with db.write() as s:
        old = registers.add_entry(s, actor=m1, code="village_talks", values=entry())
        forms.save_version(
            s, actor=coordinator, code="village_talks", fields=[f for f in FIELDS if f["key"] != "place"]
        )
        new = registers.add_entry(s, actor=m1, code="village_talks", values=entry())
    with db.read() as s:
        rows = {r.id: r for r in register_views.list_entries(s, actor=m1, code="village_talks")}
        fields = [f.key for f in register_views.all_fields(s, registers.get_register(s, "village_talks"))]
    assert rows[old.id].version == 1 and rows[new.id].version == 2 and "place" not in rows[new.id].data
    assert fields[-1] == "place"  # still a column, for the old entries


def test_starter_registers_are_seeded(db):
    with db.read() as s:
        regs = {r.code: r for r in registers.list_registers(s)}
        assert s.exec(select(FormPhoto)).first() is None
    assert set(regs) >= {"screening_visit", "joint_meeting", "legal_education"}
    assert regs["legal_education"].spec.public and not regs["joint_meeting"].spec.public
    assert {f.type for f in regs["legal_education"].fields} >= {"date", "number", "photo", "choice"}


def test_list_entries_of_region_for_county_coordination_office(db, world):
    tree, _, _, _ = world
    _fill(db, world)
    with db.write() as s:
        office = create_org(s, code="CO1", name="江安县矛调中心", kind="coordination", parent=tree["county"])
        county_office = make_actor(s, office, ["coordinator"])
    with db.read() as s:
        rows = register_views.list_entries(s, actor=county_office, code="village_talks")
        assert len(rows) == 3 and registers.get_entry(s, actor=county_office, entry_id=rows[0].id)
        assert {n for _, n in registers.own_orgs(s, actor=county_office)} >= {"东村调委会", "西村调委会"}


def test_seed_register_entries_files_demo_entries(db):
    import random

    from models import User
    from services.demo.registers import seed_register_entries
    from tests.factories import make_user

    with db.write() as s:
        tree = make_tree(s)
        users: dict[str, User] = {
            "mediator": make_user(s, tree["v1"], ["mediator"]),
            "coordinator": make_user(s, tree["town"], ["coordinator"]),
        }
        made = seed_register_entries(s, users, random.Random(3), date(2026, 11, 20))
    with db.read() as s:
        codes = [e.form_code for e in s.exec(select(FormSubmission)).all()]
    assert made == len(codes) == 24 and set(codes) == {"screening_visit", "joint_meeting", "legal_education"}
