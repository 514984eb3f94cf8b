"""Rows that follow from the generated cases: case counters, batch totals, budgets, star ratings, title awards,
standardisation checklists and the public board."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, insert, update

from models import OrgKind
from services.core import audit
from services.core.db import Database
from services.core.reference import RATING_THRESHOLDS, RATING_WEIGHTS
from services.demo.city import DEMO_VILLAGE
from services.demo.tables import TABLES, Row, Rows
from services.demo.timeline import YEARS
from services.demo.vocabulary import BOARD_POSTS, NOTES, TITLES
from services.demo.world import MediatorYear, World


def insert_derived_rows(db: Database, *, world: World) -> None:
    """Counters, batch totals, budgets, ratings, titles, checklists and board posts, in one transaction."""
    w = world
    ratings, stars = _ratings(w)
    out: Rows = {
        "casecounter": [
            {"id": w.ids.take("casecounter"), "org_id": org, "year": year, "last": last}
            for (org, year), last in sorted(w.tallies.counters.items())
        ],
        "budget": _budgets(w),
        "rating": ratings,
        "titleaward": _awards(w, ratings),
        "checkliststate": _checklists(w),
        "boardpost": _posts(w),
    }
    tb, tm = TABLES["payoutbatch"], TABLES["mediator"]
    totals = [{"b_id": b["id"], "b_total": w.tallies.batches.get(b["id"], 0)} for b in w.batches.values()]
    with db.write_engine.begin() as c:
        for name, rows in out.items():
            if rows:
                c.execute(insert(TABLES[name]), rows)
        c.execute(update(tb).where(tb.c.id == bindparam("b_id")).values(total_fen=bindparam("b_total")), totals)
        c.execute(tb.delete().where(tb.c.id.in_([t["b_id"] for t in totals if not t["b_total"]])))
        if stars:
            c.execute(update(tm).where(tm.c.id == bindparam("m_id")).values(stars=bindparam("m_stars")), stars)
    with db.write() as s:
        audit.record(
            s,
            action="demo.seed",
            actor_id=w.user["admin"],
            entity="case",
            cases=sum(w.tallies.counters.values()),
            orgs=len(w.city.orgs),
        )


def _budgets(w: World) -> list[Row]:
    """Per county and year: the subsidy line 20% above what was paid, an award line, full-time salaries."""
    rows = []
    for county in sorted(w.city.justice):
        staff = w.staff
        full_time = sum(1 for m, e in staff.employment.items() if e == "full_time" and staff.county[m] == county)
        for year in range(w.end.year - YEARS, w.end.year + 1):
            spent = w.tallies.spend.get((county, year), 0)
            subsidy = max(1_000_000, math.ceil(spent * 1.2 / 1_000_000) * 1_000_000)
            for line, fen in (("case_subsidy", subsidy), ("award", 5_000_000), ("salary", full_time * 5_800_000)):
                rows.append(
                    {
                        "id": w.ids.take("budget"),
                        "region_org_id": county,
                        "year": year,
                        "line": line,
                        "amount_fen": fen,
                    }
                )
    return rows


def _score(m: MediatorYear, hours: float) -> tuple[float, dict[str, float]]:
    """The rating score from last year's metrics (weights from the reference data), and the rates it used."""
    w = RATING_WEIGHTS
    rates = {
        "success_rate": m.succeeded / max(m.succeeded + m.failed, 1),
        "performance_rate": m.fulfilled / max(m.succeeded, 1),
        "confirmation_rate": m.confirmed / max(m.succeeded, 1),
        "satisfaction": m.satisfaction / max(m.surveyed, 1),
    }
    score = (
        w["cases"] * min(m.cases / 40, 1)
        + w["success_rate"] * rates["success_rate"]
        + w["performance_rate"] * min(rates["performance_rate"], 1)
        + w["confirmation_rate"] * min(rates["confirmation_rate"] / 0.1, 1)
        + w["satisfaction"] * min(rates["satisfaction"] / 4.5, 1)
        + w["training"] * min(hours / 16, 1)
        + w["complaints"]
    )
    return score, rates


