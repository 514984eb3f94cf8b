"""KPIs: the seeds' figures exactly, every formula as the design defines it, and the columns the triggers keep."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, update
from sqlmodel import select

import manage
from models import Agreement, Case, FollowUp, JudicialConfirmation
from services.core.config import get_settings
from services.stats import dashboard as stats
from services.stats import kpi as K
from services.stats import reports
from services.stats.sql import Filters, Period
from tests.factories import make_actor, make_tree
from tests.services.stats.data import (
    TODAY,
    add_agreement,
    add_confirmation,
    add_follow_up,
    case_row,
    insert_cases,
    seed_decline,
    seed_figures,
)

YEAR_2025 = Period.year(2025)


@pytest.fixture(autouse=True)
def _no_cache():
    stats.clear_cache()
    yield
    stats.clear_cache()


def _coordinator(db):
    with db.write() as s:
        tree = make_tree(s)
        actor = make_actor(s, tree["county"], ["coordinator"])
    return tree, actor


def _stats_cli(db, monkeypatch, capsys, *args: str) -> dict:
    """`python manage.py stats --json …` against the test database (in this process)."""
    monkeypatch.setenv("DATABASE_URL", db.url)
    get_settings.cache_clear()
    stats.clear_cache()
    capsys.readouterr()
    assert manage.main(["stats", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_compute_seed_figures_services_and_cli(db, monkeypatch, capsys):
    tree, actor = _coordinator(db)
    with db.write() as s:
        seed_figures(s, tree["v1"], tree["v2"])
        seed_decline(s, tree["police"])
    with db.read() as s:
        v1 = stats.figures(s, actor=actor, filters=Filters(YEAR_2025, org_id=tree["v1"].id), today=TODAY)
        v2 = stats.figures(s, actor=actor, filters=Filters(YEAR_2025, org_id=tree["v2"].id), today=TODAY)
        alarms = reports.summary(
            s, actor=actor, filters=Filters(YEAR_2025, source="dispatch_110"), compare="previous-year", today=TODAY
        )
    assert (v1["received"], v1["mediated"], v1["succeeded"], v1["failed"]) == (654, 654, 601, 53)
    assert round(v1["success_rate"], 4) == 0.9190
    assert (v2["received"], v2["mediated"], v2["succeeded"]) == (503, 460, 307)
    assert round(v2["success_rate"], 4) == 0.6674
    assert (alarms["received"], alarms["previous"]["received"], alarms["decline_rate"]) == (2922, 4305, 0.3213)

    period = ["--from", "2025-01-01", "--to", "2025-12-31"]
    cli = _stats_cli(db, monkeypatch, capsys, "--org", "V1", *period)
    assert {k: cli[k] for k in ("received", "mediated", "succeeded", "success_rate")} == {
        "received": 654,
        "mediated": 654,
        "succeeded": 601,
        "success_rate": 0.919,
    }
    cli = _stats_cli(db, monkeypatch, capsys, "--source", "petition", *period)
    assert (cli["received"], cli["mediated"], cli["succeeded"], cli["success_rate"]) == (503, 460, 307, 0.6674)
    cli = _stats_cli(db, monkeypatch, capsys, "--org", "P1", *period, "--compare", "previous-year")
    assert (cli["received"], cli["previous"]["received"], cli["decline_rate"]) == (2922, 4305, 0.3213)
    assert {k.id for k in K.KPIS} <= set(cli)


def test_compute_every_kpi_on_hand_built_cases(db):
    """Ten cases, each chosen to hit or miss particular formulas; every KPI's value is checked."""
    tree, actor = _coordinator(db)
    d = date(2026, 3, 10)
    past, future = TODAY - timedelta(days=5), TODAY + timedelta(days=5)
    with db.write() as s:
        rows = [
            case_row(tree["v1"], d, status="succeeded"),  # 0 written, fulfilled
            case_row(tree["v1"], d, status="followed_up", source="screening"),  # 1 oral, fulfilled
            case_row(tree["v1"], d, status="archived", on_the_spot=True, source="on_the_spot"),  # 2 oral, no due
            case_row(tree["v2"], d, status="succeeded", source="court_entrust", pre_litigation=True),  # 3 due later
            case_row(tree["v2"], d, status="failed", diversion="litigation"),  # 4
            case_row(tree["v2"], d, status="archived", diversion="arbitration"),  # 5 failed, archived
            case_row(tree["v2"], d, status="withdrawn"),  # 6
            case_row(tree["v2"], d, status="rejected", reject_reason="duplicate"),  # 7
            case_row(
                tree["v1"],
                d,
                status="submitted",
                accept_due=past,
                group_size=12,
                risk_level="high",
                risk_flags=["group", "escalation"],
            ),  # 8 overdue
            case_row(tree["v1"], d, status="in_mediation", conclude_due=future, group_size=3),  # 9 on time
        ]
        ids = insert_cases(s, rows)
        add_agreement(s, ids[0], performance="fulfilled", due=past)
        add_agreement(s, ids[1], kind="oral", performance="fulfilled", due=future)
        add_agreement(s, ids[2], kind="oral", performance="pending", due=None)
        add_agreement(s, ids[3], performance="pending", due=future)
        add_confirmation(s, ids[0], tree["court"])
        add_confirmation(s, ids[3], tree["court"], result="rejected")
        add_follow_up(s, ids[0], 5)
        add_follow_up(s, ids[1], 3)
    with db.read() as s:
        v = stats.figures(s, actor=actor, filters=Filters(Period.months(202603, 202603)), today=TODAY)
    expected = {
        "received": 10,
        "accepted": 8,
        "mediated": 6,
        "succeeded": 4,
        "failed": 2,
        "withdrawn": 1,
        "rejected": 1,
        "in_progress": 2,
        "performance_due": 3,
        "fulfilled": 2,
        "confirmed": 1,
        "on_the_spot": 1,
        "oral_agreements": 2,
        "pre_litigation_succeeded": 1,
        "screening_prevented": 1,
        "group_disputes": 1,
        "group_people": 12,
        "high_risk": 1,
        "civil_to_criminal": 1,
        "rated": 2,
        "satisfied": 1,
        "satisfaction_points": 8,
        "overdue": 1,
    }
    assert {k: v[k] for k in expected} == expected
    assert v["success_rate"] == pytest.approx(4 / 6)
    assert v["performance_rate"] == pytest.approx(2 / 3)
    assert v["confirmation_rate"] == pytest.approx(1 / 4)
    assert v["satisfaction"] == pytest.approx(4.0) and v["satisfaction_rate"] == pytest.approx(0.5)


