"""Reports (信息报送): monthly and quarterly tables that add up, last year beside them, xlsx with Chinese headers."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from services.core.errors import PermissionDenied
from services.stats import dashboard as stats
from services.stats import reports
from services.stats.sql import Period
from tests.factories import make_actor, make_tree
from tests.services.stats.data import TODAY, case_row, insert_cases


@pytest.fixture(autouse=True)
def _no_cache():
    stats.clear_cache()
    yield
    stats.clear_cache()


@pytest.fixture
def county(db):
    """March 2026: V1 4 succeeded + 1 failed (neighbour, walk-in), V2 2 rejected (loan, phone);
    March 2025: V1 10 received."""
    with db.write() as s:
        tree = make_tree(s)
        actor = make_actor(s, tree["county"], ["coordinator"])
        justice = make_actor(s, tree["justice"], ["justice"])
        d = date(2026, 3, 9)
        rows = [case_row(tree["v1"], d, status="succeeded") for _ in range(4)]
        rows.append(case_row(tree["v1"], d, status="failed", diversion="litigation"))
        rows += [
            case_row(tree["v2"], d, status="rejected", category="loan", source="phone", reject_reason="spam")
            for _ in range(2)
        ]
        rows += [case_row(tree["v1"], date(2025, 3, 3), status="succeeded") for _ in range(10)]
        insert_cases(s, rows)
    return tree, actor, justice


def _table(report: reports.Report, key: str) -> reports.Table:
    return next(t for t in report.tables if t.key == key)


def test_build_monthly_report_tables(db, county):
    _, actor, _ = county
    with db.read() as s:
        report = reports.build_report(s, actor=actor, period=reports.monthly(2026, 3), today=TODAY)
    assert report.title == "江安县 2026年3月 人民调解工作统计表"
    kpis = _table(report, "kpis")
    received = kpis.rows[kpis.row_kpis.index("received")]
    assert received[1:4] == (7.0, 10.0, pytest.approx(-0.3))
    rate = kpis.rows[kpis.row_kpis.index("success_rate")]
    assert rate[1] == pytest.approx(0.8) and rate[2] == pytest.approx(1.0) and rate[3] == pytest.approx(-0.2)
    category = _table(report, "category")
    assert category.headers[:4] == ("纠纷类型", "登记纠纷数", "受理数", "调解终结数")
    by_name = {r[0]: r for r in category.rows}
    assert by_name["邻里纠纷"][1:5] == (5, 5, 5, 4) and by_name["借贷纠纷"][1] == 2
    assert by_name["合计"][1] == 7 and by_name["合计"][-2] == 10  # total, and last year's received
    org = _table(report, "org")
    assert {r[0]: r[1] for r in org.rows} == {"红桥镇": 7, "合计": 7}
    source = _table(report, "source")
    assert {r[0]: r[1] for r in source.rows if r[1]} == {"来访": 5, "来电": 2, "合计": 7}  # other sources: 0


def test_build_quarterly_report_for_one_village(db, county):
    tree, actor, _ = county
    with db.read() as s:
        report = reports.build_report(
            s, actor=actor, period=reports.quarterly(2026, 1), org_id=tree["v2"].id, today=TODAY
        )
    assert report.title == "西村调委会 2026年第1季度 人民调解工作统计表"
    kpis = _table(report, "kpis")
    assert kpis.rows[kpis.row_kpis.index("received")][1] == 2
    assert kpis.rows[kpis.row_kpis.index("success_rate")][1] is None  # nothing mediated: no rate, not 0 %


def test_export_report_xlsx_with_chinese_headers(db, county):
    _, actor, _ = county
    with db.read() as s:
        report = reports.build_report(s, actor=actor, period=reports.monthly(2026, 3), today=TODAY)
        data = reports.report_xlsx(s, actor=actor, report=report)
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["主要指标", "分类型统计", "分来源统计", "分组织统计"]
    ws = wb["分类型统计"]
    assert ws["A1"].value == report.title
    assert [c.value for c in ws[3]][:3] == ["纠纷类型", "登记纠纷数", "受理数"]
    rate_col = [c.value for c in ws[3]].index("调解成功率") + 1
    assert ws.cell(row=4, column=rate_col).number_format == "0.00%"
    kpi_sheet = wb["主要指标"]
    assert [c.value for c in kpi_sheet[3]] == ["指标", "本期", "上年同期", "同比增减", "计算方法"]
    assert kpi_sheet["A4"].value == "登记纠纷数" and kpi_sheet["B4"].value == 7


def test_refuse_export_without_permission(db, county):
    tree, actor, _ = county
    with db.write() as s:
        mediator = make_actor(s, tree["v1"], ["mediator"])
    with db.read() as s:
        report = reports.build_report(s, actor=actor, period=Period.months(202603, 202603), today=TODAY)
        with pytest.raises(PermissionDenied):
            reports.report_xlsx(s, actor=mediator, report=report)
        with pytest.raises(PermissionDenied):
            reports.build_report(s, actor=mediator, period=Period.months(202603, 202603))


def test_label_periods():
    assert reports.period_label(reports.monthly(2026, 10), "zh-CN") == "2026年10月"
    assert reports.period_label(reports.quarterly(2026, 3), "zh-CN") == "2026年第3季度"
    assert reports.period_label(Period(date(2026, 1, 5), date(2026, 3, 31)), "en") == "2026-01-05 to 2026-03-31"