def _ratings(w: World) -> tuple[list[Row], list[Row]]:
    """Last year's star rating per eligible mediator: proposed from metrics, approved (a few overridden)."""
    scheme_id = w.ref.scheme_id
    if scheme_id is None:
        return [], []
    rows, stars = [], []
    decided = datetime(w.end.year, 1, 20, tzinfo=UTC)
    r = w.rng
    for mid, m in sorted(w.tallies.mediators.items()):
        if m.cases < 5:
            continue
        hours = w.staff.training_hours[mid]
        score, rates = _score(m, hours)
        proposed = next((int(k) for k, v in sorted(RATING_THRESHOLDS.items(), reverse=True) if score >= v), 1)
        override = r.random() < 0.05
        approved = max(1, min(5, proposed + (1 if r.random() < 0.5 else -1))) if override else proposed
        metrics = {"cases": m.cases, **{k: round(v, 3) for k, v in rates.items()}, "training_hours": hours}
        rows.append(
            {
                "id": w.ids.take("rating"),
                "scheme_id": scheme_id,
                "subject": "mediator",
                "mediator_id": mid,
                "org_id": None,
                "period": str(w.last_year),
                "score": round(score, 1),
                "proposed_stars": proposed,
                "approved_stars": approved,
                "status": "overridden" if override else "approved",
                "override_reason": NOTES["rating_overridden"] if override else "",
                "metrics": metrics,
                "decided_by": w.user["justice"],
                "decided_at": decided,
                "created_at": decided,
            }
        )
        stars.append({"m_id": mid, "m_stars": approved})
    return rows, stars


def _awards(w: World, ratings: list[Row]) -> list[Row]:
    """Titles for last year's three best-rated mediators, a police room and the demo village."""
    at = datetime(w.end.year, 2, 1, tzinfo=UTC)
    best = sorted(ratings, key=lambda x: (-x["score"], x["mediator_id"]))[:3]
    rooms = [*[o for o in w.city.orgs if o.kind == OrgKind.POLICE_ROOM][:1], w.city.by_code[DEMO_VILLAGE]]
    picks = [(TITLES["mediator"], b["mediator_id"], None) for b in best] + [(TITLES["room"], None, o.id) for o in rooms]
    return [
        {
            "id": w.ids.take("titleaward"),
            "title": title,
            "period": str(w.last_year),
            "mediator_id": mid,
            "org_id": org,
            "awarded_by": w.user["justice"],
            "at": at,
        }
        for title, mid, org in picks
    ]


def _checklists(w: World) -> list[Row]:
    """Last year's standardisation checklist for about 40% of the village committees (always the demo village)."""
    r = w.rng
    at = datetime(w.end.year, 1, 10, tzinfo=UTC)
    rows = []
    for v in w.city.orgs:
        if v.kind != OrgKind.VILLAGE_COMMITTEE or (v.code != DEMO_VILLAGE and r.random() > 0.4):
            continue
        for item in w.ref.items:
            met = r.random() < 0.8
            rows.append(
                {
                    "id": w.ids.take("checkliststate"),
                    "org_id": v.id,
                    "item_id": item,
                    "period": str(w.last_year),
                    "met": met,
                    "evidence_note": NOTES["checklist_met" if met else "checklist_unmet"],
                    "evidence_photo": None,
                    "checked_by": w.user["justice"],
                    "at": at,
                }
            )
    return rows


def _posts(w: World) -> list[Row]:
    """The public board's rules, supervision channels and typical cases, published a month ago."""
    published = w.end - timedelta(days=30)
    return [
        {
            "id": w.ids.take("boardpost"),
            "kind": kind,
            "org_id": w.city.root_id,
            "case_id": None,
            "title": title,
            "body": body,
            "language": "zh-CN",
            "position": pos,
            "status": "published",
            "publish_from": published.date(),
            "publish_until": None,
            "reviewed_by": w.user["coordinator"],
            "approved_by": w.user["justice"] if kind == "typical_case" else None,  # a second person approved
            "created_by": w.user["coordinator"],
            "created_at": published,
            "published_at": published,
        }
        for pos, (kind, title, body) in enumerate(BOARD_POSTS)
    ]
