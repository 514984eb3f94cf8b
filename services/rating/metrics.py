"""What a rating counts, as SQL: every subject of a period in one GROUP BY per source table, and the same
predicates list exactly the records behind each number (the score card's links).

A *part* is one counted set: `[count, sum of ids, sum of values]`. The case parts reuse the KPI predicates of
services/stats/kpi.py (DESIGN.md §7), so a mediator's success rate is the dashboard's success rate restricted to
their cases. Metric values divide parts; points follow from the scheme's weight and target.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, literal_column
from sqlmodel import Session, col, select

from models import Case, ChecklistItem, ChecklistState, PublicRating, TrainingRecord
from models.rating import MediatorComplaint
from services.rating.schemes import LESS_IS_BETTER, METRICS, ORGANISATION, Period, Scheme
from services.stats import kpi as K

Part = list[float]  # [count, sum of ids, sum of values]
Parts = dict[str, Part]
CASE_PARTS = ("mediated", "succeeded", "failed", "due", "fulfilled", "confirmed", "followup")
PARTS: dict[str, tuple[str, ...]] = {
    "mediator": (*CASE_PARTS, "public", "training", "complaints"),
    ORGANISATION: (*CASE_PARTS, "public", "checklist", "checklist_all"),
}
# metric → (numerator parts, denominator parts); a metric without a denominator is the numerator's count or sum
FORMULA: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "cases": (("mediated",), ()),
    "success_rate": (("succeeded",), ("mediated",)),
    "performance_rate": (("fulfilled",), ("due",)),
    "confirmation_rate": (("confirmed",), ("succeeded",)),
    "satisfaction": (("followup", "public"), ("followup", "public")),
    "training": (("training",), ()),
    "complaints": (("complaints",), ()),
    "checklist": (("checklist",), ("checklist_all",)),
}
SUMMED = frozenset({"satisfaction", "training", "checklist"})  # these add up values (scores, hours, points)


def case_predicates(as_of: date) -> dict[str, ColumnElement[bool]]:
    """The case parts, each the KPI predicate of DESIGN.md §7 evaluated as of `as_of`."""
    return {
        "mediated": K.predicate("mediated", as_of),
        "succeeded": K.predicate("succeeded", as_of),
        "failed": K.predicate("failed", as_of),
        "due": K.predicate("performance_due", as_of),
        "fulfilled": K.predicate("fulfilled", as_of),
        "confirmed": K.predicate("confirmed", as_of),
        "followup": K.predicate("rated", as_of),
    }


def case_key(subject: str) -> Any:
    """The case column a subject's cases are grouped by: the mediator, or the organisation handling it."""
    return Case.org_id if subject == ORGANISATION else Case.mediator_id


def in_period(period: Period) -> ColumnElement[bool]:
    """Cases received in the period (the dashboard counts by date received too)."""
    first, last = period.months
    return col(Case.received_month).between(first, last)


def _fold(rows: Iterable[Any], names: tuple[str, ...], out: dict[int, Parts]) -> None:
    for row in rows:
        sid, values = int(row[0]), row[1:]
        parts = out.setdefault(sid, {})
        for i, name in enumerate(names):
            n, ids, total = values[3 * i : 3 * i + 3]
            parts[name] = [int(n or 0), int(ids or 0), float(total or 0)]


def _triple(where: ColumnElement[bool] | None, id_col: Any, value: Any) -> list[Any]:
    def agg(f: Any) -> Any:
        return f.filter(where) if where is not None else f

    total = agg(func.sum(value)) if value is not None else literal_column("0")
    return [agg(func.count()), agg(func.sum(id_col)), total]


Grouped = list[tuple[tuple[str, ...], Select[Any]]]  # (parts it counts, one statement grouped by subject)


def case_statements(subject: str, ids: Any, period: Period, as_of: date) -> Grouped:
    """The case parts of every subject (one statement over the cases) and their residents' ratings (one more)."""
    key = case_key(subject)
    preds = case_predicates(as_of)
    cols: list[Any] = [key]
    for name, pred in preds.items():
        cols += _triple(pred, Case.id, Case.satisfaction if name == "followup" else None)
    cases = select(*cols).where(in_period(period), col(key).in_(ids)).group_by(key)
    public = (
        select(key, *_triple(None, Case.id, PublicRating.stars))
        .join(Case, col(Case.id) == col(PublicRating.case_id))
        .where(in_period(period), col(key).in_(ids))
        .group_by(key)
    )
    return [(tuple(preds), cases), (("public",), public)]


def mediator_statements(ids: Any, period: Period) -> Grouped:
    """Training hours and substantiated complaints in the period, per mediator."""
    training = (
        select(TrainingRecord.mediator_id, *_triple(None, TrainingRecord.id, TrainingRecord.hours))
        .where(training_where(period), col(TrainingRecord.mediator_id).in_(ids))
        .group_by(TrainingRecord.mediator_id)
    )
    complaints = (
        select(MediatorComplaint.mediator_id, *_triple(None, MediatorComplaint.id, None))
        .where(complaint_where(period), col(MediatorComplaint.mediator_id).in_(ids))
        .group_by(MediatorComplaint.mediator_id)
    )
    return [(("training",), training), (("complaints",), complaints)]


