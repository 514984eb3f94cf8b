"""信息报送 that adds up (issue 23 fault 3): every sheet's 合计 is the sum of its rows, the main sheet's figure and
the dashboard's; fixed rows for every category and source; a month in progress compared like for like; the
statutory frame and print setup; the layout as versioned data an office can change."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from models import AuditLog, DictionaryEntry
from services.core import clock
from services.core.errors import PermissionDenied, ValidationFailed
from services.stats import dashboard as stats
from services.stats import report_layout, reports
from services.stats.report_sheet import BLANK
from services.stats.sql import Filters, Period
from tests.factories import make_actor, make_tree
from tests.services.stats.data import case_row, insert_cases

NOVEMBER = reports.monthly(2026, 11)
AFTER_NOVEMBER = date(2026, 12, 7)
BREAKDOWN_SHEETS = ("分类型统计", "分来源统计", "分组织统计")
COUNTS = ("登记纠纷数", "受理数", "调解终结数")


@pytest.fixture
def office(db):
    """November 2026 and November 2025 in a county: several villages, categories and sources. Last year has
    categories, sources and an organisation this year lacks, and one code outside the dictionary: the rows
    present only last year are what the old report dropped from its 上年同期 合计."""
    with db.write() as s:
        tree = make_tree(s)
        actor = make_actor(s, tree["county"], ["coordinator"])
        now, before = date(2026, 11, 10), date(2025, 11, 12)
        v1, v2, police, court = tree["v1"], tree["v2"], tree["police"], tree["court"]
        rows = [case_row(v1, now, status="succeeded") for _ in range(3)]
        rows += [case_row(v1, now, status="failed", diversion="litigation", category="loan", source="phone")]
        rows += [case_row(v2, now, status="rejected", reject_reason="spam", category="marriage_family", source="qr")]
        rows += [case_row(v2, now, status="accepted", category="loan", source="walk_in") for _ in range(2)]
        rows += [case_row(v1, before, status="succeeded") for _ in range(4)]
        rows += [case_row(v2, before, status="succeeded", category="contract", source="petition") for _ in range(5)]
        rows += [
            case_row(police, before, status="failed", diversion="litigation", source="police_referral")
            for _ in range(3)
        ]
        rows += [case_row(court, before, status="succeeded", category="zz_retired_code", source="court_entrust")]
        rows += [case_row(v1, date(2025, 11, 28), status="withdrawn", category="labour", source="screening")]
        insert_cases(s, rows)
    stats.clear_cache()
    return tree, actor


def _sheets(data: bytes) -> dict[str, list[tuple[Any, ...]]]:
    wb = load_workbook(io.BytesIO(data))
    return {ws.title: [tuple(c.value for c in row) for row in ws.iter_rows()] for ws in wb.worksheets}


def _body(rows: list[tuple[Any, ...]]) -> tuple[tuple[Any, ...], list[tuple[Any, ...]], tuple[Any, ...]]:
    """The column headers (row 3), the rows between them and 合计, and 合计."""
    headers = rows[2]
    end = next(i for i, r in enumerate(rows) if r[0] == "合计")
    return headers, rows[3:end], rows[end]


def _export(db, actor, period: Period, today: date, org_id: int | None = None) -> bytes:
    with db.read() as s:
        return reports.export_report(s, actor=actor, period=period, org_id=org_id, today=today)[1]


def test_every_sheet_total_adds_up_and_equals_the_main_sheet_and_dashboard(db, office):
    _, actor = office
    sheets = _sheets(_export(db, actor, NOVEMBER, AFTER_NOVEMBER))
    with db.read() as s:
        board = stats.dashboard(s, actor=actor, filters=Filters(NOVEMBER), today=AFTER_NOVEMBER)
    assert board.previous is not None
    main = {r[0]: r for r in sheets["主要指标"][3:]}
    assert main["登记纠纷数"][1:3] == (7, 14) == (board.current["received"], board.previous["received"])
    for name in BREAKDOWN_SHEETS:
        headers, body, total = _body(sheets[name])
        col = {h: i for i, h in enumerate(headers)}
        for header, kpi in (("登记纠纷数", "received"), ("受理数", "accepted"), ("调解终结数", "mediated")):
            assert total[col[header]] == sum(r[col[header]] for r in body) == board.current[kpi], (name, header)
        last = col["上年同期登记"]
        assert total[last] == sum(r[last] for r in body) == 14 == main["登记纠纷数"][2], name
        assert total[col["同比增减"]] == pytest.approx(main["登记纠纷数"][3]) == pytest.approx(-0.5), name
        assert total[col["调解成功率"]] == pytest.approx(main["调解成功率"][1]), name


def test_every_dictionary_category_and_source_has_a_row_with_zeros(db, office):
    _, actor = office
    sheets = _sheets(_export(db, actor, NOVEMBER, AFTER_NOVEMBER))
    with db.read() as s:
        entries = s.exec(select(DictionaryEntry).where(DictionaryEntry.active == True)).all()  # noqa: E712
    for name, dictionary in (("分类型统计", "category"), ("分来源统计", "source")):
        _, body, _ = _body(sheets[name])
        labels = [r[0] for r in body]
        wanted = [e.label_zh for e in sorted(entries, key=lambda e: (e.position, e.id)) if e.dictionary == dictionary]
        assert labels[: len(wanted)] == wanted, name
        zeros = [r for r in body if r[1] == 0]
        assert zeros and all(r[2] == 0 and r[3] == 0 for r in zeros), name
    _, categories, _ = _body(sheets["分类型统计"])
    by_label = {r[0]: r for r in categories}
    assert by_label["合同纠纷"][1] == 0 and by_label["合同纠纷"][-2] == 5  # only last year: its row stays
    assert by_label["其他（未列入字典）"][-2] == 1  # a code outside the dictionary is counted, not lost
    _, orgs, _ = _body(sheets["分组织统计"])
    assert {r[0]: (r[1], r[-2]) for r in orgs} == {"红桥镇": (7, 13), "江安县人民法院": (0, 1)}


def test_month_in_progress_compares_the_same_days_as_the_dashboard(db):
    with db.write() as s:
        tree = make_tree(s)
        actor = make_actor(s, tree["county"], ["coordinator"])
        rows = [case_row(tree["v1"], date(2026, 12, 3)) for _ in range(2)]
        rows += [case_row(tree["v1"], date(2025, 12, 5)) for _ in range(2)]
        rows += [case_row(tree["v1"], date(2025, 12, 20)) for _ in range(4)]  # after the 7th: not comparable
        insert_cases(s, rows)
    today = date(2026, 12, 7)
    with db.read() as s:
        report = reports.build_report(s, actor=actor, period=reports.monthly(2026, 12), today=today)
        board = stats.dashboard(s, actor=actor, filters=Filters(Period(date(2026, 12, 1), today)), today=today)
    assert board.previous is not None
    assert report.in_progress and report.period == Period(date(2026, 12, 1), today)
    assert report.compare == Period(date(2025, 12, 1), date(2025, 12, 7))
    kpis = next(t for t in report.tables if t.key == "kpis")
    received = kpis.rows[kpis.row_kpis.index("received")]
    assert received[1:4] == (2, 2, 0.0) == (board.current["received"], board.previous["received"], 0.0)
    category = next(t for t in report.tables if t.key == "category")
    assert category.column("last_year_received")[-1] == 2 and category.column("yoy")[-1] == 0.0
    assert "2026-12-01 至 2026-12-07" in dict(report.frame.head)["统计期间"]
    assert report.title == "江安县 2026年12月 人民调解工作统计表"


def test_sheets_carry_the_statutory_frame_and_print_setup(db, office):
    _, actor = office
    data = _export(db, actor, NOVEMBER, AFTER_NOVEMBER)
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["主要指标", "分类型统计", "分来源统计", "分组织统计"]
    for ws in wb.worksheets:
        assert ws["A1"].value == "江安县 2026年11月 人民调解工作统计表"
        head = ws["A2"].value
        assert "填报单位：江安县" in head and "统计期间：2026-11-01 至 2026-11-30" in head and "计量单位：件" in head
        foot = ws.cell(row=ws.max_row, column=1).value
        assert f"负责人：{BLANK}" in foot and f"填报人：{actor.display_name}" in foot
        assert f"填报日期：{clock.today().isoformat()}" in foot  # China time
        assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage and int(ws.page_setup.fitToWidth) == 1
        assert int(ws.page_setup.fitToHeight) == 0
        assert ws.print_title_rows == "$1:$3"


def test_office_layout_changes_title_frame_and_columns(db, office):
    tree, actor = office
    value = report_layout.default_value()
    value.update(
        title="{org}人民调解工作情况统计表（{period}）",
        head=["unit", "period"],
        foot=["filled_by", "head_of_unit", "filled_on"],
        paper="A3",
        values={"head_of_unit": "王主任"},
        labels={"head_of_unit": "单位负责人"},
        tables=[
            {"key": "category", "title": "表一 纠纷类型", "columns": ["label", "succeeded", "received"]},
            {"key": "kpis", "columns": ["kpi", "current"], "labels": {"current": "本月"}},
        ],
    )
    with db.write() as s:
        admin = make_actor(s, tree["county"], ["coordinator", "admin"])
        assert report_layout.save_layout(s, actor=admin, value=value) == 1
    data = _export(db, actor, NOVEMBER, AFTER_NOVEMBER)
    assert int(load_workbook(io.BytesIO(data)).worksheets[0].page_setup.paperSize) == 8  # A3
    sheets = _sheets(data)
    assert list(sheets) == ["表一 纠纷类型", "主要指标"]
    rows = sheets["表一 纠纷类型"]
    assert rows[0][0] == "江安县人民调解工作情况统计表（2026年11月）"
    assert rows[1][0] == "填报单位：江安县\u3000\u3000统计期间：2026-11-01 至 2026-11-30"
    assert rows[2] == ("纠纷类型", "调解成功数", "登记纠纷数")
    assert rows[-1][0].startswith(f"填报人：{actor.display_name}\u3000\u3000单位负责人：王主任")
    assert sheets["主要指标"][2] == ("指标", "本月")
    with db.read() as s:
        audits = s.exec(select(AuditLog).where(AuditLog.action == "report_layout.save")).all()
        assert report_layout.stored_value(s)[0] == 1 and len(audits) == 1


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"head": ["unit", "stamp"]}, "head"),
        ({"tables": [{"key": "category", "columns": ["label", "recieved"]}]}, "tables[0].columns"),
        ({"tables": [{"key": "kpis"}, {"key": "kpis"}]}, "tables"),
        ({"title": "{org}{year}"}, "title"),
        ({"orientation": "sideways"}, "orientation"),
    ],
)
def test_refuse_a_layout_naming_what_is_wrong(db, office, change, where):
    tree, _ = office
    with db.write() as s:
        admin = make_actor(s, tree["county"], ["coordinator", "admin"])
        with pytest.raises(ValidationFailed) as err:
            report_layout.save_layout(s, actor=admin, value={**report_layout.default_value(), **change})
    assert err.value.params["where"] == where


def test_only_low_code_editors_save_a_layout(db, office):
    tree, _ = office
    with db.write() as s:
        justice = make_actor(s, tree["justice"], ["justice"])
        with pytest.raises(PermissionDenied):
            report_layout.save_layout(s, actor=justice, value=report_layout.default_value())


def test_parse_periods_for_the_command_line():
    assert reports.parse_period("2026-11") == NOVEMBER
    assert reports.parse_period("2026-q4") == reports.quarterly(2026, 4)
    for bad in ("2026-13", "2026-Q5", "11-2026", "2026"):
        with pytest.raises(ValueError, match="not a month"):
            reports.parse_period(bad)