def test_keep_outcome_through_followup_archive_and_reopen(db):
    """The triggers keep `outcome` right for ORM updates of status, whoever makes them."""
    tree, _ = _coordinator(db)
    with db.write() as s:
        ok, bad = insert_cases(
            s, [case_row(tree["v1"], TODAY, status="accepted"), case_row(tree["v1"], TODAY, status="accepted")]
        )
    steps = [
        (ok, "succeeded", "succeeded"),
        (ok, "followed_up", "succeeded"),
        (ok, "archived", "succeeded"),
        (bad, "failed", "failed"),
        (bad, "archived", "failed"),
    ]
    for cid, status, outcome in steps:
        with db.write() as s:
            case = s.get(Case, cid)
            case.status = status
            if status == "failed":
                case.diversion = "litigation"
            s.add(case)
        with db.read() as s:
            assert s.exec(select(Case.outcome).where(Case.id == cid)).one() == outcome, status
    with db.write() as s:
        s.execute(update(Case).where(Case.id == ok).values(status="in_mediation"))  # reopened
    with db.read() as s:
        assert s.exec(select(Case.outcome).where(Case.id == ok)).one() is None


def test_keep_agreement_confirmation_and_satisfaction_on_case(db):
    tree, _ = _coordinator(db)
    with db.write() as s:
        (cid,) = insert_cases(s, [case_row(tree["v1"], TODAY, status="succeeded")])
        add_agreement(s, cid, kind="written", performance="pending", due=TODAY)
        add_agreement(s, cid, kind="oral", performance="pending", due=None, version=2)
        add_confirmation(s, cid, tree["court"], result="pending")
        add_follow_up(s, cid, 4)

    def facts():
        with db.read() as s:
            return tuple(
                s.exec(
                    select(
                        Case.agreement_kind, Case.performance, Case.performance_due, Case.confirmed, Case.satisfaction
                    ).where(Case.id == cid)
                ).one()
            )

    assert facts() == ("oral", "pending", None, False, 4)
    with db.write() as s:
        s.execute(
            update(Agreement).where(Agreement.case_id == cid, Agreement.version == 2).values(performance="fulfilled")
        )
        s.execute(update(JudicialConfirmation).where(JudicialConfirmation.case_id == cid).values(result="confirmed"))
        add_follow_up(s, cid, 2)
    assert facts() == ("oral", "fulfilled", None, True, 2)
    with db.write() as s:
        s.execute(delete(Agreement).where(Agreement.case_id == cid, Agreement.version == 2))
        s.execute(delete(JudicialConfirmation).where(JudicialConfirmation.case_id == cid))
        s.execute(delete(FollowUp).where(FollowUp.case_id == cid))
    assert facts() == ("written", "pending", TODAY, False, None)


def test_define_every_kpi_with_names_and_formulas():
    ids = [k.id for k in K.KPIS]
    assert len(ids) == len(set(ids))
    for k in (*K.KPIS, K.DECLINE):
        assert k.name_zh and k.name_en and k.formula_zh and k.formula_en, k.id
        if k.kind == "ratio":
            assert k.ratio is not None and all(K.BY_ID[x].kind in ("count", "sum") for x in k.ratio)
        elif k.kind in ("count", "sum"):
            assert k.where is not None
    assert "调解成功数 ÷（调解成功数 + 调解不成功数）" in K.BY_ID["success_rate"].formula_zh
    assert K.BY_ID["confirmation_rate"].ratio == ("confirmed", "succeeded")
    assert K.BY_ID["performance_rate"].ratio == ("fulfilled", "performance_due")


def test_compute_decline_and_ratio_edges():
    assert round(K.decline_rate(4305, 2922), 4) == 0.3213
    assert K.decline_rate(100, 120) == pytest.approx(-0.2)
    assert K.decline_rate(0, 5) is None and K.ratio(3, 0) is None
    assert K.rounded(2 / 3, K.BY_ID["success_rate"]) == 0.6667 and K.rounded(5.0, K.BY_ID["received"]) == 5
