"""Statistics: scope, breakdowns that add up, drill-down lists of exactly the counted cases, alerts, caching."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, text
from sqlmodel import col, select

from models import Agreement, Case, CaseEvent, FollowUp, Organisation
from services.core import clock
from services.core.errors import OutOfScope, PermissionDenied, ValidationFailed
from services.stats import dashboard as stats
from services.stats import drilldown
from services.stats import kpi as K
from services.stats.sql import Filters, Period, Slice
from tests.factories import make_actor, make_case, make_tree
from tests.services.stats.data import TODAY, add_agreement, add_follow_up, case_row, insert_cases

MARCH = Filters(Period.months(202603, 202603))


@pytest.fixture(autouse=True)
def _no_cache():
    stats.clear_cache()
    yield
    stats.clear_cache()


@pytest.fixture
def world(db):
    """Two counties; 40 cases under county C1 (both villages, the police room, the county itself) and 5 in C2."""
    with db.write() as s:
        tree = make_tree(s)
        c2 = stats_org(s, "C2", "county", tree["root"])
        v3 = stats_org(s, "V3", "village_committee", c2)
        coordinator = make_actor(s, tree["county"], ["coordinator"])
        justice = make_actor(s, tree["justice"], ["justice"])
        mediator = make_actor(s, tree["v1"], ["mediator"])
        statuses = [
            "succeeded",
            "failed",
            "archived",
            "in_mediation",
            "submitted",
            "followed_up",
            "withdrawn",
            "rejected",
        ]
        orgs = [tree["v1"], tree["v2"], tree["police"], tree["county"]]
        cats, srcs = ["neighbour", "loan", "labour"], ["walk_in", "phone", "screening", "petition"]
        rows = [
            case_row(
                orgs[i % 4],
                date(2026, 2 + i % 3, 1 + i % 27),
                status=statuses[i % 8],
                category=cats[i % 3],
                source=srcs[i % 4],
                diversion="litigation" if statuses[i % 8] == "failed" else None,
                risk_level="high" if i % 9 == 0 else "none",
                risk_flags=["escalation"] if i % 9 == 0 else [],
            )
            for i in range(40)
        ]
        rows.append(case_row(tree["v1"], date(2026, 3, 5), category="retired_code"))  # not in the dictionary
        rows += [case_row(v3, date(2026, 3, 2), status="succeeded") for _ in range(5)]
        ids = insert_cases(s, rows)
    return {
        "tree": tree,
        "c2": c2,
        "v3": v3,
        "coordinator": coordinator,
        "justice": justice,
        "mediator": mediator,
        "ids": ids,
    }


def stats_org(s, code, kind, parent):
    from services.roster.orgs import create_org

    return create_org(s, code=code, name=f"{code}名称", kind=kind, parent=parent)


def _all_pages(db, actor, filters, kpi_id, part="numerator", piece=None, limit=7):
    ids, after, pages = [], None, 0
    while True:
        with db.read() as s:
            page = drilldown.list_cases(
                s,
                actor=actor,
                filters=filters,
                kpi_id=kpi_id,
                part=part,
                piece=piece,
                after=after,
                limit=limit,
                today=TODAY,
            )
        ids += [(i.received_on.year * 100 + i.received_on.month, i.id) for i in page.items]
        pages += 1
        if page.after is None:
            return ids, pages
        after = page.after


def test_scope_statistics_to_actor_area(db, world):
    tree = world["tree"]
    spring = Filters(Period.months(202602, 202604))
    with db.read() as s:
        county = stats.figures(s, actor=world["coordinator"], filters=spring, today=TODAY)
        justice = stats.figures(s, actor=world["justice"], filters=spring, today=TODAY)
        v1 = stats.figures(
            s, actor=world["coordinator"], filters=Filters(spring.period, org_id=tree["v1"].id), today=TODAY
        )
        with pytest.raises(OutOfScope):
            stats.figures(s, actor=world["coordinator"], filters=Filters(spring.period, org_id=world["v3"].id))
        with pytest.raises(PermissionDenied):
            stats.figures(s, actor=world["mediator"], filters=spring)
        with pytest.raises(ValidationFailed):
            stats.figures(s, actor=world["coordinator"], filters=Filters(spring.period, category="no_such"))
    assert county["received"] == 41 and v1["received"] == 11
    assert justice["received"] == 41  # a justice office serves its county (the area rule of services/authz)


def test_add_up_breakdowns_to_headline(db, world):
    with db.read() as s:
        d = stats.dashboard(s, actor=world["coordinator"], filters=Filters(Period.months(202602, 202604)), today=TODAY)
    total = d.current["received"]
    assert sum(r["received"] for r in d.by_month) == total == 41
    assert [r.key for r in d.by_month] == [202602, 202603, 202604]
    for rows in (d.by_category, d.by_source, d.by_org):
        assert sum(r["received"] for r in rows) == total
        assert sum(r["succeeded"] for r in rows) == d.current["succeeded"]
    assert {r.key: r["received"] for r in d.by_category}[""] == 1  # the retired code, not lost
    by_org = {r.key: r["received"] for r in d.by_org}
    assert by_org == {world["tree"]["town"].id: 31, world["tree"]["county"].id: 10}  # the town subtree; own cases


def test_list_exactly_the_counted_cases_for_every_kpi(db, world):
    filters = Filters(Period.months(202602, 202604))
    actor = world["coordinator"]
    with db.read() as s:
        values = stats.figures(s, actor=actor, filters=filters, today=TODAY)
    for k in K.KPIS:
        parts = ("numerator", "denominator") if k.ratio else ("numerator",)
        for part in parts:
            if k.kind == "sum":
                continue
            counted = k.ratio[0 if part == "numerator" else 1] if k.ratio else k.id
            if K.BY_ID[counted].kind == "sum":
                continue
            keys, _ = _all_pages(db, actor, filters, k.id, part)
            assert len(keys) == len(set(keys)) == values[counted], (k.id, part)
            assert keys == sorted(keys, reverse=True), "newest first, keyset order"
            with db.read() as s:
                assert (
                    drilldown.count_cases(s, actor=actor, filters=filters, kpi_id=k.id, part=part, today=TODAY)
                    == values[counted]
                )


def test_list_cases_of_one_slice(db, world):
    actor, tree = world["coordinator"], world["tree"]
    filters = Filters(Period.months(202602, 202604))
    with db.read() as s:
        d = stats.dashboard(s, actor=actor, filters=filters, today=TODAY)
    for row in d.by_category:
        if row.key:
            keys, _ = _all_pages(db, actor, filters, "received", piece=Slice(category=row.key))
            assert len(keys) == row["received"]
    for row in d.by_org:
        keys, _ = _all_pages(db, actor, filters, "succeeded", piece=Slice(org_id=row.key))
        assert len(keys) == row["succeeded"], row.name
    march = next(r for r in d.by_month if r.key == 202603)
    keys, pages = _all_pages(db, actor, filters, "received", piece=Slice(month=202603), limit=5)
    assert len(keys) == march["received"] and pages == -(-march["received"] // 5) + (march["received"] % 5 == 0)
    with db.read() as s, pytest.raises(ValidationFailed):
        drilldown.list_cases(s, actor=actor, filters=filters, kpi_id="received", piece=Slice(org_id=world["v3"].id))
    assert tree["v1"].id


def test_refuse_lists_without_case_permission(db, world):
    with db.write() as s:
        from services.access.accounts import load_actor

        actor = load_actor(s, world["coordinator"].user_id)
    no_cases = type(actor)(**{**actor.__dict__, "permissions": actor.permissions - {"case.view"}})
    with db.read() as s, pytest.raises(PermissionDenied):
        drilldown.list_cases(s, actor=no_cases, filters=MARCH, kpi_id="received")


def test_count_exact_days_in_edge_months(db):
    with db.write() as s:
        tree = make_tree(s)
        actor = make_actor(s, tree["county"], ["coordinator"])
        insert_cases(s, [case_row(tree["v1"], date(2025, 3, 1) + timedelta(days=i)) for i in range(61)])
    with db.read() as s:
        v = stats.figures(s, actor=actor, filters=Filters(Period(date(2025, 3, 15), date(2025, 4, 10))), today=TODAY)
        keys, _ = _all_pages(db, actor, Filters(Period(date(2025, 3, 15), date(2025, 4, 10))), "received")
    assert v["received"] == 17 + 10 == len(keys)


def test_count_days_months_and_years_where_the_mediators_work(db):
    """A case received at 00:30 on 1 February in China (16:30 UTC on 31 January) is February's, in every
    statistic, its number and its deadlines; one received at 23:59 on 31 January China time is January's."""
    first_feb, last_jan = datetime(2027, 1, 31, 16, 30, tzinfo=UTC), datetime(2027, 1, 31, 15, 59, tzinfo=UTC)
    with db.write() as s:
        tree = make_tree(s)
        actor = make_actor(s, tree["county"], ["coordinator"])
        feb, jan = (make_case(s, tree["v1"], received_at=at) for at in (first_feb, last_jan))
        assert (feb.received_month, jan.received_month) == (202702, 202701)
        assert feb.accept_due == date(2027, 2, 1) + timedelta(days=3) and jan.accept_due == date(2027, 2, 3)
        new_year = make_case(s, tree["v1"], received_at=datetime(2026, 12, 31, 17, 0, tzinfo=UTC))
        assert new_year.case_no.startswith("2027-") and new_year.received_month == 202701
    with db.read() as s:

        def received(period: Period) -> int:
            return stats.figures(s, actor=actor, filters=Filters(period), today=date(2027, 2, 1))["received"]

        assert received(Period(date(2027, 2, 1), date(2027, 2, 1))) == 1
        assert received(Period(date(2027, 1, 31), date(2027, 1, 31))) == 1
        assert received(Period.months(202702, 202702)) == 1 and received(Period.months(202701, 202701)) == 2
        assert received(Period.year(2027)) == 3 and received(Period.year(2026)) == 0


