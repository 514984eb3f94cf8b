"""Statistics pages (AppTest): the dashboard's numbers and formulas, links to the exact cases, reports, import."""

from __future__ import annotations

import io
from datetime import date
from urllib.parse import parse_qs

import pytest
from openpyxl import Workbook
from sqlmodel import func, select

from models import Case
from services.core import clock
from services.core.i18n import translate
from services.stats import dashboard as stats
from services.supervision.figures import FIGURES
from tests.factories import make_tree, make_user
from tests.pages.conftest import page_text
from tests.services.stats.data import case_row, insert_cases

THIS_YEAR = clock.today().year


@pytest.fixture(autouse=True)
def _no_cache():
    stats.clear_cache()
    yield
    stats.clear_cache()


@pytest.fixture
def office(db):
    """A coordinator at the county; this year: 6 succeeded and 2 failed at V1, 3 submitted (one high-risk) at V2."""
    with db.write() as s:
        tree = make_tree(s)
        user = make_user(s, tree["county"], ["coordinator"], username="coord")
        day, due = date(THIS_YEAR, 1, 1), date(THIS_YEAR - 1, 12, 31)  # in the year to date even on 1 January
        rows = [case_row(tree["v1"], day, status="succeeded") for _ in range(6)]
        rows += [case_row(tree["v1"], day, status="failed", diversion="litigation") for _ in range(2)]
        rows += [case_row(tree["v2"], day, accept_due=due) for _ in range(2)]
        rows.append(case_row(tree["v2"], day, risk_level="high", risk_flags=["violence"], accept_due=due))
        ids = insert_cases(s, rows)
    return {"tree": tree, "user": user, "ids": ids}


def _open(make_app, user, page: str, query: dict[str, str] | None = None, at=None):
    """The page signed in as `user` (reusing `at`, the same browser session, when given)."""
    if at is None:
        at = make_app(user=user)
        at.run()
    for k in list(at.query_params):
        del at.query_params[k]
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_show_dashboard_numbers_with_formulas(db, make_app, office):
    at = _open(make_app, office["user"], "pages/staff/dashboard.py")
    assert "统计分析" in page_text(at)
    assert _metric(at, "登记纠纷数") == "11"
    assert _metric(at, "调解成功数") == "6"
    assert _metric(at, "调解终结数") == "8"
    assert _metric(at, "调解成功率") == "75.0%"
    assert _metric(at, "高风险") == "1" and _metric(at, "受理超期") == "3"
    rate = next(m for m in at.metric if m.label == "调解成功率")
    assert "调解成功数 ÷（调解成功数 + 调解不成功数）" in rate.proto.help
    assert [tab.label for tab in at.tabs] == ["月度趋势", "纠纷类型", "来源", "组织"]
    assert len(at.get("vega_lite_chart")) == 4


def test_link_every_number_to_its_cases(db, make_app, office):
    at = _open(make_app, office["user"], "pages/staff/dashboard.py")
    links = [parse_qs(p.proto.query_string) for p in at.get("page_link") if "stats" in p.proto.page]
    supervision = {translate(f"supervision.figure.{name}") for name in FIGURES}  # their orders: the 督办 desk
    counted = [m for m in at.metric if m.label not in supervision]
    assert len(links) == len(counted)  # one link under every number, headline and alerts
    kpis = [q["k"][0] for q in links if "k" in q]
    assert len(kpis) == len(set(kpis)) and {"received", "succeeded", "success_rate", "overdue"} <= set(kpis)
    assert {q["a"][0] for q in links if "a" in q} == {"high_risk", "accept", "conclude", "follow_up"}
    assert all(q["from"] == [f"{THIS_YEAR}-01-01"] for q in links)


def test_list_exactly_the_cases_a_number_counts(db, make_app, office):
    query = {"from": f"{THIS_YEAR}-01-01", "to": f"{THIS_YEAR}-12-31", "k": "success_rate"}
    at = _open(make_app, office["user"], "pages/staff/stats_cases.py", query)
    assert _metric(at, "共计（件）") == "6" and "调解成功数" in page_text(at)
    with db.read() as s:
        expected = set(s.exec(select(Case.id).where(Case.status == "succeeded")).all())
    assert _listed(at) == expected
    at = _open(make_app, office["user"], "pages/staff/stats_cases.py", {**query, "p": "d"}, at)
    assert _metric(at, "共计（件）") == "8"
    at = _open(make_app, office["user"], "pages/staff/stats_cases.py", {"a": "high_risk"}, at)
    assert len(_listed(at)) == 1 and "高风险" in page_text(at)


