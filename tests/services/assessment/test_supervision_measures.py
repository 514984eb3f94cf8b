"""Supervision figures in unit assessment (issues 18 item 5, 19 item 1): 督办按时办结率 and 问责次数 per unit equal a
hand count for two towns, on both engines, and a scheme's scorecard shows them with their cases one tap away."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session

from models import AccountabilityEvent, Organisation, SupervisionOrder
from services.assessment import card_view, measures, schemes, scorecards
from services.roster.orgs import create_org
from services.supervision.figures import unit_figures
from tests.factories import make_actor, make_case, make_tree

FIRST, LAST = date(2025, 1, 1), date(2025, 12, 31)


def _at(day: date, hour: int = 2) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)  # 10:00 in China


def _order(
    s: Session,
    supervisor: Organisation,
    handler: Organisation,
    *,
    opened: date,
    deadline: date,
    delisted: date | None = None,
    state: str = "listed",
) -> SupervisionOrder:
    case = make_case(s, handler, received_at=_at(opened))
    order = SupervisionOrder(
        case_id=case.id or 0,
        supervisor_org_id=supervisor.id or 0,
        handling_org_id=handler.id or 0,
        reason="overdue_unconcluded",
        deadline=deadline,
        report_due=deadline,
        state="delisted" if delisted else state,
        opened_at=_at(opened),
        delisted_at=_at(delisted) if delisted else None,
    )
    s.add(order)
    s.flush()
    return order


def _event(s: Session, order: SupervisionOrder, due: date, at: datetime) -> None:
    s.add(AccountabilityEvent(order_id=order.id or 0, org_id=order.handling_org_id, due=due, created_at=at, detail={}))
    s.flush()


@pytest.fixture
def supervised(db):
    """Two towns' supervision orders in 2025 (and some outside it) and the accountability events against them."""
    with db.write() as s:
        tree = make_tree(s)
        county = tree["county"]
        t2 = create_org(s, code="T2", name="留耕镇", kind="town", parent=county)
        v3 = create_org(s, code="V3", name="南村调委会", kind="village_committee", parent=t2)
        office = make_actor(s, county, ["coordinator"])
        o = {
            # town 1 (红桥镇 and its villages)
            "on_time": _order(
                s, county, tree["v1"], opened=date(2025, 3, 10), deadline=date(2025, 3, 20), delisted=date(2025, 3, 20)
            ),
            "late": _order(
                s, county, tree["v2"], opened=date(2025, 4, 1), deadline=date(2025, 4, 10), delisted=date(2025, 4, 15)
            ),
            "listed_past": _order(s, county, tree["town"], opened=date(2025, 5, 1), deadline=date(2025, 5, 10)),
            "not_due": _order(s, county, tree["v1"], opened=date(2025, 12, 20), deadline=date(2099, 1, 1)),
            "last_year": _order(
                s, county, tree["v1"], opened=date(2024, 12, 1), deadline=date(2024, 12, 5), delisted=date(2024, 12, 30)
            ),
            # town 2 (留耕镇)
            "t2_on_time": _order(
                s, county, v3, opened=date(2025, 6, 1), deadline=date(2025, 6, 30), delisted=date(2025, 6, 20)
            ),
            "t2_asked": _order(
                s, county, v3, opened=date(2025, 7, 1), deadline=date(2025, 7, 5), state="delist_requested"
            ),
        }
        # 16:30 UTC on 31 Dec 2025 is 1 Jan 2026 in China: outside the year
        _event(s, o["late"], date(2025, 4, 8), _at(date(2025, 4, 9), 1))
        _event(s, o["listed_past"], date(2025, 5, 8), _at(date(2025, 5, 9)))
        _event(s, o["listed_past"], date(2025, 5, 15), datetime(2025, 12, 31, 16, 30, tzinfo=UTC))
        _event(s, o["last_year"], date(2024, 12, 3), _at(date(2024, 12, 4)))
        _event(s, o["t2_asked"], date(2025, 7, 3), _at(date(2025, 7, 4)))
        _event(s, o["t2_asked"], date(2025, 7, 10), _at(date(2025, 7, 11)))
        cases = {k: v.case_id for k, v in o.items()}
    return office, {"t1": tree["town"], "t2": t2}, cases


