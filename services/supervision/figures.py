"""Supervision figures for the dashboard, each with the formula the UI shows (orders on cases in the actor's area,
opened within the period; accountability events recorded within it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from models import AccountabilityEvent, Case, SupervisionOrder
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
    area = col(SupervisionOrder.case_id).in_(select(Case.id).where(case_in_scope_clause(actor)))
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
