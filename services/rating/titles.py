"""Titles (调解能手, 优秀调解室) per period: the scheme's rule names the candidates, the justice office awards.

The rule reads the published ratings of the period (a recompute awaiting a decision does not change them): at
least `min_stars` stars and a score of at least `min_score`, best scores first, at most `max`. Only a candidate can
be awarded, and only a title of the subject's kind; awards show on the roster.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from models import Mediator, Organisation, Rating, TitleAward
from services.access.authz import Actor, require, require_any
from services.access.permissions import P
from services.access.scope import actor_area
from services.core import audit
from services.core.errors import Conflict, NotFound, ValidationFailed
from services.rating.review import published_ids
from services.rating.runs import subject_column, subjects_in_area
from services.rating.schemes import (
    MEDIATOR,
    ORGANISATION,
    SUBJECTS,
    check_title_kind,
    effective,
    parse_period,
    scheme_for,
)


@dataclass(frozen=True)
class Candidate:
    subject_id: int
    name: str
    rating_id: int
    score: float | None
    stars: int | None
    award_id: int | None  # set once awarded


@dataclass(frozen=True)
class Award:
    id: int
    title: str
    period: str
    subject: str
    subject_id: int
    name: str
    at: datetime


def title_rule(session: Session, actor: Actor, subject: str, period: str) -> dict[str, Any]:
    """The title rule of the scheme that applies to the period in the actor's region."""
    return effective(scheme_for(session, subject, period, actor_area(session, actor=actor))).title_rule


def _name_of(subject: str) -> Any:
    return Organisation.name if subject == ORGANISATION else Mediator.name


def title_candidates(
    session: Session, *, actor: Actor, subject: str, period: str
) -> tuple[dict[str, Any], list[Candidate]]:
    """The rule and who meets it: published ratings of the period in the actor's area, best first."""
    require_any(actor, P.RATING_PROPOSE, P.RATING_APPROVE)
    if subject not in SUBJECTS:
        raise ValidationFailed("error.rating_subject", subject=subject)
    code = parse_period(period).code
    rule = title_rule(session, actor, subject, code)
    key = subject_column(subject)
    named = Organisation if subject == ORGANISATION else Mediator
    rows = session.exec(
        select(Rating, _name_of(subject))
        .join(named, col(named.id) == col(key))
        .where(
            col(Rating.id).in_(published_ids(actor, subject, code)),  # a newer proposal does not unseat them
            col(Rating.approved_stars) >= int(rule["min_stars"]),
            col(Rating.score) >= float(rule.get("min_score", 0)),
        )
        .order_by(col(Rating.score).desc(), col(Rating.id))
        .limit(int(rule.get("max", 10)))
    ).all()
    awarded = _awarded(session, subject, code, str(rule["title"]))
    out = []
    for rating, name in rows:
        sid = (rating.org_id if subject == ORGANISATION else rating.mediator_id) or 0
        out.append(Candidate(sid, str(name), rating.id or 0, rating.score, rating.approved_stars, awarded.get(sid)))
    return rule, out


def _awarded(session: Session, subject: str, period: str, title: str) -> dict[int, int]:
    key = TitleAward.org_id if subject == ORGANISATION else TitleAward.mediator_id
    rows = session.exec(
        select(key, TitleAward.id).where(TitleAward.period == period, TitleAward.title == title, col(key).is_not(None))
    ).all()
    return {int(s): int(i or 0) for s, i in rows if s is not None}


def award_title(session: Session, *, actor: Actor, subject: str, period: str, subject_id: int) -> TitleAward:
    """Award the period's title to a candidate (the rule must name them, and the title must be one of the
    subject's kind: a committee is never awarded a mediator's title); audited."""
    require(actor, P.RATING_APPROVE)
    rule, candidates = title_candidates(session, actor=actor, subject=subject, period=period)
    check_title_kind(session, subject, str(rule["title"]))
    found = next((c for c in candidates if c.subject_id == subject_id), None)
    if found is None:
        raise ValidationFailed("error.rating_title_not_candidate")
    if found.award_id is not None:
        raise Conflict("error.rating_title_awarded")
    award = TitleAward(
        title=str(rule["title"]),
        period=parse_period(period).code,
        awarded_by=actor.user_id,
        mediator_id=subject_id if subject == MEDIATOR else None,
        org_id=subject_id if subject == ORGANISATION else None,
    )
    session.add(award)
    session.flush()
    audit.record(
        session,
        action="rating.title_awarded",
        actor_id=actor.user_id,
        entity="titleaward",
        entity_id=award.id,
        title=award.title,
        period=award.period,
        subject=subject,
        subject_id=subject_id,
        rating=found.rating_id,
        score=found.score,
    )
    return award


def _award_in_area(session: Session, actor: Actor, award_id: int) -> TitleAward:
    award = session.get(TitleAward, award_id)
    if award is None:
        raise NotFound("error.not_found")
    subject = ORGANISATION if award.org_id is not None else MEDIATOR
    sid = award.org_id if subject == ORGANISATION else award.mediator_id
    if (
        session.exec(
            subjects_in_area(actor, subject).where((Organisation.id if subject == ORGANISATION else Mediator.id) == sid)
        ).first()
        is None
    ):
        raise NotFound("error.not_found")
    return award


def revoke_title(session: Session, *, actor: Actor, award_id: int, reason: str) -> int:
    """Withdraw an award, with a reason kept in the audit log."""
    require(actor, P.RATING_APPROVE)
    award = _award_in_area(session, actor, award_id)
    if not reason.strip():
        raise ValidationFailed("error.rating_revoke_reason")
    audit.record(
        session,
        action="rating.title_revoked",
        actor_id=actor.user_id,
        entity="titleaward",
        entity_id=award.id,
        title=award.title,
        period=award.period,
        mediator=award.mediator_id,
        org=award.org_id,
        reason=reason.strip()[:200],
    )
    session.delete(award)
    return award_id


def list_awards(session: Session, *, actor: Actor, period: str) -> list[Award]:
    """The period's titles awarded to mediators and organisations in the actor's area."""
    require_any(actor, P.RATING_PROPOSE, P.RATING_APPROVE)
    code = parse_period(period).code
    m_ids, o_ids = subjects_in_area(actor, MEDIATOR), subjects_in_area(actor, ORGANISATION)
    rows = session.exec(
        select(TitleAward, Mediator.name, Organisation.name)
        .join(Mediator, col(Mediator.id) == col(TitleAward.mediator_id), isouter=True)
        .join(Organisation, col(Organisation.id) == col(TitleAward.org_id), isouter=True)
        .where(
            TitleAward.period == code,
            or_(
                and_(col(TitleAward.mediator_id).is_not(None), col(TitleAward.mediator_id).in_(m_ids)),
                and_(col(TitleAward.org_id).is_not(None), col(TitleAward.org_id).in_(o_ids)),
            ),
        )
        .order_by(col(TitleAward.title), col(TitleAward.id))
    ).all()
    return [
        Award(
            a.id or 0,
            a.title,
            a.period,
            ORGANISATION if a.org_id else MEDIATOR,
            (a.org_id or a.mediator_id) or 0,
            str(mn or on or ""),
            a.at,
        )
        for a, mn, on in rows
    ]