def test_compare_previous_periods():
    q3 = Period.quarter(2026, 3)
    assert q3.previous("previous-period") == Period.months(202604, 202606)
    assert q3.previous("previous-year") == Period.months(202507, 202509)
    odd = Period(date(2026, 3, 10), date(2026, 3, 19))
    assert odd.previous("previous-period") == Period(date(2026, 2, 28), date(2026, 3, 9))
    assert Period(date(2024, 2, 29), date(2024, 2, 29)).previous("previous-year") == Period(
        date(2023, 2, 28), date(2023, 2, 28)
    )
    with pytest.raises(ValidationFailed):
        Period(date(2026, 2, 1), date(2026, 1, 1))


def test_show_open_alerts_by_flag_and_deadline(db):
    with db.write() as s:
        tree = make_tree(s)
        actor = make_actor(s, tree["county"], ["coordinator"])
        long_ago = TODAY - timedelta(days=90)
        ids = insert_cases(
            s,
            [
                case_row(tree["v1"], long_ago, status="submitted", risk_level="high", risk_flags=["group", "violence"]),
                case_row(tree["v1"], long_ago, status="in_mediation"),
                case_row(tree["v2"], long_ago, status="succeeded"),
                case_row(tree["v2"], long_ago, status="succeeded"),
                case_row(tree["v2"], TODAY, status="accepted", risk_level="high", risk_flags=["self_harm"]),
            ],
        )
        add_follow_up(s, ids[2], None, due=TODAY - timedelta(days=1), done=False)
        add_follow_up(s, ids[3], None, due=TODAY + timedelta(days=3), done=False)
    with db.read() as s:
        a = stats.alerts(s, actor=actor, filters=MARCH, today=TODAY)
        listed = {
            kind: [i.id for i in drilldown.list_alerts(s, actor=actor, filters=MARCH, kind=kind, today=TODAY).items]
            for kind in drilldown.ALERT_KINDS
        }
    assert a.high_risk == 2 and a.by_flag == {
        "group": 1,
        "violence": 1,
        "self_harm": 1,
        "escalation": 0,
        "petition_up": 0,
        "repeat_party": 0,
        "repeat_address": 0,
    }
    assert a.overdue == {"accept": 1, "conclude": 1, "follow_up": 1}
    assert listed == {"high_risk": [ids[4], ids[0]], "accept": [ids[0]], "conclude": [ids[1]], "follow_up": [ids[2]]}


