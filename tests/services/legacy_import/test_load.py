"""Legacy ledger import: every bad row reported, nothing half-imported, numbers kept, counters consistent."""

from __future__ import annotations

import csv
import io
import time
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func
from sqlmodel import select

from models import Agreement, AuditLog, Case, CaseCounter, FollowUp, JudicialConfirmation
from services.cases.create import next_case_no
from services.core.errors import PermissionDenied, ValidationFailed
from services.legacy_import import format as import_format
from services.legacy_import import load as importer
from services.stats import dashboard as stats
from services.stats.sql import Filters, Period
from tests.factories import make_actor, make_case, make_tree

HEADER_ZH = [c.zh for c in import_format.COLUMNS]
GOOD = [
    "2024-V1-00007",
    "2024-03-05",
    "来访",
    "邻里纠纷",
    "V1",
    "张调解",
    "调解成功",
    "口头",
    "简易",
    "2024-03-06",
    "已履行",
    "是",
    "5",
    "排水沟纠纷",
]


def _xlsx(rows: list[list[object]], header: list[str] = HEADER_ZH) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _csv(rows: list[list[object]], header: list[str]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


@pytest.fixture
def office(db):
    with db.write() as s:
        tree = make_tree(s)
        actor = make_actor(s, tree["county"], ["coordinator"])
        other = make_actor(s, tree["v2"], ["mediator"])
    return tree, actor, other


def _count(db, model=Case) -> int:
    with db.read() as s:
        return int(s.exec(select(func.count()).select_from(model)).one())


def test_import_good_rows_with_their_facts(db, office):
    tree, actor, _ = office
    rows = [
        GOOD,
        ["", "2024/04/01", "phone", "loan", "v2", "", "failed", "", "", "2024-04-20", "", "", "", ""],
        ["", "2024-04-02", "Walk-in", "Neighbours", "V2", "", "待受理", "", "", "", "", "", "", ""],
    ]
    with db.write() as s:
        result = importer.import_cases(s, actor=actor, filename="ledger.xlsx", data=_xlsx(rows))
    assert (result.imported, result.generated_numbers) == (3, 2)
    with db.read() as s:
        kept = s.exec(select(Case).where(Case.case_no == "2024-V1-00007")).one()
        generated = s.exec(select(Case.case_no).where(Case.org_id == tree["v2"].id).order_by(Case.id)).all()
        agreement = s.exec(select(Agreement).where(Agreement.case_id == kept.id)).one()
        assert s.exec(select(FollowUp.satisfaction).where(FollowUp.case_id == kept.id)).one() == 5
        assert (
            s.exec(select(JudicialConfirmation.result).where(JudicialConfirmation.case_id == kept.id)).one()
            == "confirmed"
        )
        assert s.exec(select(AuditLog.action).where(AuditLog.action == "case.import")).one()
    assert (kept.outcome, kept.agreement_kind, kept.performance, kept.confirmed, kept.satisfaction) == (
        "succeeded",
        "oral",
        "fulfilled",
        True,
        5,
    )
    assert (kept.received_month, kept.source, kept.category, kept.custom["mediator_name"]) == (
        202403,
        "walk_in",
        "neighbour",
        "张调解",
    )
    assert agreement.kind == "oral"
    assert list(generated) == ["2024-V2-00001", "2024-V2-00002"]


def test_reuse_checked_preview_but_recheck_taken_numbers(db, office):
    tree, actor, other = office
    data = _xlsx([GOOD])
    with db.read() as s:
        checked = importer.validate(s, actor=actor, filename="l.xlsx", data=data)
    with db.write() as s:  # someone registers the same number meanwhile
        make_case(s, tree["v1"])
        s.exec(select(Case).where(Case.org_id == tree["v1"].id)).one().case_no = GOOD[0]
    with pytest.raises(importer.ImportRejected) as err, db.write() as s:
        importer.import_cases(s, actor=actor, filename="l.xlsx", data=data, checked=checked)
    assert [(e.row, e.key) for e in err.value.errors] == [(2, "import.err_case_no_taken")]
    fresh = list(GOOD)
    fresh[0] = "2024-V1-00099"
    data = _xlsx([fresh])
    with db.read() as s:
        checked = importer.validate(s, actor=actor, filename="l.xlsx", data=data)
    assert checked.ok
    # a preview checked for someone else is not trusted: the V2 mediator's import is checked again (V1 is not theirs)
    with pytest.raises(importer.ImportRejected) as err, db.write() as s:
        importer.import_cases(s, actor=other, filename="l.xlsx", data=data, checked=checked)
    assert [(e.column, e.key) for e in err.value.errors] == [("org_code", "import.err_org_unknown")]


def test_keep_case_counter_past_imported_numbers(db, office):
    tree, actor, _ = office
    with db.write() as s:
        importer.import_cases(s, actor=actor, filename="l.xlsx", data=_xlsx([GOOD]))
    with db.write() as s:
        assert next_case_no(s, s.get(type(tree["v1"]), tree["v1"].id), 2024) == "2024-V1-00008"
        counter = s.exec(select(CaseCounter).where(CaseCounter.org_id == tree["v1"].id, CaseCounter.year == 2024)).one()
    assert counter.last == 8


def test_report_exactly_the_bad_rows_and_import_nothing(db, office):
    _, actor, _ = office
    rows = [list(GOOD) for _ in range(20)]
    for i, r in enumerate(rows):
        r[0] = f"OLD-{i:03d}"
    bad = {3: (1, "2024-13-01"), 7: (4, "NOPE"), 11: (3, "外星纠纷"), 15: (6, "maybe"), 18: (12, "9")}
    for i, (column, value) in bad.items():
        rows[i][column] = value
    data = _xlsx(rows)
    with db.read() as s:
        preview = importer.validate(s, actor=actor, filename="ledger.xlsx", data=data)
    assert [(e.row, e.column) for e in preview.errors] == [
        (5, "received_on"),
        (9, "org_code"),
        (13, "category"),
        (17, "status"),
        (20, "satisfaction"),
    ]
    assert preview.total == 20 and not preview.ok
    before = _count(db)
    with pytest.raises(importer.ImportRejected) as err, db.write() as s:
        importer.import_cases(s, actor=actor, filename="ledger.xlsx", data=data)
    assert len(err.value.errors) == 5
    assert _count(db) == before and _count(db, Agreement) == 0


def test_reject_duplicates_and_taken_numbers(db, office):
    tree, actor, _ = office
    with db.write() as s:
        existing = make_case(s, tree["v1"])
    dup = list(GOOD)
    taken = list(GOOD)
    taken[0] = existing.case_no
    with db.read() as s:
        preview = importer.validate(s, actor=actor, filename="l.xlsx", data=_xlsx([GOOD, dup, taken]))
    assert [(e.row, e.key) for e in preview.errors] == [
        (3, "import.err_duplicate_in_file"),
        (4, "import.err_case_no_taken"),
    ]


def test_check_cross_field_rules_and_scope(db, office):
    _, actor, mediator = office
    failed_with_agreement = list(GOOD)
    failed_with_agreement[6] = "调解不成功"
    closed_early = list(GOOD)
    closed_early[9] = "2024-01-01"
    future = list(GOOD)
    future[1] = "2999-01-01"
    with db.read() as s:
        preview = importer.validate(
            s, actor=actor, filename="l.xlsx", data=_xlsx([failed_with_agreement, closed_early, future])
        )
        outsider = importer.validate(s, actor=mediator, filename="l.xlsx", data=_xlsx([GOOD]))
    keys = [(e.row, e.column, e.key) for e in preview.errors]
    assert (2, "agreement", "import.err_needs_success") in keys and (2, "confirmed", "import.err_needs_success") in keys
    assert (3, "closed_on", "import.err_closed_before") in keys and (4, "received_on", "import.err_future") in keys
    assert [(e.column, e.key) for e in outsider.errors] == [("org_code", "import.err_org_unknown")]  # V1 is not V2's


def test_read_csv_with_english_aliases_and_gbk(db, office):
    _, actor, _ = office
    header = [c.alias for c in import_format.COLUMNS]
    rows = [["", "2024-05-06", "walk_in", "邻里纠纷", "V1", "", "archived", "written", "", "", "", "", "", "纠纷"]]
    for data in (_csv(rows, header), _csv(rows, header).decode("utf-8-sig").encode("gb18030")):
        with db.read() as s:
            preview = importer.validate(s, actor=actor, filename="ledger.csv", data=data)
        assert preview.ok, preview.errors
    with db.read() as s:
        missing = importer.validate(s, actor=actor, filename="l.csv", data=_csv(rows, header[:3]))
        with pytest.raises(ValidationFailed):
            importer.validate(s, actor=actor, filename="l.pdf", data=b"%PDF")
    assert missing.errors[0].key == "import.err_columns_missing"


def test_refuse_import_without_permission(db, office):
    tree, _, _ = office
    with db.write() as s:
        justice = make_actor(s, tree["justice"], ["justice"])
    with db.read() as s, pytest.raises(PermissionDenied):
        importer.validate(s, actor=justice, filename="l.xlsx", data=_xlsx([GOOD]))


def test_offer_template_with_every_column():
    wb = load_workbook(io.BytesIO(import_format.template_xlsx()))
    assert [c.value for c in wb.worksheets[0][1]] == HEADER_ZH
    notes = [[c.value for c in row] for row in wb.worksheets[1].iter_rows(min_row=2)]
    assert [n[1] for n in notes] == [c.alias for c in import_format.COLUMNS] and all(n[3] for n in notes)


def test_import_thousands_of_rows_fast_and_count_them(db, office):
    """A 3,000-row ledger in one transaction; the statistics see exactly those rows (timed for the note)."""
    _, actor, _ = office
    n = 3000
    statuses = ["调解成功", "调解不成功", "已归档"]
    rows = [
        [
            "",
            f"2023-{1 + i % 12:02d}-{1 + i % 28:02d}",
            "来访",
            "邻里纠纷",
            "V1",
            "",
            statuses[i % 3],
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ]
        for i in range(n)
    ]
    data = _csv(rows, HEADER_ZH)
    started = time.perf_counter()
    with db.write() as s:
        result = importer.import_cases(s, actor=actor, filename="big.csv", data=data)
    elapsed = time.perf_counter() - started
    assert result.imported == n and elapsed < 30
    stats.clear_cache()
    with db.read() as s:
        v = stats.figures(s, actor=actor, filters=Filters(Period.year(2023)), today=date(2026, 1, 1))
    assert (v["received"], v["succeeded"], v["failed"]) == (n, 2 * n // 3, n // 3)