def test_supervision_measures_match_a_hand_count(db, supervised):
    _, towns, cases = supervised
    with db.read() as s:
        one = measures.measure_unit(s, towns["t1"], FIRST, LAST)
        two = measures.measure_unit(s, towns["t2"], FIRST, LAST)
        fig = unit_figures(s, unit_path=towns["t1"].path, first=FIRST, last=LAST).figures
    # town 1: of the 2025 orders, on_time de-listed on its deadline day; late de-listed after it; listed_past still
    # listed past it → 1 ÷ 3; not_due is within its deadline; last_year opened in 2024. Events in 2025 China days:
    # late's and listed_past's first (the second fell on 1 Jan 2026 China time; last_year's in 2024) → 2
    rate = one["supervision_on_time"]
    assert (rate.num, rate.den) == (1, 3) and rate.value == pytest.approx(1 / 3)
    assert rate.records == [cases["on_time"]]
    assert rate.base == sorted([cases["on_time"], cases["late"], cases["listed_past"]])
    events = one["accountability_events"]
    assert (events.value, events.num, events.den) == (2.0, 2, None)
    assert events.records == sorted([cases["late"], cases["listed_past"]])
    assert (fig.opened, fig.on_time, fig.overdue, fig.delisted, fig.accountability) == (4, 1, 2, 2, 2)
    # town 2: t2_on_time de-listed before its deadline; t2_asked past its deadline awaiting de-listing → 1 ÷ 2;
    # two missed report days → 2 events on one case
    rate = two["supervision_on_time"]
    assert (rate.num, rate.den, rate.value) == (1, 2, 0.5)
    assert rate.base == sorted([cases["t2_on_time"], cases["t2_asked"]])
    assert (two["accountability_events"].num, two["accountability_events"].records) == (2, [cases["t2_asked"]])
    # a town with no orders: nothing to divide by, no events
    with db.read() as s:
        county = s.get(Organisation, towns["t1"].parent_id)
        assert county is not None
        none = measures.measure_unit(s, county, date(2030, 1, 1), date(2030, 12, 31))
    assert none["supervision_on_time"].value is None and none["accountability_events"].value == 0


def test_scorecard_shows_supervision_lines_with_their_cases(db, supervised, monkeypatch):
    office, towns, cases = supervised
    for key, unit in measures.SUPERVISION_METRICS.items():  # schemes.METRICS lists them (see the report)
        monkeypatch.setitem(schemes.METRICS, key, unit)
    indicators = [
        {
            "key": "sup",
            "label": "督办按时办结率",
            "metric": "supervision_on_time",
            "target": 0.9,
            "weight": 10,
            "rule": "ratio",
        },
        {
            "key": "acc",
            "label": "问责次数",
            "metric": "accountability_events",
            "weight": 10,
            "rule": "deduct",
            "per": 3,
        },
    ]
    with db.write() as s:
        scheme = schemes.save_scheme(
            s,
            actor=office,
            region_org_id=towns["t1"].parent_id,
            name="2025年度督办考核",
            period="2025",
            start=FIRST,
            end=LAST,
            unit_kinds=["town"],
            indicators=indicators,
        )
        cards = {c.org_id: c for c in scorecards.compute_scheme(s, actor=office, scheme_id=scheme.id)}
    one = {line["key"]: line for line in cards[towns["t1"].id].lines}
    two = {line["key"]: line for line in cards[towns["t2"].id].lines}
    # town 1: 10 × (1/3 ÷ 0.9) = 3.70; 10 − 3 × 2 = 4. Town 2: 10 × (0.5 ÷ 0.9) = 5.56; 4
    assert (one["sup"]["points"], one["acc"]["points"]) == (3.7, 4.0)
    assert (two["sup"]["points"], two["acc"]["points"]) == (5.56, 4.0)
    assert cards[towns["t1"].id].total == 7.7
    with db.read() as s:
        rows = card_view.line_records(s, actor=office, card_id=cards[towns["t2"].id].id, key="acc")
        base = card_view.line_records(s, actor=office, card_id=cards[towns["t1"].id].id, key="sup", base=True)
    assert [r.id for r in rows] == [cases["t2_asked"]]
    assert sorted(r.id for r in base) == sorted([cases["on_time"], cases["late"], cases["listed_past"]])
