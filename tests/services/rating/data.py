"""A hand-built rating data set: cases bulk-inserted with SQLAlchemy Core, so the database triggers derive the
outcome, agreement, confirmation and satisfaction columns exactly as they do for the app, the demo and imports.

Every figure the tests expect is worked out by hand in the docstrings here and in the tests.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from models import Agreement, Case, FollowUp, JudicialConfirmation, Mediator, Organisation, PublicRating, TrainingRecord
from models.rating import MediatorComplaint
from services.access.authz import Actor
from services.core.db import Database
from tests.factories import make_actor, make_tree, make_user

_no = itertools.count(1)
TODAY = date(2026, 3, 1)  # the 2025 ratings are computed as of 2025-12-31


@dataclass
class RatingWorld:
    orgs: dict[str, Organisation]
    justice: Actor  # county justice bureau J1: proposes and approves for the county
    coordinator: Actor  # county coordination office: proposes, cannot approve
    mediator_actor: Actor  # signed in as mediator A
    other_actor: Actor  # a mediator user linked to mediator B
    ids: dict[str, int] = field(default_factory=dict)  # mediator ids by letter
    sets: dict[str, set[int]] = field(default_factory=dict)  # hand-listed case ids behind mediator A's parts


def case_row(org: Organisation, mediator_id: int | None, received: date, status: str, **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "case_no": f"R-{next(_no):07d}",
        "org_id": org.id,
        "county_id": org.county_id,
        "mediator_id": mediator_id,
        "source": "walk_in",
        "category": "neighbour",
        "status": status,
        "received_at": datetime(received.year, received.month, received.day, 9, tzinfo=UTC),
        "received_month": received.year * 100 + received.month,
        "risk_flags": [],
        "custom": {},
    }
    if status == "failed":
        row["diversion"] = "litigation"
    if status == "rejected":
        row["reject_reason"] = "duplicate"
    row.update(extra)
    return row


def insert_cases(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert with one Core statement and return the ids in the rows' order."""
    if not rows:
        return []
    session.execute(insert(Case), rows)
    nos = [r["case_no"] for r in rows]
    ids = dict(session.exec(select(Case.case_no, Case.id).where(col(Case.case_no).in_(nos))).all())
    return [int(ids[n]) for n in nos]


def add_mediator(
    session: Session, org: Organisation, name: str, user_id: int | None = None, status: str = "active"
) -> int:
    m = Mediator(org_id=org.id or 0, name=name, user_id=user_id, status=status)
    session.add(m)
    session.flush()
    return m.id or 0


def agreement(session: Session, case_id: int, performance: str, due: date | None, version: int = 1) -> None:
    session.execute(
        insert(Agreement),
        [
            {
                "case_id": case_id,
                "version": version,
                "kind": "written",
                "terms": "和解",
                "performance": performance,
                "performance_due": due,
                "signed_at": datetime(2025, 4, 1, tzinfo=UTC),
            }
        ],
    )


def confirmation(session: Session, case_id: int, court: Organisation, result: str) -> None:
    session.execute(
        insert(JudicialConfirmation),
        [
            {
                "case_id": case_id,
                "court_org_id": court.id,
                "result": result,
                "applied_at": datetime(2025, 5, 1, tzinfo=UTC),
            }
        ],
    )


def follow_up(session: Session, case_id: int, satisfaction: int | None) -> None:
    session.execute(
        insert(FollowUp),
        [{"case_id": case_id, "satisfaction": satisfaction, "done_at": datetime(2025, 6, 1, tzinfo=UTC)}],
    )


def public_rating(session: Session, case_id: int, stars: int) -> None:
    session.execute(
        insert(PublicRating), [{"case_id": case_id, "stars": stars, "at": datetime(2025, 6, 2, tzinfo=UTC)}]
    )


def training(session: Session, mediator_id: int, held_on: date, hours: float) -> int:
    rec = TrainingRecord(mediator_id=mediator_id, held_on=held_on, title="调解技巧培训", hours=hours)
    session.add(rec)
    session.flush()
    return rec.id or 0


def complaint(session: Session, mediator_id: int, received_on: date, substantiated: bool) -> int:
    row = MediatorComplaint(
        mediator_id=mediator_id, received_on=received_on, summary="态度生硬", substantiated=substantiated
    )
    session.add(row)
    session.flush()
    return row.id or 0


