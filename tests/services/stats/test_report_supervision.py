"""督办 figures in the statutory report (issue 18 item 5): a layout that lists the supervision sheet shows the
dashboard's supervision figures for the report's unit and days; the default layout has no such sheet."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from sqlmodel import Session

from models import AccountabilityEvent, Organisation, SupervisionOrder
from services.core.errors import ValidationFailed
from services.stats import dashboard as stats
from services.stats import report_layout, reports
from services.supervision.figures import FIGURES, area_figures, supervision_figures
from tests.factories import make_actor, make_case, make_tree
from tests.services.stats.data import TODAY

MARCH = reports.monthly(2026, 3)


@pytest.fixture(autouse=True)
def _no_cache():
    stats.clear_cache()
    yield
    stats.clear_cache()


def _at(day: date, hour: int = 2) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)  # 10:00 in China


def _order(
    s: Session, county: Organisation, org: Organisation, opened: date, deadline: date, delisted: date | None = None
) -> SupervisionOrder:
    case = make_case(s, org, received_at=_at(opened))
    order = SupervisionOrder(
        case_id=case.id or 0,
        supervisor_org_id=county.id or 0,
        handling_org_id=org.id or 0,
        reason="overdue_unconcluded",
        deadline=deadline,
        report_due=deadline,
        state="delisted" if delisted else "listed",
        opened_at=_at(opened),
        delisted_at=_at(delisted, 8) if delisted else None,
    )
    s.add(order)
    s.flush()
    return order


@pytest.fixture
def supervised(db):
    """March 2026: V1 an order de-listed on time (2.25 days) and one still listed past its deadline with a missed
    report; V2 an order de-listed late (9.25 days); February: one V1 order (outside the month)."""
    with db.write() as s:
        tree = make_tree(s)
        county, v1, v2 = tree["county"], tree["v1"], tree["v2"]
        actor = make_actor(s, county, ["coordinator"])
        _order(s, county, v1, date(2026, 3, 2), date(2026, 3, 10), delisted=date(2026, 3, 4))
        listed = _order(s, county, v1, date(2026, 3, 5), date(2026, 3, 12))
        _order(s, county, v2, date(2026, 3, 6), date(2026, 3, 10), delisted=date(2026, 3, 15))
        _order(s, county, v1, date(2026, 2, 20), date(2026, 2, 25))
        s.add(
            AccountabilityEvent(
                order_id=listed.id, org_id=v1.id, due=date(2026, 3, 9), created_at=_at(date(2026, 3, 10))
            )
        )
    return tree, actor


def _asking() -> report_layout.Layout:
    value = report_layout.default_value()
    value["tables"].append({"key": "supervision"})
    return report_layout.check_layout(value)


def _values(report: reports.Report) -> dict[str, object]:
    table = next(t for t in report.tables if t.key == "supervision")
    return dict(zip(FIGURES, table.column("value"), strict=True))


def test_layout_asking_shows_the_supervision_figures(db, supervised):
    tree, actor = supervised
    with db.read() as s:
        report = reports.build_report(s, actor=actor, period=MARCH, today=TODAY, layout=_asking())
        figures = supervision_figures(s, actor=actor, first=MARCH.start, last=MARCH.end)
        village = reports.build_report(
            s, actor=actor, period=MARCH, org_id=tree["v1"].id, today=TODAY, layout=_asking()
        )
        v1 = area_figures(s, actor=actor, first=MARCH.start, last=MARCH.end, org_path=tree["v1"].path)
    values = _values(report)
    assert values == {name: getattr(figures, name) for name in FIGURES}
    # by hand: 3 opened in March, 2 de-listed (1 on time, 1 late), 1 listed past its deadline, 1 missed report,
    # average (2.25 + 9.25) ÷ 2 = 5.75 → 5.8 days
    assert values == {
        "opened": 3,
        "on_time": 1,
        "overdue": 2,
        "delisted": 1 + 1,
        "avg_days": 5.8,
        "accountability": 1,
    }
    # narrowed to one village: its cases only
    assert _values(village) == {name: getattr(v1, name) for name in FIGURES}
    assert _values(village) == {
        "opened": 2,
        "on_time": 1,
        "overdue": 1,
        "delisted": 1,
        "avg_days": 2.2,
        "accountability": 1,
    }
    table = next(t for t in report.tables if t.key == "supervision")
    assert table.title == "督办情况" and table.headers == ("督办指标", "数值", "计算方法")
    assert table.column("label")[0] == "挂牌督办"


def test_saved_layout_puts_a_supervision_sheet_in_the_workbook(db, supervised):
    _, actor = supervised
    value = report_layout.default_value()
    value["tables"].append({"key": "supervision", "title": "督办工作统计", "columns": ["label", "value"]})
    with db.write() as s:
        report_layout.save_layout(s, actor=make_actor(s, s.get(Organisation, actor.org_id), ["admin"]), value=value)
    with db.read() as s:
        report = reports.build_report(s, actor=actor, period=MARCH, today=TODAY)
        data = reports.report_xlsx(s, actor=actor, report=report)
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames[-1] == "督办工作统计"
    ws = wb["督办工作统计"]
    assert [c.value for c in ws[3]] == ["督办指标", "数值"]
    assert [ws.cell(row=r, column=2).value for r in range(4, 10)] == [3, 1, 2, 2, 5.8, 1]
    assert not ws.cell(row=9, column=1).font.bold  # no 合计 row


def test_default_layout_has_no_supervision_sheet(db, supervised):
    _, actor = supervised
    with db.read() as s:
        report = reports.build_report(s, actor=actor, period=MARCH, today=TODAY)
    assert [t.key for t in report.tables] == ["kpis", "category", "source", "org"]
    assert "supervision" not in {t["key"] for t in report_layout.default_value()["tables"]}


def test_refuse_unknown_supervision_column():
    value = report_layout.default_value()
    value["tables"].append({"key": "supervision", "columns": ["label", "yoy"]})
    with pytest.raises(ValidationFailed) as err:
        report_layout.check_layout(value)
    assert err.value.key == "report_layout.error.unknown"
