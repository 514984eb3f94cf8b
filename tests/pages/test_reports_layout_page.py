"""信息报送 page (AppTest, issue 23 fault 3): a month in progress says what it compares, the statutory frame shows,
and an office saves its own layout (title, columns) that the page and the workbook then follow."""

from __future__ import annotations

import json
from calendar import monthrange
from datetime import date

import pytest

from services.core import clock
from services.stats import dashboard as stats
from services.stats import report_layout
from tests.factories import make_tree, make_user
from tests.pages.conftest import page_text
from tests.services.stats.data import case_row, insert_cases


@pytest.fixture(autouse=True)
def _no_cache():
    stats.clear_cache()
    yield
    stats.clear_cache()


@pytest.fixture
def coordinator(db):
    with db.write() as s:
        tree = make_tree(s)
        user = make_user(s, tree["county"], ["coordinator"], username="coord")
        today = clock.today()
        insert_cases(s, [case_row(tree["v1"], date(today.year, today.month, 1), status="succeeded")])
    return user


def _open(make_app, user):
    at = make_app(user=user)
    at.run()
    at.switch_page("pages/staff/reports.py").run()
    assert not at.exception, at.exception
    return at


def test_report_page_says_a_month_in_progress_is_compared_with_the_same_days(db, make_app, coordinator):
    at = _open(make_app, coordinator)
    text = page_text(at)
    today = clock.today()
    assert "填报单位：江安县" in text
    if today.day < monthrange(today.year, today.month)[1]:  # the default month, this one, is still running
        assert f"至 {today.isoformat()}" in text and "相同天数" in text


def test_office_saves_its_own_report_layout_on_the_page(db, make_app, coordinator):
    at = _open(make_app, coordinator)
    value = report_layout.default_value()
    value["title"] = "{org}矛盾纠纷调解情况统计表（{period}）"
    value["tables"] = [{"key": "category", "columns": ["label", "received"], "labels": {"received": "件数"}}]
    at.text_area(key="reports.layout_text_0").set_value(json.dumps(value, ensure_ascii=False)).run()
    at.button(key="reports.layout_save").click().run()
    assert not at.exception, at.exception
    text = page_text(at)
    assert "已保存版式第 1 版" in text and "江安县矛盾纠纷调解情况统计表（" in text
    assert len(at.dataframe) == 1
    at.text_area(key="reports.layout_text_1").set_value('{"tables": []}').run()
    at.button(key="reports.layout_save").click().run()
    assert "不能为空" in page_text(at)
    with db.read() as s:
        assert report_layout.stored_value(s)[0] == 1