def make_world(db: Database) -> RatingWorld:
    """The county of tests/factories.make_tree with its justice bureau, coordination office and mediators A–E.

    Mediator A (village V1), in 2025:
      cases: 8 succeeded (a1–a8), 2 failed (f1, f2), 1 withdrawn, 1 rejected, 1 in mediation, 1 submitted,
             plus a succeeded case of 2024 and a failed one of 2026 (outside the period)
      → mediated 10, success rate 8/10
      agreements: a1 fulfilled (due 2025-06-01), a2 fulfilled (no deadline), a3 breached, a4 partly,
                  a5 pending due 2025-11-30 (passed by 2025-12-31), a6 pending due 2026-02-01 (not yet),
                  a7 pending without a deadline, a8 none
      → performance due {a1, a2, a3, a4, a5, a7} = 6, fulfilled {a1, a2} = 2, rate 1/3
      confirmations: a1 confirmed, a2 pending, a3 rejected → confirmed 1/8 = 0.125
      follow-ups: a1 5, a2 4, a4 5 then 2 (the newer counts), a5 without a score → 3 rated, sum 11
      public ratings (/track): a1 3 stars, f1 1 star → 2 ratings, sum 4; satisfaction (11 + 4) ÷ 5 = 3.0
      training: 6 h + 4 h in 2025 (8 h in 2024 not counted) → 10 h
      complaints: one substantiated in 2025 (one unfounded, one substantiated in 2024 not counted) → 1
    Mediator B (village V2): 3 succeeded + 1 failed = 4 mediated → not rated (minimum 5)
    Mediator C (village V2): 5 succeeded, no agreements → rated at the minimum
    Mediator D: left the service (not rated); mediator X: in another county (out of the office's area)
    """
    with db.write() as s:
        tree = make_tree(s)
        from services.roster.orgs import create_org

        tree["coord"] = create_org(s, code="CO1", name="江安县矛调中心", kind="coordination", parent=tree["county"])
        tree["county2"] = create_org(s, code="C2", name="长宁县", kind="county", parent=tree["root"])
        tree["v3"] = create_org(s, code="V3", name="南村调委会", kind="village_committee", parent=tree["county2"])
        user_a = make_user(s, tree["v1"], ["mediator"])
        user_b = make_user(s, tree["v2"], ["mediator"])
        from services.access.accounts import load_actor

        world = RatingWorld(
            orgs=tree,
            justice=make_actor(s, tree["justice"], ["justice"]),
            coordinator=make_actor(s, tree["coord"], ["coordinator"]),
            mediator_actor=load_actor(s, user_a.id or 0),  # type: ignore[arg-type]
            other_actor=load_actor(s, user_b.id or 0),
        )  # type: ignore[arg-type]
        ids = world.ids
        ids["A"] = add_mediator(s, tree["v1"], "甲调解员", user_id=user_a.id)
        ids["B"] = add_mediator(s, tree["v2"], "乙调解员", user_id=user_b.id)
        ids["C"] = add_mediator(s, tree["v2"], "丙调解员")
        ids["D"] = add_mediator(s, tree["v1"], "丁调解员", status="left")
        ids["X"] = add_mediator(s, tree["v3"], "外县调解员")
        _mediator_a(s, world)
        v2, d = tree["v2"], date(2025, 5, 10)
        insert_cases(s, [case_row(v2, ids["B"], d, st) for st in ("succeeded",) * 3 + ("failed",)])
        insert_cases(s, [case_row(v2, ids["C"], d, "succeeded") for _ in range(5)])
        insert_cases(s, [case_row(tree["v1"], ids["D"], d, "succeeded") for _ in range(6)])
        insert_cases(s, [case_row(tree["v3"], ids["X"], d, "succeeded") for _ in range(6)])
    return world


def _mediator_a(s: Session, w: RatingWorld) -> None:
    v1, court, a = w.orgs["v1"], w.orgs["court"], w.ids["A"]
    d = date(2025, 3, 15)
    ok = insert_cases(
        s,
        [
            case_row(v1, a, d, st)
            for st in (
                "succeeded",
                "followed_up",
                "archived",
                "succeeded",
                "succeeded",
                "succeeded",
                "succeeded",
                "succeeded",
            )
        ],
    )
    failed = insert_cases(s, [case_row(v1, a, date(2025, 11, 2), "failed") for _ in range(2)])
    other = insert_cases(s, [case_row(v1, a, d, st) for st in ("withdrawn", "rejected", "in_mediation", "submitted")])
    outside = insert_cases(
        s, [case_row(v1, a, date(2024, 12, 30), "succeeded"), case_row(v1, a, date(2026, 1, 2), "failed")]
    )
    a1, a2, a3, a4, a5, a6, a7, a8 = ok
    agreement(s, a1, "fulfilled", date(2025, 6, 1))
    agreement(s, a2, "fulfilled", None)
    agreement(s, a3, "breached", date(2025, 5, 1))
    agreement(s, a4, "partly", date(2025, 7, 1))
    agreement(s, a5, "pending", date(2025, 11, 30))
    agreement(s, a6, "pending", date(2026, 2, 1))
    agreement(s, a7, "pending", None)
    agreement(s, outside[0], "fulfilled", date(2025, 1, 5))
    confirmation(s, a1, court, "confirmed")
    confirmation(s, a2, court, "pending")
    confirmation(s, a3, court, "rejected")
    confirmation(s, outside[0], court, "confirmed")
    for cid, sat in ((a1, 5), (a2, 4), (a4, 5), (a4, 2), (a5, None), (outside[0], 1)):
        follow_up(s, cid, sat)
    public_rating(s, a1, 3)
    public_rating(s, failed[0], 1)
    public_rating(s, outside[1], 5)
    t1, t2 = training(s, a, date(2025, 4, 1), 6), training(s, a, date(2025, 9, 1), 4)
    training(s, a, date(2024, 9, 1), 8)
    c1 = complaint(s, a, date(2025, 8, 1), True)
    complaint(s, a, date(2025, 8, 2), False)
    complaint(s, a, date(2024, 8, 1), True)
    w.sets = {
        "mediated": set(ok) | set(failed),
        "succeeded": set(ok),
        "failed": set(failed),
        "due": {a1, a2, a3, a4, a5, a7},
        "fulfilled": {a1, a2},
        "confirmed": {a1},
        "followup": {a1, a2, a4},
        "public": {a1, failed[0]},
        "training": {t1, t2},
        "complaints": {c1},
        "other": set(other),
        "a6": {a6},
        "a8": {a8},
    }


def threshold_world(db: Database, session_org: Organisation, scores: list[int]) -> dict[int, int]:
    """One mediator per score: 100 mediated cases of which `score` succeeded (score = success rate × 100 under
    a scheme that weighs only the success rate). Returns mediator id → score."""
    out = {}
    with db.write() as s:
        org = s.get(Organisation, session_org.id)
        assert org is not None
        for k in scores:
            mid = add_mediator(s, org, f"阈值{k}")
            rows = [case_row(org, mid, date(2025, 6, 1), "succeeded" if i < k else "failed") for i in range(100)]
            insert_cases(s, rows)
            out[mid] = k
    return out
