"""What the system measures for a unit over a period, with the records behind each number.

A unit is an organisation's subtree (a town counts its villages' cases). Case metrics count the cases received in
the period (China days), as the statistics do, and reuse the KPI predicates of services/stats/kpi.py for
succeeded, mediated, performance due, fulfilled and 民转刑 (DESIGN.md §7), so a town's success rate here is the
dashboard's success rate for that town. Each Measure keeps the ids it counted (numerator and base), so the
scorecard can list them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, func, select

from models import Case, DossierReview, FollowUp, Mediator, Organisation, TrainingRecord
from services.core import clock
from services.stats import kpi as K
from services.supervision.figures import unit_figures

RECORDS_MAX = 500  # ids kept per line (the counts are exact beyond it)
# supervision (督办, services/supervision/figures.py) metrics a scheme may use; unit as in schemes.METRICS
SUPERVISION_METRICS: dict[str, str] = {"supervision_on_time": "rate", "accountability_events": "count"}


@dataclass
class Measure:
    """A metric's value (None when there is nothing to divide by), its parts and the ids behind them."""

    value: float | None
    num: float
    den: float | None = None
    records: list[int] = field(default_factory=list)
    base: list[int] = field(default_factory=list)
    record_kind: str = "case"  # case / training


def _rate(num_ids: list[int], base_ids: list[int]) -> Measure:
    value = len(num_ids) / len(base_ids) if base_ids else None
    return Measure(value, len(num_ids), len(base_ids), num_ids[:RECORDS_MAX], base_ids[:RECORDS_MAX])


def _ids(session: Session, scope: ColumnElement[bool], where: ColumnElement[bool] | None = None) -> list[int]:
    stmt = select(col(Case.id)).where(scope)
    if where is not None:
        stmt = stmt.where(where)
    return [i for i in session.exec(stmt.order_by(col(Case.id))).all() if i is not None]


def measure_unit(session: Session, unit: Organisation, start: date, end: date) -> dict[str, Measure]:
    """Every measured metric of `unit` for the days start..end (both included)."""
    since, until = clock.days_bounds(start, end)
    today = min(end, clock.today())
    under = select(Organisation.id).where(col(Organisation.path).startswith(unit.path))
    scope = col(Case.org_id).in_(under) & (col(Case.received_at) >= since) & (col(Case.received_at) < until)
    succeeded = _ids(session, scope, K.predicate("succeeded", today))
    out = {
        "success_rate": _rate(succeeded, _ids(session, scope, K.predicate("mediated", today))),
        "performance_rate": _rate(
            _ids(session, scope, K.predicate("fulfilled", today)),
            _ids(session, scope, K.predicate("performance_due", today)),
        ),
    }
    acc = session.exec(
        select(col(Case.id), col(Case.accepted_at), col(Case.accept_due)).where(scope).order_by(col(Case.id))
    ).all()
    con = session.exec(
        select(col(Case.id), col(Case.concluded_at), col(Case.conclude_due))
        .where(scope, col(Case.outcome).in_(("succeeded", "failed")))
        .order_by(col(Case.id))
    ).all()
    accepted = [(i or 0, a, due) for i, a, due in acc if a is not None and due is not None]
    concluded = [(i or 0, c, due) for i, c, due in con if c is not None and due is not None]
    out["accept_on_time"] = _rate(
        [i for i, a, due in accepted if clock.local_date(a) <= due], [i for i, _, _ in accepted]
    )
    out["conclude_on_time"] = _rate(
        [i for i, c, due in concluded if clock.local_date(c) <= due], [i for i, _, _ in concluded]
    )
    followed = set(
        session.exec(
            select(FollowUp.case_id).where(col(FollowUp.case_id).in_(succeeded), col(FollowUp.done_at).is_not(None))
        ).all()
    )
    out["follow_up_coverage"] = _rate([i for i in succeeded if i in followed], succeeded)
    escalations = _ids(session, scope, K.predicate("civil_to_criminal", today))
    out["civil_to_criminal"] = Measure(float(len(escalations)), len(escalations), None, escalations[:RECORDS_MAX])
    out["dossier_score"] = _dossier_score(session, unit, since, until)
    out["training_hours"] = _training(session, unit, start, end)
    out.update(_supervision(session, unit, start, end))
    return out


def _supervision(session: Session, unit: Organisation, start: date, end: date) -> dict[str, Measure]:
    """督办按时办结率 = orders de-listed by their deadline ÷ (those + overdue ones), over the orders the unit's
    subtree must handle that were opened in the period — the dashboard's 按期摘牌 ÷ (按期摘牌 + 逾期); orders
    still within their deadline are not yet due and not counted. 问责次数 = accountability events recorded in the
    period against bodies in the subtree (one per missed report day). Records: the orders' cases."""
    counted = unit_figures(session, unit_path=unit.path, first=start, last=end)
    f = counted.figures
    due = f.on_time + f.overdue
    events = counted.event_cases
    return {
        "supervision_on_time": Measure(
            f.on_time / due if due else None,
            f.on_time,
            due,
            _unique(counted.on_time_cases)[:RECORDS_MAX],
            _unique(counted.due_cases)[:RECORDS_MAX],
        ),
        "accountability_events": Measure(
            float(f.accountability), f.accountability, None, _unique(events)[:RECORDS_MAX]
        ),
    }


def _unique(ids: list[int]) -> list[int]:
    return sorted(set(ids))


def _dossier_score(session: Session, unit: Organisation, since: object, until: object) -> Measure:
    """Average of each case's newest review score, for reviews made in the period in the unit's subtree."""
    newest = (
        select(DossierReview.case_id, func.max(DossierReview.round).label("r"))
        .group_by(col(DossierReview.case_id))
        .subquery()
    )
    under = select(Organisation.id).where(col(Organisation.path).startswith(unit.path))
    rows = session.exec(
        select(DossierReview.case_id, DossierReview.score)
        .join(newest, (newest.c.case_id == DossierReview.case_id) & (newest.c.r == DossierReview.round))
        .where(
            col(DossierReview.org_id).in_(under),
            col(DossierReview.reviewed_at) >= since,
            col(DossierReview.reviewed_at) < until,
        )
        .order_by(col(DossierReview.case_id))
    ).all()
    ids = [int(i) for i, _ in rows]
    total = sum(float(s) for _, s in rows)
    return Measure(
        round(total / len(rows), 2) if rows else None, total, len(rows), ids[:RECORDS_MAX], ids[:RECORDS_MAX]
    )


def _training(session: Session, unit: Organisation, start: date, end: date) -> Measure:
    """Hours trained in the period by the mediators of the unit's organisations."""
    under = select(Organisation.id).where(col(Organisation.path).startswith(unit.path))
    rows = session.exec(
        select(col(TrainingRecord.id), col(TrainingRecord.hours))
        .join(Mediator, col(Mediator.id) == col(TrainingRecord.mediator_id))
        .where(
            col(Mediator.org_id).in_(under), col(TrainingRecord.held_on) >= start, col(TrainingRecord.held_on) <= end
        )
        .order_by(col(TrainingRecord.id))
    ).all()
    hours = round(sum(float(h or 0) for _, h in rows), 2)
    return Measure(hours, hours, None, [i or 0 for i, _ in rows][:RECORDS_MAX], record_kind="training")
