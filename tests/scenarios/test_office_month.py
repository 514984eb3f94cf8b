"""An office month, lived through the services on SQLite and PostgreSQL (issue 23).

Residents across the county file by QR code; the county's coordination office triages them to villages (the
default never moves a case); the villages mediate; the statutory report for the month and the quarter is
exported; organisations are rated, the ratings published, recomputed after more work, and the decisions stand;
a consenting case becomes a typical case approved by a second person. At the end every report total equals the
sum of its rows and the dashboard's figure, to the case. The ledger's part of the month is
tests/scenarios/test_office_month_ledger.py.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from models import Case, Organisation, Party, Rating
from models.base import utc_now
from services.board import consent, publicity
from services.board import posts as B
from services.cases import outcomes, sessions
from services.cases.workflow import transition
from services.core import clock
from services.core.config import Limit
from services.intake import queue as intake_queue
from services.intake.form import IntakeForm, issue_form_token
from services.intake.pipeline import IntakeSettings, submit_intake
from services.rating import runs as rating
from services.rating.review import period_summary
from services.rating.schemes import ORGANISATION
from services.stats import dashboard as stats
from services.stats import reports
from services.stats.sql import Filters
from tests.case_factories import agreement_input, make_world, session_input
from tests.factories import make_actor
from tests.services.stats.test_reports_totals import _body, _sheets

OPEN = IntakeSettings(min_seconds=3, client=Limit(1000, 600), org=Limit(1000, 3600))
STORIES = (
    "邻居家排水沟堵塞，雨水流进我家院子，多次协商无果。",
    "租客欠了三个月房租不交，也不搬走，希望调解。",
    "装修噪音影响老人休息，物业协调不成。",
    "借给亲戚两万元，约定年底归还，现在不认账。",
)
BREAKDOWN_SHEETS = ("分类型统计", "分来源统计", "分组织统计")


def _file(db, org_code: str, i: int) -> int:
    form = IntakeForm(
        org_code=org_code,
        form_token=issue_form_token(utc_now() - timedelta(seconds=40)),
        applicant_name=f"居民{i}",
        applicant_phone=f"1390000{i:04d}",
        description=STORIES[i % len(STORIES)] + f"（第{i}件）",
        category=("neighbour", "loan", "neighbour", "loan")[i % 4],
        consent=True,
        publication_consent=i % 5 == 0,
    )
    return submit_intake(db, form, client=f"198.51.100.{i}", settings=OPEN).case_id


def _report_adds_up(db, actor, period, today) -> int:
    """Every sheet's 合计 is the sum of its rows, the main sheet's and the dashboard's; the month's received count."""
    with db.read() as s:
        _, data = reports.export_report(s, actor=actor, period=period, today=today)
        board = stats.dashboard(s, actor=actor, filters=Filters(reports.counted_period(period, today)), today=today)
    sheets = _sheets(data)
    main = {r[0]: r for r in sheets["主要指标"][3:]}
    assert main["登记纠纷数"][1] == board.current["received"]
    for name in BREAKDOWN_SHEETS:
        headers, body, total = _body(sheets[name])
        column = {h: i for i, h in enumerate(headers)}
        for header, kpi in (("登记纠纷数", "received"), ("受理数", "accepted"), ("调解终结数", "mediated")):
            rows_sum = sum(r[column[header]] or 0 for r in body)
            assert total[column[header]] == rows_sum == board.current[kpi], (name, header)
        last = column["上年同期登记"]
        assert total[last] == sum(r[last] or 0 for r in body) == main["登记纠纷数"][2], name
    return int(main["登记纠纷数"][1])


def test_an_office_month_adds_up(db):
    w = make_world(db)
    today = clock.today()
    with db.write() as s:
        editor = make_actor(s, w.orgs["county"], ["coordinator"])
        approver = make_actor(s, w.orgs["county"], ["coordinator"])
        rater = make_actor(s, w.orgs["county"], ["justice", "coordinator"])

    # residents across the county file by QR code
    filed = [_file(db, ("V1", "V2")[i % 2], i) for i in range(12)]

    # the county office triages: the default keeps each case in its village, one is moved on purpose
    with db.read() as s:
        queue = {r.id for r in intake_queue.list_queue(s, actor=w.coordinator, limit=100)}
        own_org = {c.id: c.org_id for c in s.exec(select(Case).where(col(Case.id).in_(filed))).all()}
    assert set(filed) <= queue
    for case_id in filed[:-1]:
        with db.read() as s:
            options = intake_queue.assign_options(s, actor=w.coordinator, case_id=case_id)
        assert options[0].org_id == own_org[case_id], "the case's own organisation comes first"
        assert {w.orgs["v1"].id, w.orgs["v2"].id} <= {o.org_id for o in options}
        with db.write() as s:
            intake_queue.accept(s, actor=w.coordinator, case_id=case_id, org_id=options[0].org_id)
    moved = filed[-1]
    with db.write() as s:
        intake_queue.accept(s, actor=w.coordinator, case_id=moved, org_id=w.orgs["v1"].id)
    with db.read() as s:
        after = {c.id: c.org_id for c in s.exec(select(Case).where(col(Case.id).in_(filed))).all()}
    assert {k: v for k, v in after.items() if k != moved} == {k: v for k, v in own_org.items() if k != moved}
    assert after[moved] == w.orgs["v1"].id

    # the villages mediate: most agree, one fails
    mediator_of = {w.orgs["v1"].id: w.mediator, w.orgs["v2"].id: w.mediator2}
    for n, case_id in enumerate(filed):
        actor = mediator_of[after[case_id]]
        with db.write() as s:
            transition(s, actor=actor, case_id=case_id, action="start", data={})
        with db.write() as s:
            sessions.record_session(s, actor=actor, case_id=case_id, data=session_input(form_token=f"m-s{n}"))
        if n == 3:
            with db.write() as s:
                transition(s, actor=actor, case_id=case_id, action="fail", data={"diversion": "litigation"})
            continue
        with db.write() as s:
            outcomes.record_agreement(s, actor=actor, case_id=case_id, data=agreement_input(form_token=f"m-a{n}"))

    # the month's and the quarter's statutory reports add up, sheet by sheet, with the dashboard
    month = reports.monthly(today.year, today.month)
    quarter = reports.quarterly(today.year, (today.month + 2) // 3)
    assert _report_adds_up(db, w.coordinator, month, today) == len(filed)
    assert _report_adds_up(db, w.coordinator, quarter, today) >= len(filed)

    # the organisations are rated and published; more work comes in; a recompute keeps the decisions
    year = str(today.year)
    with db.write() as s:
        rating.compute_ratings(s, actor=rater, subject=ORGANISATION, period=year, today=today)
    with db.read() as s:
        proposed = s.exec(select(Rating).where(Rating.period == year, col(Rating.proposed_stars).is_not(None))).all()
    assert proposed, "the villages have enough cases to be rated"
    with db.write() as s:
        for r in proposed:
            rating.decide_rating(s, actor=rater, rating_id=r.id or 0, stars=r.proposed_stars)
    with db.read() as s:
        before = period_summary(s, actor=rater, subject=ORGANISATION, period=year)
    _file(db, "V2", 99)
    with db.write() as s:
        rating.compute_ratings(s, actor=rater, subject=ORGANISATION, period=year, today=today)
    with db.read() as s:
        again = period_summary(s, actor=rater, subject=ORGANISATION, period=year)
        published = s.exec(
            select(Rating).where(Rating.period == year, col(Rating.status).in_(("approved", "overridden")))
        ).all()
    assert again.decided == before.decided == len(proposed)
    assert {r.id for r in published} == {r.id for r in proposed}

    # a consenting, concluded case becomes a typical case: drafted, reviewed, approved by a second person
    with db.read() as s:
        pickable = B.pickable_cases(s, actor=editor)
    assert pickable, "cases whose applicant consented online can be chosen"
    with db.write() as s:
        post = B.draft_typical_case(s, actor=editor, case_id=pickable[0].case_id)
        B.review_typical_case(s, actor=editor, post_id=post.id or 0, title=post.title, body=post.body)
    with db.write() as s:
        B.approve_typical_case(s, actor=approver, post_id=post.id or 0)
    with db.read() as s:
        shown = publicity.typical_cases(s, today=today)
        names = [p.name for p in s.exec(select(Party).where(col(Party.case_id).in_(filed))).all()]
        consent_view = consent.consent_of(s, actor=editor, case_id=pickable[0].case_id)
        org_names = {o.name for o in s.exec(select(Organisation)).all()}
    assert [p.title for p in shown] == [post.title]
    public_text = "".join(p.title + p.body for p in shown)
    assert not [n for n in names if n and n in public_text], "a party's name reached the public board"
    assert consent_view is not None
    assert org_names  # the board names organisations, never people