def test_invalidate_cache_on_write(db):
    with db.write() as s:
        tree = make_tree(s)
        actor = make_actor(s, tree["county"], ["coordinator"])
        make_case(s, tree["v1"])
    this_year = Filters(Period.year(clock.today().year))
    with db.read() as s:
        first = stats.figures(s, actor=actor, filters=this_year)
        again = stats.figures(s, actor=actor, filters=this_year)
    assert again is first  # served from the cache
    with db.write() as s:
        make_case(s, tree["v2"])  # audited like every write through the services
    with db.read() as s:
        assert stats.figures(s, actor=actor, filters=this_year)["received"] == first["received"] + 1


# ------------------------------------------------------------------------------- property: SQL = a reference model

CASES = st.fixed_dictionaries(
    {
        "status": st.sampled_from(
            [
                "submitted",
                "accepted",
                "in_mediation",
                "succeeded",
                "failed",
                "withdrawn",
                "rejected",
                "followed_up",
                "archived",
            ]
        ),
        "source": st.sampled_from(["walk_in", "screening", "court_entrust", "on_the_spot"]),
        "group_size": st.sampled_from([0, 4, 5, 30]),
        "agreement": st.sampled_from([None, "written", "oral"]),
        "performance": st.sampled_from(["pending", "fulfilled", "partly", "breached"]),
        "due": st.sampled_from([None, -3, 0, 4]),
        "satisfaction": st.sampled_from([None, 1, 4, 5]),
        "diversion": st.booleans(),
    }
)