def org_statements(ids: Any, period: Period) -> Grouped:
    """Checklist items met (with their points) per organisation."""
    met = (
        select(ChecklistState.org_id, *_triple(None, ChecklistState.id, ChecklistItem.points))
        .join(ChecklistItem, col(ChecklistItem.id) == col(ChecklistState.item_id))
        .where(checklist_where(period), col(ChecklistState.org_id).in_(ids))
        .group_by(ChecklistState.org_id)
    )
    return [(("checklist",), met)]


def statements(subject: str, ids: Any, period: Period, as_of: date) -> Grouped:
    """Every grouped statement a computation runs: all it reads about cases, training, complaints, checklists."""
    extra = org_statements(ids, period) if subject == ORGANISATION else mediator_statements(ids, period)
    return case_statements(subject, ids, period, as_of) + extra


def collect(
    session: Session, subject: str, ids: Any, subject_ids: list[int], period: Period, as_of: date
) -> dict[int, Parts]:
    """Every subject's counted parts for the period, complete (zero where nothing was counted)."""
    out: dict[int, Parts] = {sid: {} for sid in subject_ids}
    for names, stmt in statements(subject, ids, period, as_of):
        _fold(session.exec(stmt).all(), names, out)  # type: ignore[call-overload]
    if subject == ORGANISATION:
        n, ids_sum, points = session.exec(
            select(*_triple(None, ChecklistItem.id, ChecklistItem.points)).where(col(ChecklistItem.active).is_(True))
        ).one()
        for parts in out.values():
            parts["checklist_all"] = [int(n or 0), int(ids_sum or 0), float(points or 0)]
    return {sid: complete(out[sid], subject) for sid in subject_ids}


def training_where(period: Period) -> ColumnElement[bool]:
    return col(TrainingRecord.held_on).between(period.start, period.end)


def complaint_where(period: Period) -> ColumnElement[bool]:
    return and_(
        col(MediatorComplaint.substantiated).is_(True),
        col(MediatorComplaint.received_on).between(period.start, period.end),
    )


def checklist_where(period: Period) -> ColumnElement[bool]:
    return and_(
        col(ChecklistState.period) == period.code,
        col(ChecklistState.met).is_(True),
        col(ChecklistItem.active).is_(True),
    )


def complete(parts: Parts, subject: str) -> Parts:
    """Every part of the subject present (zero when nothing was counted), in a stable order."""
    return {name: list(parts.get(name, [0, 0, 0.0])) for name in PARTS[subject]}


# ------------------------------------------------------------------------------------------------ scoring


@dataclass(frozen=True)
class Line:
    """One metric on the score card."""

    metric: str
    value: float | None  # None: nothing to measure (its weight is spread over the others)
    weight: float
    target: float
    points: float

    @property
    def applicable(self) -> bool:
        return self.value is not None


# metric → (numerator parts, denominator parts, which field each adds up: 0 the count, 2 the summed values)
_SPEC = {
    m: (top, bottom, 2 if m in SUMMED else 0, 2 if m == "checklist" else 0) for m, (top, bottom) in FORMULA.items()
}


def metric_value(metric: str, parts: Mapping[str, Part]) -> float | None:
    """The metric's value from its parts: a count, a sum, or a ratio (None when the denominator is empty)."""
    top, bottom, i, j = _SPEC[metric]
    numerator = float(sum(parts[p][i] for p in top))
    if not bottom:
        return numerator
    denominator = sum(parts[p][j] for p in bottom)
    return numerator / denominator if denominator else None


def points_for(metric: str, value: float | None, weight: float, target: float) -> float:
    """weight × min(value ÷ target, 1); for complaints weight × max(1 − count ÷ target, 0)."""
    if value is None:
        return 0.0
    if metric in LESS_IS_BETTER:
        return weight * max(1 - value / target, 0.0)
    return weight * min(value / target, 1.0)


def score_card(parts: Mapping[str, Part], scheme: Scheme) -> tuple[list[Line], float | None, int | None]:
    """The lines, the score 0–100 (rounded to 0.01) and the proposed stars (None: not rated)."""
    lines = []
    for metric in METRICS[scheme.subject]:
        value = metric_value(metric, parts)
        weight, target = scheme.weights.get(metric, 0.0), scheme.targets[metric]
        lines.append(Line(metric, value, weight, target, points_for(metric, value, weight, target)))
    weighed = sum(x.weight for x in lines if x.applicable)
    score = round(100 * sum(x.points for x in lines) / weighed, 2) if weighed else None
    cases = int(parts["mediated"][0])
    return lines, score, scheme.stars_for(score, cases)


def evidence_statement(subject: str, part: str, subject_id: int, period: Period, as_of: date) -> Select[Any] | None:
    """The ids of the records behind one part of one subject's card (None: the part is not a record list)."""
    if part in CASE_PARTS:
        key = case_key(subject)
        return select(Case.id).where(key == subject_id, in_period(period), case_predicates(as_of)[part])
    if part == "public":
        key = case_key(subject)
        return (
            select(Case.id)
            .join(PublicRating, col(PublicRating.case_id) == col(Case.id))
            .where(key == subject_id, in_period(period))
        )
    if part == "training":
        return select(TrainingRecord.id).where(TrainingRecord.mediator_id == subject_id, training_where(period))
    if part == "complaints":
        return select(MediatorComplaint.id).where(MediatorComplaint.mediator_id == subject_id, complaint_where(period))
    if part == "checklist":
        return (
            select(ChecklistState.id)
            .join(ChecklistItem, col(ChecklistItem.id) == col(ChecklistState.item_id))
            .where(ChecklistState.org_id == subject_id, checklist_where(period))
        )
    return None
