"""Star rating (DESIGN.md §5): compute proposals for a period → approve, or override with a reason → published.

A computation (RatingRun) rates every mediator (or mediation organisation) in the office's area in one pass:
one grouped statement per source table (services/rating/metrics.py), never a query per subject and never
case rows in Python. It is reproducible — the same data, scheme and `as_of` give the same fingerprint — and
each new proposal records what differs from the previous computation. Deciding publishes the rating and
sets the mediator's current stars (what the roster shows).

A recompute proposes, it never decides: a published rating (approved, or overridden with its reason) stands until
someone decides that subject again. A subject whose new computation equals its published rating (same counted sets,
score and stars) gets a "kept" row (history only, nothing to decide); the bulk approval publishes only subjects
never published for the period, so an override is never replaced without a look at its card.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from models import Mediator, Organisation, Rating, TitleAward
from models.base import utc_now
from models.org import MEDIATION_KINDS
from models.rating import RatingObjection, RatingRun
from services.access.authz import Actor, area_org_ids, require
from services.access.permissions import P
from services.access.scope import actor_area
from services.core import audit
from services.core.errors import Conflict, NotFound, OutOfScope, ValidationFailed
from services.rating.diff import Scored, changes, digest, fingerprint, is_changed, load_previous
from services.rating.metrics import collect, score_card
from services.rating.schemes import (
    MEDIATOR,
    ORGANISATION,
    SUBJECTS,
    effective,
    parse_period,
    period_end,
    scheme_for,
)

LIVE = ("proposed", "approved", "overridden")
DECIDED = ("approved", "overridden")
KEPT = "kept"  # a recompute equal to the published rating: recorded, nothing to decide
CHUNK = 500


def subject_column(subject: str) -> Any:
    """The rating column that names the subject: the mediator or the organisation."""
    return Rating.org_id if subject == ORGANISATION else Rating.mediator_id


def subjects_in_scope(actor: Actor, subject: str) -> Any:
    """A subquery of the ids rated in the actor's area: serving mediators, or mediation organisations."""
    if subject == ORGANISATION:
        return select(Organisation.id).where(
            col(Organisation.id).in_(area_org_ids(actor)),
            col(Organisation.kind).in_(sorted(MEDIATION_KINDS)),
            col(Organisation.active).is_(True),
        )
    return select(Mediator.id).where(col(Mediator.org_id).in_(area_org_ids(actor)), Mediator.status != "left")


def subjects_in_area(actor: Actor, subject: str) -> Any:
    """A subquery of every mediator or organisation in the actor's area, serving or not (ratings they may read)."""
    if subject == ORGANISATION:
        return select(Organisation.id).where(col(Organisation.id).in_(area_org_ids(actor)))
    return select(Mediator.id).where(col(Mediator.org_id).in_(area_org_ids(actor)))


def published_subjects(subject: str, period: str) -> Any:
    """A subquery of the subjects with a published (approved or overridden) rating for the period."""
    r = aliased(Rating)
    key = getattr(r, subject_column(subject).key)
    return select(key).where(
        col(r.period) == period, col(r.subject) == subject, col(r.status).in_(DECIDED), col(key).is_not(None)
    )


def _published_basis(session: Session, subject: str, period: str, ids: Any) -> dict[int, tuple[Any, ...]]:
    """(score, proposed stars, digest) of each subject's published rating of the period."""
    key = subject_column(subject)
    rows = session.exec(
        select(key, Rating.score, Rating.proposed_stars, Rating.digest).where(
            col(Rating.period) == period,
            col(Rating.subject) == subject,
            col(Rating.status).in_(DECIDED),
            col(key).in_(ids),
        )
    ).all()
    return {int(sid): (score, stars, dig or "") for sid, score, stars, dig in rows if sid is not None}


def _check_subject(subject: str) -> None:
    if subject not in SUBJECTS:
        raise ValidationFailed("error.rating_subject", subject=subject)


@dataclass(frozen=True)
class RunSummary:
    """One computation: what it rated, how many are eligible, how many changed since the previous one."""

    id: int
    subject: str
    period: str
    as_of: date
    scheme_id: int
    subjects: int
    rated: int
    changed: int
    fingerprint: str
    computed_at: datetime


def _summary(run: RatingRun) -> RunSummary:
    return RunSummary(
        run.id or 0,
        run.subject,
        run.period,
        run.as_of,
        run.scheme_id,
        run.subjects,
        run.rated,
        run.changed,
        run.fingerprint,
        run.computed_at,
    )


