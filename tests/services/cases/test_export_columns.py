"""The case export (issue 23 #6): mediator, closing date and agreed amount; the warning list as a workbook."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert

from models import Agreement, Mediator
from services.cases import export as case_export
from services.stats import dashboard as stats
from services.stats.sql import Filters, Period
from tests.factories import make_actor, make_tree
from tests.services.stats.data import case_row, insert_cases

YEAR = Filters(Period(date(2026, 1, 1), date(2026, 12, 31)))
TODAY = date(2026, 12, 7)
FLAGGED = {"risk_level": "high", "risk_flags": ["group"]}


@pytest.fixture(autouse=True)
def _no_cache():
    stats.clear_cache()
    yield
    stats.clear_cache()


@pytest.fixture
def office(db):
    with db.write() as s:
        tree = make_tree(s)
        coordinator = make_actor(s, tree["county"], ["coordinator"])
        wang = Mediator(org_id=tree["v1"].id, name="王调解")
        s.add(wang)
        s.flush()
        closed = datetime(2026, 11, 30, 17, 30, tzinfo=UTC)  # 1 December, 01:30 in China
        rows = [
            case_row(tree["v1"], date(2026, 11, 20), status="succeeded", mediator_id=wang.id, concluded_at=closed),
            case_row(tree["v2"], date(2026, 11, 21), status="in_mediation", **FLAGGED),
            case_row(tree["v2"], date(2026, 11, 22), status="withdrawn", concluded_at=closed, **FLAGGED),
        ]
        ids = insert_cases(s, rows)
        signed = datetime(2026, 11, 25, tzinfo=UTC)
        s.execute(  # the newest agreement's amount is the agreed one: 2,500.00 yuan, not v1's 10.00
            insert(Agreement),
            [
                {
                    "case_id": ids[0],
                    "version": v,
                    "kind": "written",
                    "terms": "双方和解",
                    "amount_fen": fen,
                    "signed_at": signed,
                }
                for v, fen in ((1, 1_000), (2, 250_000))
            ],
        )
    return coordinator, ids


def _sheet(data: bytes) -> dict[str, dict[str, object]]:
    """case number → {header: value} of the exported workbook, read back with openpyxl."""
    rows = [[c.value for c in r] for r in load_workbook(io.BytesIO(data)).active.iter_rows()]
    return {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}


def test_case_export_names_mediator_closing_date_and_agreed_amount(db, office):
    coordinator, _ = office
    with db.read() as s:
        sheet = _sheet(case_export.export_cases_xlsx(s, actor=coordinator, filters=YEAR, lang="zh-CN", today=TODAY))
    done = next(r for r in sheet.values() if r["状态"] == "调解成功")
    assert (done["调解员"], done["结案日期"], done["协议金额（元）"]) == ("王调解", "2026-12-01", 2500)
    waiting = next(r for r in sheet.values() if r["状态"] == "调解中")
    assert (waiting["调解员"], waiting["结案日期"], waiting["协议金额（元）"]) == (None, None, None)  # empty cells


def test_warning_list_exports_to_xlsx_without_withdrawn_cases(db, office):
    coordinator, _ = office
    with db.read() as s:
        data = case_export.export_cases_xlsx(
            s, actor=coordinator, filters=YEAR, alert="high_risk", lang="zh-CN", today=TODAY
        )
    sheet = _sheet(data)
    assert [r["状态"] for r in sheet.values()] == ["调解中"]
    assert all(r["高风险"] == "是" for r in sheet.values())