def _reference(c: dict) -> dict[str, bool]:
    """What each count KPI should say about one case, written independently of the SQL."""
    outcome = {
        "succeeded": "succeeded",
        "followed_up": "succeeded",
        "failed": "failed",
        "withdrawn": "withdrawn",
        "rejected": "rejected",
    }.get(c["status"])
    if c["status"] == "archived":
        outcome = "failed" if c["diversion"] else "succeeded"
    ok = outcome == "succeeded"
    has_agreement = ok and c["agreement"] is not None
    due = c["due"] is None or c["due"] < 0 or c["performance"] != "pending"
    return {
        "received": True,
        "accepted": c["status"] != "submitted" and outcome != "rejected",
        "mediated": outcome in ("succeeded", "failed"),
        "succeeded": ok,
        "failed": outcome == "failed",
        "withdrawn": outcome == "withdrawn",
        "rejected": outcome == "rejected",
        "in_progress": outcome is None,
        "performance_due": has_agreement and due,
        "fulfilled": has_agreement and c["performance"] == "fulfilled",
        "oral_agreements": has_agreement and c["agreement"] == "oral",
        "on_the_spot": c["source"] == "on_the_spot",
        "pre_litigation_succeeded": ok and c["source"] == "court_entrust",
        "screening_prevented": ok and c["source"] == "screening",
        "group_disputes": c["group_size"] >= 5,
        "rated": c["satisfaction"] is not None,
        "satisfied": (c["satisfaction"] or 0) >= 4,
    }


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases=st.lists(CASES, min_size=1, max_size=25))
def test_match_reference_model_on_random_cases(sqlite_db, cases):
    db = sqlite_db
    stats.clear_cache()
    with db.write() as s:
        for model in (Agreement, FollowUp, CaseEvent):
            s.execute(delete(model))
        s.execute(delete(Case))
        tree = s.exec(select(Organisation).where(Organisation.code == "V1")).first()
        if tree is None:
            tree = make_tree(s)["v1"]
            make_actor(s, s.exec(select(Organisation).where(Organisation.code == "C1")).one(), ["coordinator"])
        v1 = tree
        rows = [
            case_row(
                v1,
                date(2026, 3, 3),
                status=c["status"],
                source=c["source"],
                group_size=c["group_size"],
                on_the_spot=c["source"] == "on_the_spot",
                pre_litigation=c["source"] == "court_entrust",
                diversion="litigation" if c["diversion"] and c["status"] in ("archived", "failed") else None,
            )
            for c in cases
        ]
        ids = insert_cases(s, rows)
        for cid, c in zip(ids, cases, strict=True):
            if c["agreement"]:
                add_agreement(
                    s,
                    cid,
                    kind=c["agreement"],
                    performance=c["performance"],
                    due=None if c["due"] is None else TODAY + timedelta(days=c["due"]),
                )
            if c["satisfaction"] is not None:
                add_follow_up(s, cid, c["satisfaction"])
        user_id = s.exec(text("SELECT min(id) FROM user")).scalar()
    with db.read() as s:
        from services.access.accounts import load_actor

        actor = load_actor(s, user_id)
        v = stats.figures(s, actor=actor, filters=MARCH, today=TODAY)
    expected: dict[str, int] = {}
    for c in cases:
        c = {**c, "diversion": c["diversion"] and c["status"] in ("archived", "failed")}
        for k, hit in _reference(c).items():
            expected[k] = expected.get(k, 0) + hit
    assert {k: int(v[k] or 0) for k in expected} == expected
    assert col(Case.id) is not None
