"""Supervision figures for the dashboard, each with the formula the UI shows (orders on cases in the actor's area,
opened within the period; accountability events recorded within it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import exists
from sqlmodel import Session, col, select

from models import AccountabilityEvent, Case, Organisation, SupervisionOrder
from services.access.authz import Actor, case_in_scope_clause, require
from services.access.permissions import P
from services.core import clock

FIGURES = ("opened", "on_time", "overdue", "delisted", "avg_days", "accountability")


@dataclass(frozen=True)
class Figures:
    opened: int
    on_time: int  # de-listed on or before the deadline
    overdue: int  # past the deadline before de-listing (still listed, or de-listed late)
    delisted: int
    avg_days: float | None  # mean days from opening to de-listing over the de-listed
    accountability: int


def _days(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 86400


def supervision_figures(session: Session, *, actor: Actor, first: date, last: date) -> Figures:
    """The figures for orders opened from `first` to `last` (China days) on cases in the actor's area."""
    require(actor, P.STATS_VIEW)
    start, end = clock.days_bounds(first, last)
    # each order checked against its own case (not the set of every case id in the area: 1–3 s at 1 M cases)
    area = exists().where(col(Case.id) == col(SupervisionOrder.case_id), case_in_scope_clause(actor))
    orders = session.exec(
        select(SupervisionOrder).where(
            area, col(SupervisionOrder.opened_at) >= start, col(SupervisionOrder.opened_at) < end
        )
    ).all()
    today = clock.today()
    delisted = [o for o in orders if o.state == "delisted" and o.delisted_at is not None]
    on_time = [o for o in delisted if clock.local_date(o.delisted_at or o.opened_at) <= o.deadline]
    late = [o for o in orders if o.state != "delisted" and o.deadline < today]
    events = session.exec(
        select(AccountabilityEvent.id).where(
            col(AccountabilityEvent.order_id).in_(select(SupervisionOrder.id).where(area)),
            col(AccountabilityEvent.created_at) >= start,
            col(AccountabilityEvent.created_at) < end,
        )
    ).all()
    avg = sum(_days(o.opened_at, o.delisted_at or o.opened_at) for o in delisted) / len(delisted) if delisted else None
    return Figures(
        opened=len(orders),
        on_time=len(on_time),
        overdue=len(late) + len(delisted) - len(on_time),
        delisted=len(delisted),
        avg_days=round(avg, 1) if avg is not None else None,
        accountability=len(events),
    )


# ------------------------------------------------------------------------------------------------ by unit and area
# Added for unit assessment (services/assessment/measures.py) and the statutory report (services/stats/reports.py):
# the same counts as supervision_figures, for a chosen subtree, with the cases behind them.


@dataclass(frozen=True)
class CountedFigures:
    """The figures of a set of orders and events, with the case ids behind on time, due and accountability."""

    figures: Figures
    on_time_cases: list[int]  # cases of the orders de-listed on time
    due_cases: list[int]  # cases of the orders on time or overdue (the base of the on-time rate)
    event_cases: list[int]  # cases of the accountability events, once per event


def _counted(session: Session, orders: list[SupervisionOrder], event_orders: list[int]) -> CountedFigures:
    """Count as supervision_figures does: on time = de-listed by the deadline; overdue = past it (listed or late)."""
    today = clock.today()
    delisted = [o for o in orders if o.state == "delisted" and o.delisted_at is not None]
    on_time = [o for o in delisted if clock.local_date(o.delisted_at or o.opened_at) <= o.deadline]
    late = [o for o in orders if o.state != "delisted" and o.deadline < today]
    on_time_ids = {id(o) for o in on_time}
    late_delisted = [o for o in delisted if id(o) not in on_time_ids]
    avg = sum(_days(o.opened_at, o.delisted_at or o.opened_at) for o in delisted) / len(delisted) if delisted else None
    case_of = {o.id: o.case_id for o in orders}
    missing = sorted({i for i in event_orders if i not in case_of})
    if missing:
        rows = session.exec(
            select(SupervisionOrder.id, SupervisionOrder.case_id).where(col(SupervisionOrder.id).in_(missing))
        ).all()
        case_of.update(dict(rows))
    figures = Figures(
        opened=len(orders),
        on_time=len(on_time),
        overdue=len(late) + len(delisted) - len(on_time),
        delisted=len(delisted),
        avg_days=round(avg, 1) if avg is not None else None,
        accountability=len(event_orders),
    )
    by_id = sorted((*on_time, *late, *late_delisted), key=lambda o: o.id or 0)
    return CountedFigures(
        figures=figures,
        on_time_cases=sorted(o.case_id for o in on_time),
        due_cases=sorted(o.case_id for o in by_id),
        event_cases=sorted(case_of[i] for i in event_orders if i in case_of),
    )


def unit_figures(session: Session, *, unit_path: str, first: date, last: date) -> CountedFigures:
    """A handling unit's figures (services/assessment/measures.py; the caller checks permissions): orders whose
    handling body lies in the unit's subtree, opened from `first` to `last` (China days), and the accountability
    events recorded against bodies in the subtree within those days."""
    start, end = clock.days_bounds(first, last)
    under = select(Organisation.id).where(col(Organisation.path).startswith(unit_path))
    orders = session.exec(
        select(SupervisionOrder)
        .where(
            col(SupervisionOrder.handling_org_id).in_(under),
            col(SupervisionOrder.opened_at) >= start,
            col(SupervisionOrder.opened_at) < end,
        )
        .order_by(col(SupervisionOrder.id))
    ).all()
    events = session.exec(
        select(AccountabilityEvent.order_id)
        .where(
            col(AccountabilityEvent.org_id).in_(under),
            col(AccountabilityEvent.created_at) >= start,
            col(AccountabilityEvent.created_at) < end,
        )
        .order_by(col(AccountabilityEvent.id))
    ).all()
    return _counted(session, list(orders), list(events))


def area_figures(session: Session, *, actor: Actor, first: date, last: date, org_path: str | None = None) -> Figures:
    """supervision_figures narrowed to the cases of `org_path`'s subtree (None: the actor's whole area), as the
    statutory report counts its unit (services/stats/reports.py)."""
    require(actor, P.STATS_VIEW)
    start, end = clock.days_bounds(first, last)
    cases = select(Case.id).where(case_in_scope_clause(actor))
    if org_path is not None:
        cases = cases.where(
            col(Case.org_id).in_(select(Organisation.id).where(col(Organisation.path).startswith(org_path)))
        )
    area = col(SupervisionOrder.case_id).in_(cases)
    orders = session.exec(
        select(SupervisionOrder).where(
            area, col(SupervisionOrder.opened_at) >= start, col(SupervisionOrder.opened_at) < end
        )
    ).all()
    events = session.exec(
        select(AccountabilityEvent.order_id).where(
            col(AccountabilityEvent.order_id).in_(select(SupervisionOrder.id).where(area)),
            col(AccountabilityEvent.created_at) >= start,
            col(AccountabilityEvent.created_at) < end,
        )
    ).all()
    return _counted(session, list(orders), list(events)).figures
