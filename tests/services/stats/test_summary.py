"""Statistics summaries (issue 21): kept in the same transaction as every change, equal to a recount after each
step of random workflows on both engines; the dashboard reads them and shows what a scan of the cases shows."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, update
from sqlmodel import col, select

from models import (
    Agreement,
    Case,
    CaseEvent,
    FollowUp,
    JudicialConfirmation,
    LedgerEntry,
    MediationSession,
    Organisation,
    SubsidyClaim,
)
from models.stats import stats_case_area, stats_paid_org
from services.core import clock
from services.roster.orgs import create_org, move_org
from services.stats import dashboard as stats
from services.stats import rollup, summary
from services.stats.sql import Filters, Period
from tests.factories import make_actor, make_tree
from tests.services.stats.data import TODAY, add_agreement, add_confirmation, add_follow_up, case_row, insert_cases

STATUSES = ("submitted", "accepted", "in_mediation", "succeeded", "failed", "withdrawn", "rejected", "archived")
CATEGORIES, SOURCES = ("neighbour", "loan", "labour"), ("walk_in", "phone", "screening", "on_the_spot")
CASE = st.fixed_dictionaries(
    {
        "org": st.integers(0, 4),
        "month": st.sampled_from((1, 2, 3)),
        "status": st.sampled_from(STATUSES),
        "category": st.sampled_from(CATEGORIES),
        "source": st.sampled_from(SOURCES),
        "group_size": st.sampled_from((0, 3, 7)),
        "risk": st.booleans(),
        "diverted": st.booleans(),
    }
)
STEP = st.one_of(
    st.tuples(st.just("insert"), st.lists(CASE, min_size=1, max_size=4)),
    st.tuples(st.just("status"), st.integers(0, 50), st.sampled_from(STATUSES)),
    st.tuples(st.just("edit"), st.integers(0, 50), CASE),
    st.tuples(
        st.just("agreement"),
        st.integers(0, 50),
        st.sampled_from(("written", "oral")),
        st.sampled_from(("pending", "fulfilled", "breached")),
        st.sampled_from((None, -5, 0, 5)),
    ),
    st.tuples(st.just("follow_up"), st.integers(0, 50), st.sampled_from((None, 2, 4, 5))),
    st.tuples(st.just("visit"), st.integers(0, 50), st.sampled_from((-3, 0, 3)), st.booleans()),
    st.tuples(st.just("confirm"), st.integers(0, 50)),
    st.tuples(st.just("delete"), st.integers(0, 50)),
    st.tuples(st.just("move"), st.booleans()),
    st.tuples(st.just("pay"), st.integers(0, 50), st.booleans()),
    st.tuples(st.just("session"), st.integers(0, 50), st.integers(0, 3), st.booleans(), st.integers(-40, 40)),
)


@pytest.fixture
def small_world(db):
    with db.write() as s:
        tree = make_tree(s)
        c2 = create_org(s, code="C2", name="第二县", kind="county", parent=tree["root"])
        t2 = create_org(s, code="T2", name="第二镇", kind="town", parent=c2)
        admin = make_actor(s, tree["root"], ["admin"])
        coordinator = make_actor(s, tree["root"], ["coordinator"])
    return {
        "orgs": [tree["v1"].id, tree["v2"].id, tree["police"].id, tree["county"].id, t2.id],
        "town": tree["town"].id,
        "c1": tree["county"].id,
        "c2": c2.id,
        "court": tree["court"],
        "admin": admin,
        "coordinator": coordinator,
    }


def _org(s, org_id: int) -> Organisation:
    org = s.get(Organisation, org_id)
    assert org is not None
    return org


def _row(s, world, c) -> dict:
    org = _org(s, world["orgs"][c["org"]])
    return case_row(
        org,
        date(2026, c["month"], 3),
        status=c["status"],
        category=c["category"],
        source=c["source"],
        group_size=c["group_size"],
        risk_level="high" if c["risk"] else "none",
        risk_flags=["escalation"] if c["risk"] else [],
        diversion="litigation" if c["diverted"] and c["status"] in ("failed", "archived") else None,
        on_the_spot=c["source"] == "on_the_spot",
    )


def _pick(s, i: int) -> Case | None:
    ids = s.exec(select(Case.id).order_by(col(Case.id))).all()
    return s.get(Case, ids[i % len(ids)]) if ids else None


def apply_step(db, world, step) -> None:
    kind = step[0]
    with db.write() as s:
        if kind == "insert":
            insert_cases(s, [_row(s, world, c) for c in step[1]])
            return
        if kind == "move":  # the town (and its cases) to the other county, or back
            move_org(s, actor=world["admin"], org_id=world["town"], parent_id=world["c2"] if step[1] else world["c1"])
            return
        case = _pick(s, step[1])
        if case is None:
            return
        cid = case.id or 0
        if kind == "status":
            case.status = step[2]
            s.add(case)
        elif kind == "edit":  # a transfer, a correction: every counted column at once, through the ORM
            c = step[2]
            org = _org(s, world["orgs"][c["org"]])
            case.org_id, case.county_id = org.id or 0, org.county_id
            case.category, case.source, case.group_size = c["category"], c["source"], c["group_size"]
            case.received_month = 202600 + c["month"]
            case.risk_level = "high" if c["risk"] else "none"
            case.risk_flags = ["escalation"] if c["risk"] else []
            case.on_the_spot = not case.on_the_spot
            s.add(case)
        elif kind == "agreement":
            version = 1 + int(s.exec(select(func.count()).where(Agreement.case_id == cid)).one())
            due = None if step[4] is None else TODAY + timedelta(days=step[4])
            add_agreement(s, cid, kind=step[2], performance=step[3], due=due, version=version)
        elif kind == "follow_up":
            add_follow_up(s, cid, step[2])
        elif kind == "visit":  # a follow-up due (late or not), or the open one done or moved
            visit = s.exec(select(FollowUp).where(FollowUp.case_id == cid, col(FollowUp.done_at).is_(None))).first()
            if visit is None:
                add_follow_up(s, cid, None, due=clock.today() + timedelta(days=step[2]), done=False)
            elif step[3]:
                visit.done_at, visit.satisfaction = datetime.now(UTC), 5
                s.add(visit)
            else:
                visit.due = clock.today() + timedelta(days=step[2])
                s.add(visit)
        elif kind == "confirm":
            add_confirmation(s, cid, world["court"])
        elif kind == "delete":
            for model in (Agreement, FollowUp, JudicialConfirmation, CaseEvent, MediationSession):
                s.execute(delete(model).where(col(model.case_id) == cid))
            claims = s.exec(select(SubsidyClaim.id).where(SubsidyClaim.case_id == cid)).all()
            if claims:
                return  # a paid case stays (the ledger is append-only)
            s.execute(delete(Case).where(col(Case.id) == cid))
        elif kind == "session":  # held (a day around the turn of a month, China time), changed, or removed
            held = datetime(2026, 3, 31, 16, tzinfo=UTC) + timedelta(hours=step[4])
            rows = s.exec(select(MediationSession).where(MediationSession.case_id == cid)).all()
            if step[2] == 0 or not rows:
                s.add(MediationSession(case_id=cid, held_at=held, online=step[3]))
            elif step[2] == 1:
                rows[0].online, rows[0].held_at = not rows[0].online, held
                s.add(rows[0])
            else:
                s.delete(rows[0])
        elif kind == "pay":
            claim = s.exec(select(SubsidyClaim).where(SubsidyClaim.case_id == cid)).first()
            if claim is None:
                claim = SubsidyClaim(
                    case_id=cid, org_id=case.org_id, county_id=case.county_id, grade="simple", amount_fen=5000
                )
                s.add(claim)
                s.flush()
                s.add(LedgerEntry(claim_id=claim.id or 0, action="pay", amount_fen=5000))
                claim.status = "paid"
            elif claim.status == "paid" and step[2]:
                s.add(LedgerEntry(claim_id=claim.id or 0, action="reverse", amount_fen=-claim.amount_fen))
                claim.status = "reversed"
            s.add(claim)


def assert_matches_recount(db) -> None:
    with db.read() as s:
        assert summary.differences(s) == []


EXAMPLES = int(os.environ.get("SUMMARY_EXAMPLES", "6"))  # e.g. 850 with SUMMARY_MIN_STEPS=12 for 10,000 steps
MIN_STEPS = int(os.environ.get("SUMMARY_MIN_STEPS", "1"))  # hypothesis draws short lists mostly (2.5 steps)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=st.lists(STEP, min_size=MIN_STEPS, max_size=max(12, MIN_STEPS)))
def test_summaries_equal_a_recount_after_every_step_of_random_workflows(db, small_world, steps):
    # hypothesis reuses the fixture across examples: the cases pile up, and the summaries must still agree
    for step in steps:
        apply_step(db, small_world, step)
        assert_matches_recount(db)
    if os.environ.get("SUMMARY_STEPS_LOG"):  # a long run by hand counts its steps
        with open(os.environ["SUMMARY_STEPS_LOG"], "a", encoding="utf-8") as log:
            log.write(f"{len(steps)}\n")


def test_dashboard_reads_the_summaries_and_shows_what_a_scan_shows(db, small_world, monkeypatch):
    import random

    rng = random.Random(21)
    with db.write() as s:
        rows = []
        for i in range(120):
            c = {
                "org": rng.randrange(5),
                "month": rng.choice((1, 2, 3)),
                "status": rng.choice(STATUSES),
                "category": rng.choice(CATEGORIES),
                "source": rng.choice(SOURCES),
                "group_size": rng.choice((0, 7)),
                "risk": i % 7 == 0,
                "diverted": i % 3 == 0,
            }
            rows.append(_row(s, small_world, c))
        ids = insert_cases(s, rows)
        for n, cid in enumerate(ids[::5]):
            add_agreement(s, cid, performance=("pending", "fulfilled")[n % 2], due=TODAY + timedelta(days=n % 9 - 4))
        for cid in ids[::6]:
            add_follow_up(s, cid, 4)
        for cid in ids[1::8]:
            add_follow_up(s, cid, None, due=TODAY - timedelta(days=3), done=False)
        for n, cid in enumerate(ids[::3]):
            s.add(
                MediationSession(case_id=cid, held_at=datetime(2026, 1 + n % 3, 28, 17, tzinfo=UTC), online=n % 2 == 0)
            )
    actor = small_world["coordinator"]
    filters = [
        Filters(Period.months(202601, 202603)),
        Filters(Period.months(202602, 202603), category="loan"),
        Filters(Period.months(202601, 202603), org_id=small_world["c1"]),
        Filters(Period.months(202601, 202603), org_id=small_world["town"], source="phone"),
        # not whole months (this year to date): the whole months from the summaries, the end days scanned
        Filters(Period(date(2026, 1, 10), date(2026, 3, 5))),
        Filters(Period(date(2026, 1, 1), date(2026, 3, 17)), category="loan"),
        Filters(Period(date(2026, 1, 29), date(2026, 3, 31)), org_id=small_world["c1"]),
        Filters(Period(date(2026, 2, 3), date(2026, 2, 27))),  # no whole month inside: scanned
    ]
    for f in filters:
        stats.clear_cache()
        with db.read() as s:
            fast = stats.dashboard(s, actor=actor, filters=f, today=TODAY)
        stats.clear_cache()
        monkeypatch.setattr(rollup, "ENABLED", False)
        with db.read() as s:
            slow = stats.dashboard(s, actor=actor, filters=f, today=TODAY)
            slow_sessions = stats.session_counts(s, actor=actor, filters=f)
        monkeypatch.undo()
        stats.clear_cache()
        with db.read() as s:
            assert stats.session_counts(s, actor=actor, filters=f) == slow_sessions
        assert fast.alerts == slow.alerts
        assert fast.current == slow.current
        assert fast.previous == slow.previous
        assert [(r.key, r.counts) for r in fast.by_month] == [(r.key, r.counts) for r in slow.by_month]
        assert sorted((r.key, r.counts) for r in fast.by_category) == sorted(
            (r.key, r.counts) for r in slow.by_category
        )
        assert sorted((r.key, r.counts) for r in fast.by_source) == sorted((r.key, r.counts) for r in slow.by_source)
        assert [(r.key, r.counts) for r in fast.by_org] == [(r.key, r.counts) for r in slow.by_org]
        assert fast.current["received"]  # the filters select cases


def test_migration_fills_the_summaries_and_rebuild_check_agree(db, small_world):
    with db.write() as s:
        ids = insert_cases(s, [case_row(_org(s, small_world["orgs"][i % 5]), date(2026, 2, 1 + i)) for i in range(20)])
        for n, cid in enumerate(ids):  # several sessions per summary row: the rebuild sums them in one statement
            s.add(
                MediationSession(case_id=cid, held_at=datetime(2026, 2, 10, 3 + n % 5, tzinfo=UTC), online=n % 2 == 0)
            )
        s.flush()
        s.execute(update(stats_case_area).values(received=stats_case_area.c.received + 1))  # break it
    with db.read() as s:
        assert summary.differences(s)  # every difference is reported
    summary.rebuild(db, batch=7)
    assert_matches_recount(db)
    with db.read() as s:
        assert s.execute(select(func.sum(stats_case_area.c.received))).scalar() == 20


def test_rebuild_resumes_after_a_stop(db, small_world):
    with db.write() as s:
        insert_cases(s, [case_row(_org(s, small_world["orgs"][i % 5]), date(2026, 3, 1 + i)) for i in range(15)])
    with db.write() as s:  # the first two batches, then a stop
        assert summary.rebuild_step(s, 4)[0] == "cases"
        assert summary.rebuild_step(s, 4)[0] == "cases"
    summary.rebuild(db, batch=4)  # carries on where it stopped
    assert_matches_recount(db)


def test_paid_subsidies_by_month_paid(db, small_world):
    with db.write() as s:
        (cid,) = insert_cases(s, [case_row(_org(s, small_world["orgs"][0]), date(2026, 3, 1), status="succeeded")])
    apply_step(db, small_world, ("pay", 0, False))
    apply_step(db, small_world, ("pay", 0, True))
    with db.read() as s:
        rows = s.execute(select(stats_paid_org)).all()
    assert [(r.paid_claims, r.paid_fen, r.month) for r in rows] == [(0, 0, clock.local_month(datetime.now(UTC)))]
    assert_matches_recount(db)
    assert cid


def test_demo_seed_fills_every_summary(db, tmp_path, monkeypatch):
    from services.demo import seed as demo

    monkeypatch.setattr(demo, "LOGINS_FILE", tmp_path / "demo_logins.txt")
    demo.seed_demo(db, cases=300, seed=5)
    assert_matches_recount(db)
    with db.read() as s:
        assert s.execute(select(func.sum(stats_case_area.c.received))).scalar() == 300
        assert s.execute(select(func.count()).select_from(stats_paid_org)).scalar()


def test_dashboard_page_reads_in_a_dozen_statements_and_report_pairs_agree(db, small_world, monkeypatch):
    """Whole months and last year beside them are one read of the summaries' months (four statements, not ten);
    a reading session asks the data version, the dictionaries and the organisation tree once: at 20-odd round
    trips a page, PostgreSQL's per-statement cost was most of the dashboard's time."""
    from sqlalchemy import event

    with db.write() as s:
        rows = [
            _row(
                s,
                small_world,
                {
                    "org": i % 5,
                    "month": 1 + i % 3,
                    "status": STATUSES[i % len(STATUSES)],
                    "category": CATEGORIES[i % len(CATEGORIES)],
                    "source": SOURCES[i % len(SOURCES)],
                    "group_size": 0,
                    "risk": i % 4 == 0,
                    "diverted": False,
                },
            )
            for i in range(30)
        ]
        insert_cases(s, rows)
    actor = small_world["coordinator"]
    whole = Filters(Period.months(202601, 202603))
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(db.read_engine, "before_cursor_execute", count)
    try:
        stats.clear_cache()
        with db.read() as s:  # what the dashboard page asks (bench/province.py's `_board`)
            stats.org_choices(s, actor=actor)
            board = stats.dashboard(s, actor=actor, filters=whole, today=TODAY)
            stats.session_counts(s, actor=actor, filters=whole)
    finally:
        event.remove(db.read_engine, "before_cursor_execute", count)
    asked = [q for q in seen if q.strip().upper() not in ("BEGIN", "COMMIT", "ROLLBACK")]
    assert len(asked) <= 13, asked
    assert sum("max(auditlog.id)" in q for q in asked) == 1  # the data version, once per reading session
    assert board.current["received"] == 30 and board.previous is not None

    for f in (
        whole,
        Filters(Period.months(202602, 202603), org_id=small_world["c1"]),
        Filters(Period(date(2026, 1, 9), date(2026, 3, 31))),
    ):
        other = f.compared("previous-year")
        stats.clear_cache()
        with db.read() as s:
            pair = stats.figures_compared(s, actor=actor, filters=f, other=other, today=TODAY)
        stats.clear_cache()
        monkeypatch.setattr(rollup, "ENABLED", False)
        with db.read() as s:
            scanned = (
                stats.figures(s, actor=actor, filters=f, today=TODAY),
                stats.figures(s, actor=actor, filters=other, today=TODAY),
            )
        monkeypatch.undo()
        assert pair == scanned
