"""The office's review of a period: the current rating of every subject, filtered and keyset-paged, and totals.

"Current" is the newest live rating (proposed, approved or overridden) of each subject for the period: after a
recompute that is the new proposal, which replaces the published rating once decided.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, true
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from models import Mediator, Organisation, Rating
from models.rating import RatingObjection
from services.access.authz import Actor, require_any
from services.access.permissions import P
from services.core.errors import ValidationFailed
from services.rating.runs import DECIDED, LIVE, subject_column, subjects_in_area
from services.rating.schemes import MEDIATOR, ORGANISATION, SUBJECTS, parse_period

PAGE_SIZE = 20
SHOW = ("all", "pending", "decided", "changed", "not_rated", "objections")
Cursor = tuple[float, int]  # (sort key, rating id) of the last row shown


@dataclass(frozen=True)
class RatingRow:
    id: int
    subject_id: int
    name: str
    org_name: str
    score: float | None
    proposed: int | None
    approved: int | None
    status: str
    changed: bool
    objection_open: bool
    cases: int


@dataclass(frozen=True)
class RatingPage:
    items: tuple[RatingRow, ...]
    after: Cursor | None
    total: int


@dataclass(frozen=True)
class PeriodSummary:
    subjects: int
    pending: int
    decided: int
    not_rated: int
    changed: int
    objections: int
    by_stars: dict[int, int]  # stars (approved when decided, else proposed) → subjects


def _sort_key() -> ColumnElement[float]:
    """Rated subjects first (by score), then the not rated (by score): the order of the review list."""
    return func.coalesce(Rating.score, 0.0) - case((col(Rating.proposed_stars).is_(None), 1000.0), else_=0.0)


def _sort_value(rating: Rating) -> float:
    return (rating.score or 0.0) - (1000.0 if rating.proposed_stars is None else 0.0)


def _open_objection() -> ColumnElement[bool]:
    return exists().where(col(RatingObjection.rating_id) == col(Rating.id), col(RatingObjection.status) == "open")


def _show(show: str) -> ColumnElement[bool]:
    return {
        "all": true(),
        "pending": col(Rating.status) == "proposed",
        "decided": col(Rating.status).in_(DECIDED),
        "changed": col(Rating.changed).is_(True),
        "not_rated": col(Rating.proposed_stars).is_(None),
        "objections": _open_objection(),
    }[show]


def current_ids(actor: Actor, subject: str, period: str) -> Any:
    """A subquery of the current (newest live) rating id of each subject of the period in the actor's area."""
    key = subject_column(subject)
    return (
        select(func.max(Rating.id))
        .where(
            Rating.period == period,
            Rating.subject == subject,
            col(Rating.status).in_(LIVE),
            col(key).in_(subjects_in_area(actor, subject)),
        )
        .group_by(key)
    )


def _check(actor: Actor, subject: str, period: str, show: str = "all") -> str:
    require_any(actor, P.RATING_PROPOSE, P.RATING_APPROVE)
    if subject not in SUBJECTS:
        raise ValidationFailed("error.rating_subject", subject=subject)
    if show not in SHOW:
        raise ValidationFailed("error.rating_show", show=show)
    return parse_period(period).code


def list_ratings(
    session: Session,
    *,
    actor: Actor,
    subject: str,
    period: str,
    show: str = "all",
    after: Cursor | None = None,
    limit: int = PAGE_SIZE,
) -> RatingPage:
    """The current ratings of the period in the actor's area, highest score first, a page at a time."""
    code = _check(actor, subject, period, show)
    where = [col(Rating.id).in_(current_ids(actor, subject, code)), _show(show)]
    score_key = _sort_key()
    total = session.exec(select(func.count()).select_from(Rating).where(*where)).one()
    if after is not None:
        where.append(or_(score_key < after[0], and_(score_key == after[0], col(Rating.id) < after[1])))
    org = aliased(Organisation)
    if subject == MEDIATOR:
        stmt = (
            select(Rating, Mediator.name, org.name, _open_objection())
            .join(Mediator, col(Mediator.id) == col(Rating.mediator_id))
            .join(org, col(org.id) == col(Mediator.org_id))
        )
    else:
        stmt = select(Rating, org.name, org.name, _open_objection()).join(org, col(org.id) == col(Rating.org_id))
    rows = session.exec(stmt.where(*where).order_by(score_key.desc(), col(Rating.id).desc()).limit(limit + 1)).all()
    items = tuple(
        RatingRow(
            r.id or 0,
            (r.org_id if subject == ORGANISATION else r.mediator_id) or 0,
            name,
            "" if subject == ORGANISATION else org_name,
            r.score,
            r.proposed_stars,
            r.approved_stars,
            r.status,
            r.changed,
            bool(objected),
            int(((r.metrics or {}).get("parts") or {}).get("mediated", [(r.metrics or {}).get("cases", 0)])[0] or 0),
        )
        for r, name, org_name, objected in rows[:limit]
    )
    last = rows[limit - 1][0] if len(rows) > limit else None
    return RatingPage(items, (_sort_value(last), last.id or 0) if last is not None else None, int(total))


def period_summary(session: Session, *, actor: Actor, subject: str, period: str) -> PeriodSummary:
    """Totals of the period's current ratings in the actor's area: one grouped statement."""
    code = _check(actor, subject, period)
    stars = func.coalesce(Rating.approved_stars, Rating.proposed_stars)
    decided = col(Rating.status).in_(DECIDED)
    rows = session.exec(
        select(  # type: ignore[call-overload]
            stars,
            func.count(),
            func.count().filter(col(Rating.status) == "proposed"),
            func.count().filter(decided),
            func.count().filter(col(Rating.changed).is_(True)),
            func.count().filter(_open_objection()),
        )
        .where(col(Rating.id).in_(current_ids(actor, subject, code)))
        .group_by(stars)
    ).all()
    by_stars = {int(s): int(n) for s, n, *_ in rows if s is not None}
    return PeriodSummary(
        sum(int(r[1]) for r in rows),
        sum(int(r[2]) for r in rows),
        sum(int(r[3]) for r in rows),
        sum(int(r[1]) for r in rows if r[0] is None),
        sum(int(r[4]) for r in rows),
        sum(int(r[5]) for r in rows),
        by_stars,
    )
