"""Roster import from xlsx (preview of row errors, all-or-nothing commit) and list export (formulas neutralised)."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import func, select

from models import AuditLog, Mediator, MediatorPosting, Organisation
from services.admin import xlsx as xlsx_io
from services.admin.entities import ListQuery, list_rows
from services.core.errors import PermissionDenied
from services.roster import import_write as roster_write
from services.roster.import_rows import MEDIATOR_COLUMNS, MEDIATOR_SHEET, ORG_COLUMNS, ORG_SHEET
from tests.factories import make_actor, make_tree

MISTAKES = {  # (sheet, row) → what is wrong there
    (ORG_SHEET, 4): ("kind", "村委员会X"),
    (ORG_SHEET, 9): ("name", ""),
    (ORG_SHEET, 15): ("parent_code", "NOPE99"),
    (MEDIATOR_SHEET, 3): ("phone", "1234"),
    (MEDIATOR_SHEET, 40): ("org_code", "ZZZ404"),
}


def roster_workbook(
    n_orgs: int, n_mediators: int, *, county: str = "C1", mistakes: dict[tuple[str, int], tuple[str, str]] | None = None
) -> bytes:
    """A filled-in import template: towns under `county`, nine villages per town, mediators spread over them."""
    mistakes = mistakes or {}
    wb = Workbook()
    orgs = wb.active
    orgs.title = ORG_SHEET
    orgs.append([c.zh + ("*" if c.required else "") for c in ORG_COLUMNS])
    codes = []
    for i in range(n_orgs):
        town = i % 10 == 0
        code = f"X{i:05d}"
        parent = county if town else f"X{i - i % 10:05d}"
        row = {
            "code": code,
            "name": f"{'镇' if town else '村'}{i}调委会",
            "kind": "乡镇（街道）调委会" if town else "村（居）调委会",
            "parent_code": parent,
            "sector": "",
            "address": f"第{i}号",
            "phone": "0831-1234567",
            "hours": "9:00-17:00",
            "population": 1000 + i,
            "active": "是",
        }
        row.update(dict([mistakes[(ORG_SHEET, i + 2)]]) if (ORG_SHEET, i + 2) in mistakes else {})
        orgs.append([row[c.key] for c in ORG_COLUMNS])
        codes.append(code)
    meds = wb.create_sheet(MEDIATOR_SHEET)
    meds.append([c.zh + ("*" if c.required else "") for c in MEDIATOR_COLUMNS])
    for j in range(n_mediators):
        row = {
            "name": f"调解员{j}",
            "gender": "男" if j % 2 else "女",
            "phone": f"139{j:08d}",
            "org_code": codes[j % len(codes)] if codes else county,
            "employment": "兼职" if j % 3 else "专职",
            "specialties": "邻里纠纷、婚姻家庭纠纷",
            "certificate_no": f"Z{j}",
            "start_date": date(2020, 1, 1 + j % 28),
            "status": "在岗",
        }
        row.update(dict([mistakes[(MEDIATOR_SHEET, j + 2)]]) if (MEDIATOR_SHEET, j + 2) in mistakes else {})
        meds.append([row[c.key] for c in MEDIATOR_COLUMNS])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
def office(db):
    with db.write() as s:
        tree = make_tree(s)
        return {
            "county": make_actor(s, tree["county"], ["coordinator"]),
            "village": make_actor(s, tree["v1"], ["coordinator"]),
            "admin": make_actor(s, tree["root"], ["admin"]),
        }


def _count(db, model) -> int:
    with db.read() as s:
        return s.exec(select(func.count()).select_from(model)).one()


def test_preview_reports_exactly_the_seeded_rows(db, office):
    data = roster_workbook(30, 60, mistakes=MISTAKES)
    before = _count(db, Organisation)
    with db.read() as s:
        preview = xlsx_io.preview_import(s, actor=office["county"], data=data)
    assert {(e.sheet, e.row) for e in preview.errors} == set(MISTAKES)
    assert {e.key for e in preview.errors} == {
        "error.roster_unknown_value",
        "error.roster_required",
        "error.roster_parent_unknown",
        "error.phone_invalid",
        "error.roster_org_unknown",
    }
    assert (preview.orgs, preview.mediators) == (30, 60)
    assert _count(db, Organisation) == before


def test_commit_with_errors_writes_nothing(db, office):
    data = roster_workbook(30, 60, mistakes=MISTAKES)
    before = (_count(db, Organisation), _count(db, Mediator))
    with pytest.raises(xlsx_io.ImportInvalid) as err, db.write() as s:
        xlsx_io.commit_import(s, actor=office["county"], data=data)
    assert err.value.params == {"count": 5}
    assert (_count(db, Organisation), _count(db, Mediator)) == before


def test_commit_writes_tree_mediators_and_postings(db, office):
    steps: list[tuple[str, int, int]] = []
    with db.write() as s:
        result = xlsx_io.commit_import(
            s, actor=office["county"], data=roster_workbook(30, 60), progress=lambda *a: steps.append(a)
        )
    assert result == (30, 60)
    assert ("orgs", 30, 30) in steps and ("mediators", 60, 60) in steps
    with db.read() as s:
        c1 = s.exec(select(Organisation).where(Organisation.code == "C1")).one()
        town = s.exec(select(Organisation).where(Organisation.code == "X00010")).one()
        village = s.exec(select(Organisation).where(Organisation.code == "X00003")).one()
        town0 = s.exec(select(Organisation).where(Organisation.code == "X00000")).one()
        assert (town.parent_id, town.path, town.depth, town.county_id) == (c1.id, f"{c1.path}{town.id}/", 2, c1.id)
        assert (village.parent_id, village.path, village.kind) == (
            town0.id,
            f"{town0.path}{village.id}/",
            "village_committee",
        )
        m = s.exec(select(Mediator).where(Mediator.phone == "13900000003")).one()
        assert (m.org_id, m.employment, m.specialties, m.gender) == (
            village.id,
            "full_time",
            ["neighbour", "marriage_family"],
            "male",
        )
        assert s.exec(select(MediatorPosting).where(MediatorPosting.mediator_id == m.id)).one().start == date(
            2020, 1, 4
        )
        assert s.exec(select(AuditLog).where(AuditLog.action == "import.roster")).one().detail["mediators"] == 60
        listed = list_rows(s, actor=office["county"], entity="mediator", query=ListQuery(filters={"org_id": town.id}))
    assert listed.total == 20  # the town's subtree: itself and its nine villages, two mediators each


def test_commit_is_one_transaction(db, office, monkeypatch):
    real = roster_write._insert

    def fail_on_mediators(session, table, rows, progress, stage):
        if stage == "mediators":
            raise OSError("disk full")
        return real(session, table, rows, progress, stage)

    monkeypatch.setattr(roster_write, "_insert", fail_on_mediators)
    before = _count(db, Organisation)
    with pytest.raises(OSError), db.write() as s:
        xlsx_io.commit_import(s, actor=office["county"], data=roster_workbook(20, 10))
    assert _count(db, Organisation) == before


def test_rows_outside_scope_are_errors(db, office):
    with db.read() as s:
        preview = xlsx_io.preview_import(s, actor=office["village"], data=roster_workbook(3, 2))
    # the towns hang under the county, outside a village office's area
    assert {(e.row, e.key) for e in preview.errors} == {(2, "error.roster_parent_unknown")}


def test_duplicates_and_cycles_in_file(db, office):
    wb = load_workbook(io.BytesIO(roster_workbook(3, 3)))
    orgs, meds = wb[ORG_SHEET], wb[MEDIATOR_SHEET]
    orgs.append(["X00001", "重复", "村（居）调委会", "X00000"])
    orgs.append(["Y1", "甲", "村（居）调委会", "Y2"])
    orgs.append(["Y2", "乙", "村（居）调委会", "Y1"])
    meds["C4"] = "13900000000"
    out = io.BytesIO()
    wb.save(out)
    with db.read() as s:
        preview = xlsx_io.preview_import(s, actor=office["county"], data=out.getvalue())
    assert {(e.sheet, e.row, e.key) for e in preview.errors} == {
        (ORG_SHEET, 5, "error.roster_duplicate_in_file"),
        (ORG_SHEET, 6, "error.roster_parent_cycle"),
        (ORG_SHEET, 7, "error.roster_parent_cycle"),
        (MEDIATOR_SHEET, 4, "error.roster_phone_taken"),
    }


def test_admin_without_roster_edit_cannot_import_mediators(db, office):
    with db.read() as s, pytest.raises(PermissionDenied):
        xlsx_io.preview_import(s, actor=office["admin"], data=roster_workbook(0, 3))


def test_template_has_chinese_headers_and_reads_back(db, office):
    wb = load_workbook(io.BytesIO(xlsx_io.template_bytes()))
    assert wb.sheetnames == [ORG_SHEET, MEDIATOR_SHEET, "填写说明"]
    assert [c.value for c in wb[ORG_SHEET][1]][:4] == ["组织编码*", "组织名称*", "组织类型*", "上级组织编码*"]
    wb[MEDIATOR_SHEET].append(["李四", "女", "13712345678", "V1", "特邀", "", "", "2023/5/6", ""])
    out = io.BytesIO()
    wb.save(out)
    with db.read() as s:
        preview = xlsx_io.preview_import(s, actor=office["county"], data=out.getvalue())
    assert (preview.orgs, preview.mediators, preview.errors) == (0, 1, [])


def test_unreadable_file_is_a_clear_error(db, office):
    with db.read() as s, pytest.raises(Exception) as err:
        xlsx_io.preview_import(s, actor=office["county"], data=b"not a workbook")
    assert err.value.key == "error.roster_file_unreadable"


DANGEROUS = ["=1+2", "+8613800000000", "-2", "@SUM(A1)", "\tTAB", "\rCR", "安全"]


def test_export_matches_list_and_neutralises_formulas(db, office):
    with db.write() as s:
        v1 = s.exec(select(Organisation).where(Organisation.code == "V1")).one()
        s.add_all(Mediator(name=n, org_id=v1.id, phone="13812345678") for n in DANGEROUS)
    with db.read() as s:
        data = xlsx_io.export_xlsx(s, actor=office["county"], entity="mediator", query=ListQuery(order="name"))
        listed = list_rows(s, actor=office["county"], entity="mediator", query=ListQuery(order="name"))
    ws = load_workbook(io.BytesIO(data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == ("姓名", "所属组织", "用工类型")
    assert len(rows) - 1 == listed.total == len(DANGEROUS)
    cells = [c for row in rows for c in row if isinstance(c, str)]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    names = [r[0] for r in rows[1:]]
    assert names == [xlsx_io.neutralise(r.cells["name"]) for r in listed.rows]
    assert {"'=1+2", "'+8613800000000", "'-2", "'@SUM(A1)", "安全"} <= set(names)
    assert {r[4] for r in rows[1:]} == {"138****5678"}  # masked like the list


def test_export_respects_filters_and_scope(db, office):
    with db.write() as s:
        v1, v2 = (s.exec(select(Organisation).where(Organisation.code == c)).one() for c in ("V1", "V2"))
        s.add_all([Mediator(name="甲", org_id=v1.id), Mediator(name="乙", org_id=v2.id)])
    with db.read() as s:
        village = xlsx_io.export_xlsx(s, actor=office["village"], entity="mediator")
        filtered = xlsx_io.export_xlsx(
            s, actor=office["county"], entity="mediator", query=ListQuery(filters={"org_id": v2.id})
        )
    assert [r[0] for r in load_workbook(io.BytesIO(village)).active.iter_rows(min_row=2, values_only=True)] == ["甲"]
    assert [r[0] for r in load_workbook(io.BytesIO(filtered)).active.iter_rows(min_row=2, values_only=True)] == ["乙"]


def test_commit_rechecks_what_changed_since_preview(db, office):
    with db.read() as s:
        parsed = xlsx_io.read_import(s, actor=office["county"], data=roster_workbook(3, 3))
        assert xlsx_io.preview_import(s, actor=office["county"], data=parsed).errors == []
    with db.write() as s:  # meanwhile another office (outside this area) registers one of the file's phones
        root = s.exec(select(Organisation).where(Organisation.parent_id == None)).one()  # noqa: E711
        s.add(Mediator(name="抢先", org_id=root.id, phone="13900000001"))
    with pytest.raises(xlsx_io.ImportInvalid), db.write() as s:
        xlsx_io.commit_import(s, actor=office["county"], data=parsed)
    assert parsed.errors == []  # the preview's rows are not changed by a check
