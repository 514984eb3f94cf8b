"""Issue 23 item 7: a roster import row whose mediator already exists updates it instead of being refused."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from models import Mediator, MediatorPosting, Organisation
from services.access.permissions import BUILTIN_ROLES
from services.admin import xlsx as xlsx_io
from services.core.errors import PermissionDenied
from services.roster.import_access import IMPORT_PERMISSION
from services.roster.import_rows import MEDIATOR_SHEET, ORG_SHEET
from tests.factories import make_actor, make_tree
from tests.services.admin.test_xlsx import roster_workbook


def _workbook(rows: list[list[object]]) -> bytes:
    wb = load_workbook(io.BytesIO(roster_workbook(0, 0)))
    del wb[ORG_SHEET]
    for row in rows:
        wb[MEDIATOR_SHEET].append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_reimport_updates_existing_mediators_and_preview_says_how_many(db):
    with db.write() as s:
        tree = make_tree(s)
        county = make_actor(s, tree["county"], ["coordinator"])
        s.add_all(
            [
                Mediator(name="王调解", org_id=tree["v1"].id, phone="13812345678", employment="part_time"),
                Mediator(name="赵调解", org_id=tree["v2"].id, phone=""),
            ]
        )
    data = _workbook(
        [
            ["王建国", "男", "13812345678", "V2", "专职", "", "Z-9", None, "在岗"],  # same phone: renamed, moved
            ["赵调解", "女", "", "V2", "兼职", "邻里纠纷", "Z-10", None, "在岗"],  # same name in the same org
            ["新人", "女", "13700000000", "V1", "兼职", "", "", None, ""],  # new
        ]
    )
    with db.read() as s:
        preview = xlsx_io.preview_import(s, actor=county, data=data)
    assert preview.errors == [] and (preview.mediators, preview.updates) == (3, 2)
    with db.write() as s:
        assert xlsx_io.commit_import(s, actor=county, data=data) == (0, 3)
    with db.read() as s:
        meds = {m.name: m for m in s.exec(select(Mediator)).all()}
        v2 = s.exec(select(Organisation).where(Organisation.code == "V2")).one()
        postings = s.exec(select(MediatorPosting).where(MediatorPosting.mediator_id == meds["王建国"].id)).all()
    assert set(meds) == {"王建国", "赵调解", "新人"}
    assert meds["王建国"].org_id == v2.id and meds["王建国"].employment == "full_time"
    assert meds["赵调解"].certificate_no == "Z-10" and meds["赵调解"].specialties
    assert [p.org_id for p in postings if p.end is None] == [v2.id]


def test_phone_of_a_mediator_outside_the_area_is_still_refused(db):
    with db.write() as s:
        tree = make_tree(s)
        village = make_actor(s, tree["v1"], ["coordinator"])
        s.add(Mediator(name="外村人", org_id=tree["v2"].id, phone="13812345678"))
    data = _workbook([["外村人", "男", "13812345678", "V1", "专职", "", "", None, ""]])
    with db.read() as s:
        preview = xlsx_io.preview_import(s, actor=village, data=data)
    assert [(e.row, e.key) for e in preview.errors] == [(2, "error.roster_phone_taken")] and preview.updates == 0


@pytest.mark.parametrize("role", sorted(BUILTIN_ROLES))
def test_every_role_shown_the_import_can_import_a_whole_workbook(db, role):
    with db.write() as s:
        tree = make_tree(s)
        actor = make_actor(s, tree["county"], [role])
    with db.read() as s:
        if IMPORT_PERMISSION not in actor.permissions:  # no menu entry, no page: and the service agrees
            with pytest.raises(PermissionDenied):
                xlsx_io.preview_import(s, actor=actor, data=roster_workbook(2, 2))
        else:
            assert xlsx_io.preview_import(s, actor=actor, data=roster_workbook(2, 2)).errors == []