def _listed(at) -> set[int]:
    """The cases the list shows, by their one-tap open buttons."""
    return {int(b.key.rsplit(".", 1)[1]) for b in at.button if (b.key or "").startswith("stats_cases.open.")}


def test_tap_a_case_behind_a_number_to_open_it(db, make_app, office):
    query = {"from": f"{THIS_YEAR}-01-01", "to": f"{THIS_YEAR}-12-31", "k": "succeeded"}
    at = _open(make_app, office["user"], "pages/staff/stats_cases.py", query)
    case_id = sorted(_listed(at))[0]
    at.button(key=f"stats_cases.open.{case_id}").click().run()
    assert not at.exception and at.query_params["case"] == str(case_id)
    with db.read() as s:
        assert s.get(Case, case_id).case_no in page_text(at) + " ".join(t.value for t in at.text)


def test_warning_list_opens_its_cases_and_leaves_out_withdrawn_and_closed(db, make_app, office):
    with db.write() as s:  # flagged as well, but no longer open: not a warning now
        done = insert_cases(
            s,
            [
                case_row(office["tree"]["v2"], date(THIS_YEAR, 1, 1), status=status, risk_level="high")
                for status in ("withdrawn", "archived", "failed")
            ],
        )
    at = _open(make_app, office["user"], "pages/staff/dashboard.py")
    assert _metric(at, "高风险") == "1"
    at = _open(make_app, office["user"], "pages/staff/stats_cases.py", {"a": "high_risk"}, at)
    shown = _listed(at)
    assert len(shown) == 1 and not shown & set(done) and _metric(at, "共计（件）") == "1"
    assert "群体性" in page_text(at)  # the rule the dashboard shows, from services/cases/warnings.py
    assert [b.proto.label for b in at.get("download_button")] == ["导出案件清单（Excel）"]
    at.button(key=f"stats_cases.open.{shown.pop()}").click().run()
    assert not at.exception and "case" in at.query_params


def test_show_report_tables_and_export_xlsx(db, make_app, office):
    at = _open(make_app, office["user"], "pages/staff/reports.py")
    assert "人民调解工作统计表" in page_text(at) and "主要指标" in page_text(at)
    assert len(at.dataframe) == 4
    download = at.get("download_button")[0]
    assert download.proto.label == "导出 Excel"


def test_import_ledger_through_page(db, make_app, office):
    wb = Workbook()
    ws = wb.active
    ws.append(["编号", "受理日期", "来源", "纠纷类型", "调解组织编码", "状态"])
    ws.append(["L-1", "2024-05-06", "来访", "邻里纠纷", "V1", "调解成功"])
    ws.append(["L-2", "2024-05-07", "walk_in", "loan", "NOPE", "succeeded"])
    buf = io.BytesIO()
    wb.save(buf)
    at = _open(make_app, office["user"], "pages/staff/import_cases.py")
    assert at.get("download_button")[0].proto.label == "下载台账模板"
    at.file_uploader[0].set_value(("ledger.xlsx", buf.getvalue(), "application/octet-stream"))
    at.run()
    assert not at.exception
    assert "发现 1 处错误" in page_text(at) and at.button(key="import_cases.commit").disabled
    good = b"case_no,received_on,source,category,org_code,status\nL-9,2024-05-06,walk_in,loan,V2,failed\n"
    at.file_uploader[0].set_value(("ledger.csv", good, "text/csv"))
    at.run()
    at.button(key="import_cases.commit").click().run()
    assert not at.exception and "已导入 1 件案件" in page_text(at)
    with db.read() as s:
        assert s.exec(select(Case.outcome).where(Case.case_no == "L-9")).one() == "failed"


def test_refuse_dashboard_without_permission(db, make_app):
    with db.write() as s:
        tree = make_tree(s)
        user = make_user(s, tree["v1"], ["mediator"], username="med")
    at = make_app(user=user)
    at.run()
    with pytest.raises(ValueError):  # not in the mediator's navigation
        at.switch_page("pages/staff/dashboard.py")
    with db.read() as s:
        assert s.exec(select(func.count()).select_from(Case)).one() == 0
