"""目标考核 (issue 19): a county scheme with 8 indicators computed for its towns over a demo year matches a hand
count on 3 towns, each number's cases are listed, and publish → recompute keeps the published decision."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlmodel import Session

from models import Agreement, Case, FollowUp, Mediator, TrainingRecord
from services.assessment import dossier_review as review_svc
from services.assessment import measures, schemes, scorecards
from services.assessment.dossier_review import ItemScore
from services.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from services.roster.orgs import create_org
from tests.factories import make_actor, make_case, make_tree

DAY = datetime(2025, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in China
INDICATORS = [
    {"key": "success", "label": "调解成功率", "metric": "success_rate", "target": 0.9, "weight": 20, "rule": "ratio"},
    {
        "key": "perform",
        "label": "协议履行率",
        "metric": "performance_rate",
        "target": 0.9,
        "weight": 15,
        "rule": "ratio",
    },
    {
        "key": "accept",
        "label": "按时受理率",
        "metric": "accept_on_time",
        "target": 0.8,
        "weight": 10,
        "rule": "threshold",
    },
    {
        "key": "conclude",
        "label": "按时办结率",
        "metric": "conclude_on_time",
        "target": 1,
        "weight": 10,
        "rule": "ratio",
    },
    {
        "key": "follow",
        "label": "回访覆盖率",
        "metric": "follow_up_coverage",
        "target": 1,
        "weight": 10,
        "rule": "ratio",
    },
    {"key": "dossier", "label": "卷宗平均分", "metric": "dossier_score", "target": 90, "weight": 10, "rule": "ratio"},
    {"key": "c2c", "label": "民转刑案件", "metric": "civil_to_criminal", "weight": 10, "rule": "deduct", "per": 5},
    {"key": "reports", "label": "统计报表按时报送", "metric": "manual", "weight": 15, "rule": "manual"},
]


def _case(
    s: Session, org, *, status="succeeded", accept=1, conclude=20, received=DAY, flags=(), agreement=None, follow=False
) -> Case:
    case = make_case(s, org, received_at=received, status="accepted", risk_flags=list(flags))
    case.accepted_at = received + timedelta(days=accept)
    case.status = status
    if status in ("succeeded", "failed", "withdrawn"):
        case.concluded_at = received + timedelta(days=conclude)
    s.add(case)
    s.flush()
    if agreement:
        kind, performance, due = agreement
        s.add(Agreement(case_id=case.id, kind=kind, terms="赔偿", performance=performance, performance_due=due))
    if follow:
        s.add(FollowUp(case_id=case.id, done_at=received + timedelta(days=conclude + 5), satisfaction=5))
    s.flush()
    return case


@pytest.fixture
def county_year(db):
    """Three towns' cases in 2025 (and one the year before), reviews, training and the county's scheme."""
    with db.write() as s:
        tree = make_tree(s)
        t2 = create_org(s, code="T2", name="留耕镇", kind="town", parent=tree["county"])
        v3 = create_org(s, code="V3", name="南村调委会", kind="village_committee", parent=t2)
        t3 = create_org(s, code="T3", name="夕佳山镇", kind="town", parent=tree["county"])
        office = make_actor(s, tree["county"], ["coordinator"])
        cases = {
            "a": _case(s, tree["v1"], agreement=("written", "fulfilled", date(2025, 5, 1)), follow=True),
            "b": _case(s, tree["v1"], accept=5, conclude=40, agreement=("written", "pending", date(2025, 6, 1))),
            "c": _case(s, tree["v2"], status="failed", accept=2, conclude=30),
            "d": _case(s, tree["v2"], status="in_mediation", flags=["escalation"]),
            "e": _case(s, tree["town"], received=datetime(2024, 12, 20, 2, tzinfo=UTC)),  # the year before
            "f": _case(s, v3, conclude=10, agreement=("oral", "fulfilled", None), follow=True),
            "g": _case(s, v3, conclude=10, agreement=("written", "fulfilled", date(2025, 4, 1)), follow=True),
            "h": _case(s, t3, status="withdrawn", conclude=5),
        }
        mediator = Mediator(org_id=tree["v1"].id, name="王调解")
        s.add(mediator)
        s.flush()
        for day, hours in ((date(2025, 4, 2), 3), (date(2025, 9, 9), 2.5), (date(2024, 9, 9), 1)):
            s.add(TrainingRecord(mediator_id=mediator.id, held_on=day, title="业务培训", hours=hours))
        scheme = schemes.save_scheme(
            s,
            actor=office,
            region_org_id=tree["county"].id,
            name="2025年度乡镇综治目标考核",
            period="2025",
            start=date(2025, 1, 1),
            end=date(2025, 12, 31),
            unit_kinds=["town"],
            indicators=INDICATORS,
        )
    with time_machine.travel(datetime(2025, 11, 3, 2, tzinfo=UTC), tick=False), db.write() as s:
        for key, full in (("a", True), ("c", False)):
            _, _, lines = review_svc.draft(s, actor=office, case_id=cases[key].id)
            scores = {x.key: ItemScore(present=full, points=x.max_points if full else 0) for x in lines}
            review_svc.save_review(s, actor=office, case_id=cases[key].id, scores=scores)
    towns = {"t1": tree["town"], "t2": t2, "t3": t3}
    return office, scheme, towns, {k: c.id for k, c in cases.items()}


def _lines(card) -> dict[str, dict]:
    return {line["key"]: line for line in card.lines}


def test_compute_scheme_matches_hand_count(db, county_year):
    office, scheme, towns, ids = county_year
    with db.write() as s:
        cards = {c.org_id: c for c in scorecards.compute_scheme(s, actor=office, scheme_id=scheme.id)}
        t1 = cards[towns["t1"].id]
        scorecards.set_entry(s, actor=office, card_id=t1.id, indicator="reports", points=12, note="12份报表中1份迟报")
        t1 = scorecards.card_in_area(s, office, t1.id)
        t2, t3 = cards[towns["t2"].id], cards[towns["t3"].id]
        hours = measures.measure_unit(s, towns["t1"], date(2025, 1, 1), date(2025, 12, 31))["training_hours"]
    assert len(cards) == 3 and hours.value == 5.5
    one = _lines(t1)
    # town 1: a, b succeeded, c failed (e is 2024's) → 2/3; due a, b → fulfilled a → 1/2; accepted on time a, c, d of
    # a, b, c, d → 3/4 (< 80 %: 0 points); concluded on time a, c of a, b, c; follow-up a of a, b; dossier (100+0)/2;
    # one 民转刑 (d)
    assert (one["success"]["num"], one["success"]["den"]) == (2, 3)
    assert sorted(one["success"]["records"]) == sorted([ids["a"], ids["b"]])
    assert sorted(one["success"]["base"]) == sorted([ids["a"], ids["b"], ids["c"]])
    assert (one["perform"]["num"], one["perform"]["den"]) == (1, 2)
    assert (one["accept"]["num"], one["accept"]["den"]) == (3, 4)
    assert (one["conclude"]["num"], one["conclude"]["den"]) == (2, 3)
    assert (one["follow"]["num"], one["follow"]["den"]) == (1, 2)
    assert one["dossier"]["value"] == 50.0 and sorted(one["dossier"]["records"]) == sorted([ids["a"], ids["c"]])
    assert one["c2c"]["value"] == 1 and one["c2c"]["records"] == [ids["d"]]
    points = {k: line["points"] for k, line in one.items()}
    assert points == {
        "success": 14.81,
        "perform": 8.33,
        "accept": 0.0,
        "conclude": 6.67,
        "follow": 5.0,
        "dossier": 5.56,
        "c2c": 5.0,
        "reports": 12,
    }
    assert t1.total == 57.37
    # town 2: f, g all done on time → full points but no dossier reviewed and no report score yet
    assert {k: line["points"] for k, line in _lines(t2).items()} == {
        "success": 20.0,
        "perform": 15.0,
        "accept": 10.0,
        "conclude": 10.0,
        "follow": 10.0,
        "dossier": 0.0,
        "c2c": 10.0,
        "reports": 0.0,
    }
    # town 3: one withdrawn case — accepted on time; nothing mediated, so the rates have nothing to count
    three = _lines(t3)
    assert three["success"]["value"] is None and three["accept"]["value"] == 1.0 and three["conclude"]["den"] == 0
    assert t3.total == 20.0


def test_publish_then_recompute_keeps_published(db, county_year):
    office, scheme, towns, _ = county_year
    with db.write() as s:
        card = next(
            c for c in scorecards.compute_scheme(s, actor=office, scheme_id=scheme.id) if c.org_id == towns["t2"].id
        )
        card = scorecards.review_card(s, actor=office, card_id=card.id, version=card.version)
        card = scorecards.publish_card(s, actor=office, card_id=card.id, version=card.version)
        published = card.published_total
        with pytest.raises(Conflict):
            scorecards.publish_card(s, actor=office, card_id=card.id, version=card.version)
    with db.write() as s:  # a late 民转刑 case in town 2 changes the figures
        make_case(s, s.get(type(towns["t2"]), towns["t2"].id), received_at=DAY, risk_flags=["escalation"])
    with db.write() as s:
        scorecards.compute_scheme(s, actor=office, scheme_id=scheme.id)
        again = scorecards.card_in_area(s, office, card.id)
        table = scorecards.ranking(s, actor=office, scheme_id=scheme.id)
    assert again.status == "computed" and again.total == published - 5
    assert again.published_total == published == 75.0
    assert _lines(again)["c2c"]["value"] == 1 and {x["key"]: x for x in again.published_lines}["c2c"]["value"] == 0
    rows = table["town"]
    assert rows[0].org_id == towns["t2"].id and rows[0].rank == 1 and rows[0].total == 75.0
    assert all(r.rank is None for r in rows[1:])  # never published: listed, not ranked


def test_override_needs_reason_and_keeps_history(db, county_year):
    office, scheme, _, _ = county_year
    with db.write() as s:
        card = scorecards.compute_scheme(s, actor=office, scheme_id=scheme.id)[0]
        with pytest.raises(ValidationFailed):
            scorecards.set_entry(s, actor=office, card_id=card.id, indicator="success", points=20, note="")
        with pytest.raises(ValidationFailed):
            scorecards.set_entry(s, actor=office, card_id=card.id, indicator="success", points=21, note="上级复核认定")
        scorecards.set_entry(s, actor=office, card_id=card.id, indicator="success", points=18, note="上级复核认定")
        card = scorecards.set_entry(s, actor=office, card_id=card.id, indicator="success", points=19, note="再次复核")
        history = scorecards.entries_of(s, actor=office, card_id=card.id)
    line = _lines(card)["success"]
    assert line["points"] == 19 and line["entry"]["note"] == "再次复核" and line["computed_points"] is not None
    assert [e.points for e in history] == [19, 18]


def test_scheme_refuses_bad_indicator_and_mediator(db):
    with db.write() as s:
        tree = make_tree(s)
        office = make_actor(s, tree["county"], ["coordinator"])
        mediator = make_actor(s, tree["v1"], ["mediator"])
        kw = {
            "region_org_id": tree["county"].id,
            "name": "考核",
            "period": "2025",
            "start": date(2025, 1, 1),
            "end": date(2025, 12, 31),
            "unit_kinds": ["town"],
        }
        with pytest.raises(ValidationFailed) as err:
            schemes.save_scheme(s, actor=office, indicators=[{**INDICATORS[0], "metric": "nonsense"}], **kw)
        assert err.value.params == {"n": 1}
        with pytest.raises(PermissionDenied):
            schemes.save_scheme(s, actor=mediator, indicators=INDICATORS, **kw)
        first = schemes.save_scheme(s, actor=office, indicators=INDICATORS, **kw)
        second = schemes.save_scheme(s, actor=office, indicators=INDICATORS[:3], **kw)
        assert (first.version, second.version) == (1, 2)
        assert [x.id for x in schemes.schemes_for(s, actor=office)] == [second.id]


def test_export_ranked_table_to_excel(db, county_year):
    from io import BytesIO

    from openpyxl import load_workbook

    from services.assessment.scorecard_export import export_xlsx

    office, scheme, towns, _ = county_year
    with db.write() as s:
        cards = {c.org_id: c for c in scorecards.compute_scheme(s, actor=office, scheme_id=scheme.id)}
        card = cards[towns["t2"].id]
        card = scorecards.review_card(s, actor=office, card_id=card.id, version=card.version)
        scorecards.publish_card(s, actor=office, card_id=card.id, version=card.version)
        data = export_xlsx(s, actor=office, scheme_id=scheme.id)
    sheet = load_workbook(BytesIO(data))["乡镇（街道）"]
    assert sheet.cell(2, 1).value == "名次" and sheet.cell(2, 3).value == "调解成功率（20分）"
    assert [sheet.cell(3, c).value for c in (1, 2, 11, 12)] == [1, "留耕镇", 75, "已公布"]
    assert {sheet.cell(r, 2).value for r in (4, 5)} == {"红桥镇", "夕佳山镇"} and sheet.cell(4, 1).value == "—"


def test_keep_manual_score_evidence_for_the_area_only(db, county_year):
    office, scheme, towns, _ = county_year
    with db.write() as s:
        card = scorecards.compute_scheme(s, actor=office, scheme_id=scheme.id)[0]
        card = scorecards.set_entry(
            s,
            actor=office,
            card_id=card.id,
            indicator="reports",
            points=15,
            note="12期全部按时报送",
            evidence_name="报送回执.pdf",
            evidence=b"%PDF-1.4 receipt",
        )
        entry_id = _lines(card)["reports"]["entry"]["id"]
        assert scorecards.evidence_of(s, actor=office, entry_id=entry_id) == ("报送回执.pdf", b"%PDF-1.4 receipt")
        county = s.get(type(towns["t1"]), towns["t1"].parent_id)
        other = create_org(s, code="C9", name="长宁县", kind="county", parent=s.get(type(county), county.parent_id))
        outsider = make_actor(s, other, ["coordinator"])
        with pytest.raises(NotFound):
            scorecards.evidence_of(s, actor=outsider, entry_id=entry_id)
    assert _lines(card)["reports"]["points"] == 15 and card.status == "computed"