def _proposals(
    run: RatingRun,
    scored: dict[int, Scored],
    changed: dict[int, dict[str, Any]],
    published: dict[int, tuple[Any, ...]],
) -> list[dict[str, Any]]:
    """One rating row per subject of the run, with what changed since the previous computation: proposed, or
    "kept" when it equals the subject's published rating (score, stars and counted sets)."""
    now, mediator = utc_now(), run.subject == MEDIATOR
    return [
        {
            "scheme_id": run.scheme_id,
            "subject": run.subject,
            "mediator_id": sid if mediator else None,
            "org_id": None if mediator else sid,
            "period": run.period,
            "score": score,
            "proposed_stars": stars,
            "status": KEPT if published.get(sid) == (score, stars, dig) else "proposed",
            "override_reason": "",
            "digest": dig,
            "run_id": run.id,
            "metrics": {"as_of": run.as_of.isoformat(), "parts": sets},
            "changes": changed[sid],
            "changed": is_changed(changed[sid]),
            "created_at": now,
        }
        for sid, (score, stars, dig, sets) in scored.items()
    ]


def compute_ratings(session: Session, *, actor: Actor, subject: str, period: str, today: date) -> RunSummary:
    """Propose a rating for every subject in the actor's area; earlier undecided proposals are superseded."""
    require(actor, P.RATING_PROPOSE)
    _check_subject(subject)
    per = parse_period(period)
    if per.start > today:
        raise ValidationFailed("error.rating_period_future", period=per.code)
    row = scheme_for(session, subject, per.code, actor_area(session, actor=actor))
    scheme, as_of = effective(row), min(today, per.end)
    ids, key = subjects_in_scope(actor, subject), subject_column(subject)
    subject_ids = sorted(int(i) for i in session.exec(ids).all())
    parts = collect(session, subject, ids, subject_ids, per, as_of)
    scored = {sid: (*score_card(parts[sid], scheme)[1:], digest(parts[sid]), parts[sid]) for sid in subject_ids}
    changed = changes(session, subject, load_previous(session, subject, per.code, key, ids), scored)
    run = RatingRun(
        scheme_id=scheme.id,
        subject=subject,
        period=per.code,
        as_of=as_of,
        org_id=actor.org_id,
        computed_by=actor.user_id,
        fingerprint=fingerprint(scheme.id, per.code, as_of, {k: v[2] for k, v in scored.items()}),
    )
    session.add(run)
    session.flush()
    session.execute(
        update(Rating)
        .where(
            col(Rating.period) == per.code,
            col(Rating.subject) == subject,
            col(Rating.status) == "proposed",
            col(key).in_(ids),
        )
        .values(status="superseded"),
        execution_options={"synchronize_session": False},
    )
    rows = _proposals(run, scored, changed, _published_basis(session, subject, per.code, ids))
    if rows:  # Core executemany: a computation writes one row per subject (10,000 for a city)
        session.execute(insert(Rating.__table__), rows)  # type: ignore[attr-defined]
    run.subjects = len(rows)
    run.rated = sum(1 for r in rows if r["proposed_stars"] is not None)
    run.changed = sum(1 for r in rows if r["changed"])
    row.in_use = True
    session.add_all([run, row])
    audit.record(
        session,
        action="rating.computed",
        actor_id=actor.user_id,
        entity="ratingrun",
        entity_id=run.id,
        subject=subject,
        period=per.code,
        scheme=f"{scheme.code} v{scheme.version}",
        as_of=as_of.isoformat(),
        subjects=run.subjects,
        rated=run.rated,
        changed=run.changed,
        fingerprint=run.fingerprint,
    )
    return _summary(run)


def latest_run(session: Session, *, actor: Actor, subject: str, period: str) -> RunSummary | None:
    """The newest computation for the period made by an office in the actor's area."""
    require(actor, P.RATING_PROPOSE)
    run = session.exec(
        select(RatingRun)
        .where(RatingRun.subject == subject, RatingRun.period == period, col(RatingRun.org_id).in_(area_org_ids(actor)))
        .order_by(col(RatingRun.id).desc())
    ).first()
    return _summary(run) if run else None


def rating_in_scope(session: Session, actor: Actor, rating_id: int, *, for_update: bool = False) -> Rating:
    """A rating whose mediator or organisation lies in the actor's area (missing and foreign refused alike)."""
    stmt = select(Rating).where(Rating.id == rating_id)
    rating = session.exec(stmt.with_for_update() if for_update else stmt).first()
    if rating is None:
        raise NotFound("error.rating_not_found")
    subject = rating.subject if rating.subject in SUBJECTS else MEDIATOR
    sid = rating.org_id if subject == ORGANISATION else rating.mediator_id
    if sid is None or sid not in set(
        session.exec(
            subjects_in_area(actor, subject).where((Organisation.id if subject == ORGANISATION else Mediator.id) == sid)
        ).all()
    ):
        raise OutOfScope("error.rating_not_found")
    return rating


