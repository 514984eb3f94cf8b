"""The office's review of a period: the current rating of every subject, filtered and keyset-paged, and totals.

"Current" is the newest live rating (proposed, approved or overridden) of each subject for the period: after a
recompute that is the new proposal, which replaces the published rating only once someone decides it. Until then
the subject counts as published (its published stars are what the list, the totals and the titles use) and as
awaiting a decision. Subjects not rated (below the minimum case count, and not published with stars) are folded
away by the review page: `fold=True` leaves them out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, not_, or_, true
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
    published_id: int | None = None  # the subject's published rating of the period (may be this one)
    published_stars: int | None = None
    published_status: str = ""  # approved / overridden, "" when never published

    @property
    def shown_stars(self) -> int | None:
        """The published stars while a decision stands, else the proposal's."""
        return self.published_stars if self.published_id is not None else self.proposed

    @property
    def awaits_decision(self) -> bool:
        return self.status == "proposed"


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
    by_stars: dict[int, int]  # stars (published when published, else proposed) → subjects
    republish: int = 0  # published subjects with a newer proposal awaiting a decision (decided on their card)


def _sort_key() -> ColumnElement[float]:
    """Rated subjects first (by score), then the not rated (by score): the order of the review list."""
    return func.coalesce(Rating.score, 0.0) - case((col(Rating.proposed_stars).is_(None), 1000.0), else_=0.0)


def _sort_value(rating: Rating) -> float:
    return (rating.score or 0.0) - (1000.0 if rating.proposed_stars is None else 0.0)


def _open_objection() -> ColumnElement[bool]:
    return exists().where(col(RatingObjection.rating_id) == col(Rating.id), col(RatingObjection.status) == "open")


def _not_rated(pub: Any) -> ColumnElement[bool]:
    """Not rated now and not published with stars: folded away on the review page."""
    return and_(col(Rating.proposed_stars).is_(None), or_(col(pub.id).is_(None), col(pub.approved_stars).is_(None)))


def _show(show: str, pub: Any) -> ColumnElement[bool]:
    return {
        "all": true(),
        "pending": col(Rating.status) == "proposed",
        "decided": col(pub.id).is_not(None),
        "changed": col(Rating.changed).is_(True),
        "not_rated": _not_rated(pub),
        "objections": _open_objection(),
    }[show]


def published_ids(actor: Actor, subject: str, period: str) -> Any:
    """A subquery of the published rating id of each subject of the period in the actor's area."""
    r = aliased(Rating)
    key = getattr(r, subject_column(subject).key)
    return (
        select(func.max(r.id))
        .where(
            col(r.period) == period,
            col(r.subject) == subject,
            col(r.status).in_(DECIDED),
            col(key).in_(subjects_in_area(actor, subject)),
        )
        .group_by(key)
    )


def _with_published(stmt: Any, actor: Actor, subject: str, period: str, pub: Any) -> Any:
    """The statement over current ratings joined (outer) to the same subject's published rating."""
    key = subject_column(subject)
    return stmt.outerjoin(
        pub,
        and_(col(pub.id).in_(published_ids(actor, subject, period)), getattr(pub, key.key) == col(key)),
    )


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
    fold: bool = False,
) -> RatingPage:
    """The current ratings of the period in the actor's area, highest score first, a page at a time (`fold`:
    without the not rated, which the page lists apart)."""
    code = _check(actor, subject, period, show)
    pub = aliased(Rating, name="pub")
    where = [col(Rating.id).in_(current_ids(actor, subject, code)), _show(show, pub)]
    if fold:
        where.append(not_(_not_rated(pub)))
    score_key = _sort_key()
    count = select(func.count()).select_from(Rating)
    total = session.exec(_with_published(count, actor, subject, code, pub).where(*where)).one()
    if after is not None:
        where.append(or_(score_key < after[0], and_(score_key == after[0], col(Rating.id) < after[1])))
    org = aliased(Organisation)
    published: tuple[Any, ...] = (pub.id, pub.approved_stars, pub.status)
    if subject == MEDIATOR:
        stmt = (
            select(Rating, Mediator.name, org.name, _open_objection(), *published)
            .join(Mediator, col(Mediator.id) == col(Rating.mediator_id))
            .join(org, col(org.id) == col(Mediator.org_id))
        )
    else:
        stmt = select(Rating, org.name, org.name, _open_objection(), *published).join(
            org, col(org.id) == col(Rating.org_id)
        )
    stmt = _with_published(stmt, actor, subject, code, pub)
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
            pub_id,
            pub_stars,
            pub_status or "",
        )
        for r, name, org_name, objected, pub_id, pub_stars, pub_status in rows[:limit]
    )
    last = rows[limit - 1][0] if len(rows) > limit else None
    return RatingPage(items, (_sort_value(last), last.id or 0) if last is not None else None, int(total))


def period_summary(session: Session, *, actor: Actor, subject: str, period: str) -> PeriodSummary:
    """Totals of the period's current ratings in the actor's area: one grouped statement."""
    code = _check(actor, subject, period)
    pub = aliased(Rating, name="pub")
    published = col(pub.id).is_not(None)
    stars = case((published, pub.approved_stars), else_=Rating.proposed_stars)
    pending = col(Rating.status) == "proposed"
    stmt = select(  # type: ignore[call-overload]
        stars,
        func.count(),
        func.count().filter(pending),
        func.count().filter(published),
        func.count().filter(_not_rated(pub)),
        func.count().filter(col(Rating.changed).is_(True)),
        func.count().filter(_open_objection()),
        func.count().filter(and_(pending, published)),
    ).select_from(Rating)
    rows = session.exec(
        _with_published(stmt, actor, subject, code, pub)
        .where(col(Rating.id).in_(current_ids(actor, subject, code)))
        .group_by(stars)
    ).all()
    by_stars = {int(s): int(n) for s, n, *_ in rows if s is not None}
    total = [sum(int(r[i]) for r in rows) for i in range(1, 8)]
    subjects, pending_n, decided, not_rated, changed, objections, republish = total
    return PeriodSummary(subjects, pending_n, decided, not_rated, changed, objections, by_stars, republish)