def decide_rating(session: Session, *, actor: Actor, rating_id: int, stars: int | None, reason: str = "") -> Rating:
    """Approve the proposed stars, or override them with a reason; the decision is published at once."""
    require(actor, P.RATING_APPROVE)
    rating = rating_in_scope(session, actor, rating_id, for_update=True)
    if rating.status not in LIVE:
        raise Conflict("error.rating_not_live")
    reason = reason.strip()
    if stars != rating.proposed_stars:
        if rating.proposed_stars is None:
            raise ValidationFailed("error.rating_not_eligible")
        if stars is None or not 1 <= stars <= 5:
            raise ValidationFailed("error.rating_decide_stars")
        if not reason:
            raise ValidationFailed("error.rating_override_reason")
    target = rating
    if rating.status != "proposed":  # deciding a published rating again keeps the old decision as history
        data = rating.model_dump(exclude={"id", "created_at", "decided_by", "decided_at", "override_reason"})
        target = Rating(**data)
        rating.status = "revised"
        session.add(rating)
        session.flush()
    key = subject_column(rating.subject)
    session.execute(  # the earlier decision steps down first: one published rating per subject and period
        update(Rating)
        .where(
            col(Rating.period) == rating.period,
            col(Rating.subject) == rating.subject,
            col(key) == getattr(rating, key.key),
            col(Rating.status).in_(DECIDED),
            col(Rating.id) != rating.id,
        )
        .values(status="revised"),
        execution_options={"synchronize_session": False},
    )
    target.status = "approved" if stars == rating.proposed_stars else "overridden"
    target.approved_stars, target.override_reason = stars, reason if target.status == "overridden" else ""
    target.decided_by, target.decided_at = actor.user_id, utc_now()
    session.add(target)
    session.flush()
    if rating.mediator_id is not None:
        sync_stars(session, [rating.mediator_id])
    audit.record(
        session,
        action=f"rating.{target.status}",
        actor_id=actor.user_id,
        entity="rating",
        entity_id=target.id,
        proposed=rating.proposed_stars,
        stars=stars,
        reason=reason[:200],
        replaces=rating.id if target is not rating else None,
    )
    return target


def approve_run(session: Session, *, actor: Actor, run_id: int) -> int:
    """Approve, as proposed, every undecided rating of a computation in the actor's area without an open objection.

    Subjects already published for the period are left alone: their decision (an override with its reason too)
    stands until someone decides them again on their card, where the change since publication is shown."""
    require(actor, P.RATING_APPROVE)
    run = session.get(RatingRun, run_id)
    if run is None:
        raise NotFound("error.rating_not_found")
    key = subject_column(run.subject)
    objected = select(RatingObjection.rating_id).where(RatingObjection.status == "open")
    pending = (
        col(Rating.run_id) == run.id,
        col(Rating.status) == "proposed",
        col(key).in_(subjects_in_scope(actor, run.subject)),
        col(Rating.id).not_in(objected),
        col(key).not_in(published_subjects(run.subject, run.period)),
    )
    subject_ids = [int(i) for i in session.exec(select(key).where(*pending)).all()]
    if not subject_ids:
        return 0
    session.execute(
        update(Rating)
        .where(*pending)
        .values(
            status="approved", approved_stars=Rating.proposed_stars, decided_by=actor.user_id, decided_at=utc_now()
        ),
        execution_options={"synchronize_session": False},
    )
    if run.subject == MEDIATOR:
        sync_stars(session, subject_ids)
    audit.record(
        session,
        action="rating.approved_run",
        actor_id=actor.user_id,
        entity="ratingrun",
        entity_id=run.id,
        approved=len(subject_ids),
    )
    return len(subject_ids)


def sync_stars(session: Session, mediator_ids: list[int]) -> None:
    """Set each mediator's current stars to their published rating of the latest period (None: not rated)."""
    for i in range(0, len(mediator_ids), CHUNK):
        chunk = sorted(set(mediator_ids[i : i + CHUNK]))
        rows = session.exec(
            select(
                Rating.mediator_id,
                Rating.period,
                Rating.approved_stars,  # type: ignore[call-overload]
                Rating.decided_at,
                Rating.id,
            ).where(col(Rating.mediator_id).in_(chunk), col(Rating.status).in_(DECIDED))
        ).all()
        best: dict[int, tuple[Any, ...]] = {}
        for mid, period, stars, at, rid in rows:
            rank = (period_end(period), (at.timestamp() if at else 0.0), rid or 0, stars)
            if mid is not None and (mid not in best or rank > best[mid]):
                best[mid] = rank
        if best:
            session.execute(update(Mediator), [{"id": mid, "stars": rank[3]} for mid, rank in best.items()])


def current_stars(session: Session, mediator_id: int) -> int | None:
    """The mediator's published star level (public: the roster and the honour roll show it)."""
    mediator = session.get(Mediator, mediator_id)
    return mediator.stars if mediator else None


def titles_for(session: Session, mediator_id: int | None = None, *, org_id: int | None = None) -> list[tuple[str, str]]:
    """(title, period) awarded to a mediator or an organisation, newest period first (public information)."""
    if mediator_id is None and org_id is None:
        return []
    where = TitleAward.mediator_id == mediator_id if mediator_id is not None else TitleAward.org_id == org_id
    rows = session.exec(
        select(TitleAward.title, TitleAward.period)
        .where(where)
        .order_by(col(TitleAward.period).desc(), col(TitleAward.id).desc())
    ).all()
    return [(str(t), str(p)) for t, p in rows]
