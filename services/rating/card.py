"""Score cards: each metric's value, points and counted sets, and the exact records behind every set.

The office reads cards of its area; a mediator reads their own (permission `rating.own`). The evidence list of
a set is the same predicate that counted it, evaluated as of the computation's `as_of`; it also reports whether
the records still add up to what was counted (count and id checksum), so a card never silently links to
different cases than the ones it scored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import (
    Case,
    ChecklistItem,
    ChecklistState,
    Mediator,
    Organisation,
    PublicRating,
    Rating,
    TitleAward,
    TrainingRecord,
)
from models.rating import MediatorComplaint, RatingObjection, RatingRun, RatingScheme
from services.access.authz import Actor, require
from services.access.permissions import P
from services.access.scope import area_of
from services.core.clock import local_date
from services.core.errors import NotFound, OutOfScope, PermissionDenied
from services.rating.metrics import FORMULA, complete, evidence_statement, score_card
from services.rating.runs import DECIDED, LIVE, rating_in_scope
from services.rating.schemes import MEDIATOR, METRICS, ORGANISATION, effective, parse_period, scheme_for

PAGE_SIZE = 30


@dataclass(frozen=True)
class CardLine:
    metric: str
    value: float | None
    weight: float
    target: float
    points: float
    parts: tuple[tuple[str, int, float], ...]  # (part, count, summed value) behind the metric


@dataclass(frozen=True)
class Objection:
    id: int
    body: str
    status: str
    answer: str
    upheld: bool | None
    lodged_at: datetime
    answered_at: datetime | None


@dataclass(frozen=True)
class HistoryRow:
    id: int
    period: str
    status: str
    score: float | None
    proposed: int | None
    approved: int | None
    reason: str
    at: datetime


@dataclass(frozen=True)
class Published:
    """The subject's published decision of the period while a newer proposal awaits one, and what changed since:
    `changes` holds [published, proposed] pairs for "score" and "stars"; `titles` each awarded title with
    whether the proposal still meets the title rule."""

    id: int
    status: str  # approved / overridden
    score: float | None
    proposed: int | None
    approved: int | None
    reason: str
    decided_at: datetime | None
    changes: dict[str, list[Any]]
    titles: tuple[tuple[str, bool], ...]


@dataclass(frozen=True)
class Card:
    """One rating as its card shows it."""

    id: int
    subject: str
    subject_id: int
    name: str
    org_name: str
    period: str
    status: str
    score: float | None
    proposed: int | None
    approved: int | None
    override_reason: str
    decided_at: datetime | None
    scheme: str  # "code v3"
    scheme_outdated: bool  # a newer version of the scheme exists: a recompute would use it
    min_cases: int
    as_of: date | None
    lines: tuple[CardLine, ...]  # empty for ratings made before score cards kept their counted sets
    legacy: dict[str, Any]
    changes: dict[str, Any]
    objections: tuple[Objection, ...]
    history: tuple[HistoryRow, ...]
    own: bool  # the reader is the rated mediator
    published: Published | None = None  # set on a proposal made after the subject's rating was published


def own_mediator(session: Session, actor: Actor) -> Mediator | None:
    """The mediator record of the signed-in user, if any."""
    return session.exec(select(Mediator).where(Mediator.user_id == actor.user_id)).first()


def readable_rating(session: Session, actor: Actor, rating_id: int) -> tuple[Rating, bool]:
    """The rating and whether it is the reader's own; the office reads its area, a mediator their own."""
    if actor.can(P.RATING_PROPOSE) or actor.can(P.RATING_APPROVE):
        try:
            rating = rating_in_scope(session, actor, rating_id)
            mine = own_mediator(session, actor)
            return rating, mine is not None and rating.mediator_id == mine.id
        except OutOfScope:
            if not actor.can(P.RATING_OWN):
                raise
    return own_rating(session, actor, rating_id), True


def own_rating(session: Session, actor: Actor, rating_id: int) -> Rating:
    """A rating of the signed-in mediator (someone else's is refused like a missing one)."""
    if not actor.can(P.RATING_OWN):
        raise PermissionDenied("error.permission_denied", permission=str(P.RATING_OWN))
    rating = session.get(Rating, rating_id)
    if rating is None:
        raise NotFound("error.rating_not_found")
    mine = own_mediator(session, actor)
    if mine is None or rating.mediator_id != mine.id:
        raise OutOfScope("error.rating_not_found")
    return rating


def _names(session: Session, rating: Rating) -> tuple[str, str]:
    if rating.subject == ORGANISATION:
        org = session.get(Organisation, rating.org_id or 0)
        return (org.name if org else "", "")
    mediator = session.get(Mediator, rating.mediator_id or 0)
    org = session.get(Organisation, mediator.org_id) if mediator else None
    return (mediator.name if mediator else "", org.name if org else "")


def card_lines(rating: Rating, scheme: RatingScheme | None) -> tuple[CardLine, ...]:
    """The card's metric lines: the stored counted sets scored by the scheme version the rating used."""
    parts = (rating.metrics or {}).get("parts")
    if not isinstance(parts, dict) or scheme is None:
        return ()
    subject = rating.subject if rating.subject in METRICS else MEDIATOR
    lines, _, _ = score_card(complete(parts, subject), effective(scheme))
    out = []
    for line in lines:
        names = dict.fromkeys(FORMULA[line.metric][0] + FORMULA[line.metric][1])
        out.append(
            CardLine(
                line.metric,
                line.value,
                line.weight,
                line.target,
                line.points,
                tuple((p, int(parts[p][0]), float(parts[p][2])) for p in names if p in parts),
            )
        )
    return tuple(out)


def subject_history(session: Session, rating: Rating) -> tuple[HistoryRow, ...]:
    """Every rating of the same subject, newest first (proposals, decisions, superseded and revised ones)."""
    key = Rating.org_id if rating.subject == ORGANISATION else Rating.mediator_id
    rows = session.exec(
        select(Rating)
        .where(
            key == (rating.org_id if rating.subject == ORGANISATION else rating.mediator_id),
            Rating.subject == rating.subject,
        )
        .order_by(col(Rating.period).desc(), col(Rating.id).desc())
        .limit(60)
    ).all()
    return tuple(
        HistoryRow(
            r.id or 0,
            r.period,
            r.status,
            r.score,
            r.proposed_stars,
            r.approved_stars,
            r.override_reason,
            r.decided_at or r.created_at,
        )
        for r in rows
    )


def _scheme_outdated(session: Session, rating: Rating) -> bool:
    """A recompute by the same office would now use another scheme version than this rating did."""
    run = session.get(RatingRun, rating.run_id) if rating.run_id else None
    org = session.get(Organisation, run.org_id) if run else None
    if org is None:
        return False
    return scheme_for(session, rating.subject, rating.period, area_of(session, org=org)).id != rating.scheme_id


def published_for(session: Session, rating: Rating, rule: dict[str, Any] | None) -> Published | None:
    """For a proposal: the same subject's published rating of the period and what changed since publication."""
    if rating.status != "proposed":
        return None
    subject = ORGANISATION if rating.subject == ORGANISATION else MEDIATOR
    key = Rating.org_id if subject == ORGANISATION else Rating.mediator_id
    sid = rating.org_id if subject == ORGANISATION else rating.mediator_id
    pub = session.exec(
        select(Rating)
        .where(key == sid, Rating.subject == rating.subject, Rating.period == rating.period)
        .where(col(Rating.status).in_(DECIDED))
        .order_by(col(Rating.id).desc())
    ).first()
    if pub is None:
        return None
    changes: dict[str, list[Any]] = {}
    if pub.score != rating.score:
        changes["score"] = [pub.score, rating.score]
    if pub.approved_stars != rating.proposed_stars:
        changes["stars"] = [pub.approved_stars, rating.proposed_stars]
    award_key = TitleAward.org_id if subject == ORGANISATION else TitleAward.mediator_id
    awarded = session.exec(
        select(TitleAward.title)
        .where(award_key == sid, TitleAward.period == rating.period)
        .order_by(col(TitleAward.id))
    ).all()
    rule = rule or {}
    meets = (
        rating.proposed_stars is not None
        and rating.proposed_stars >= int(rule.get("min_stars", 6))
        and (rating.score or 0.0) >= float(rule.get("min_score", 0))
    )
    return Published(
        pub.id or 0,
        pub.status,
        pub.score,
        pub.proposed_stars,
        pub.approved_stars,
        pub.override_reason,
        pub.decided_at,
        changes,
        tuple((str(title), bool(meets and title == rule.get("title"))) for title in awarded),
    )


def get_card(session: Session, *, actor: Actor, rating_id: int) -> Card:
    """The score card of a rating the actor may read."""
    rating, own = readable_rating(session, actor, rating_id)
    name, org_name = _names(session, rating)
    scheme = session.get(RatingScheme, rating.scheme_id)
    objections = session.exec(
        select(RatingObjection).where(RatingObjection.rating_id == rating.id).order_by(col(RatingObjection.id))
    ).all()
    as_of = (rating.metrics or {}).get("as_of")
    lines = card_lines(rating, scheme)
    legacy = {} if lines else {k: v for k, v in (rating.metrics or {}).items() if isinstance(v, int | float)}
    return Card(
        rating.id or 0,
        rating.subject,
        (rating.org_id if rating.subject == ORGANISATION else rating.mediator_id) or 0,
        name,
        org_name,
        rating.period,
        rating.status,
        rating.score,
        rating.proposed_stars,
        rating.approved_stars,
        rating.override_reason,
        rating.decided_at,
        f"{scheme.code} v{scheme.version}" if scheme else "",
        _scheme_outdated(session, rating),
        scheme.min_cases if scheme else 0,
        date.fromisoformat(as_of) if as_of else None,
        lines,
        legacy,
        dict(rating.changes or {}),
        tuple(
            Objection(o.id or 0, o.body, o.status, o.answer, o.upheld, o.lodged_at, o.answered_at) for o in objections
        ),
        subject_history(session, rating),
        own,
        published_for(session, rating, effective(scheme).title_rule if scheme else None),
    )


def my_ratings(session: Session, *, actor: Actor) -> list[HistoryRow]:
    """The signed-in mediator's live ratings, newest period first (proposals are marked as such)."""
    require(actor, P.RATING_OWN)
    mine = own_mediator(session, actor)
    if mine is None:
        return []
    rows = session.exec(
        select(Rating)
        .where(Rating.mediator_id == mine.id, col(Rating.status).in_(LIVE))
        .order_by(col(Rating.period).desc(), col(Rating.id).desc())
    ).all()
    return [
        HistoryRow(
            r.id or 0,
            r.period,
            r.status,
            r.score,
            r.proposed_stars,
            r.approved_stars,
            r.override_reason,
            r.decided_at or r.created_at,
        )
        for r in rows
    ]


@dataclass(frozen=True)
class EvidenceItem:
    """One record behind a number: a case (with its link), a public rating, training, complaint or checklist item."""

    id: int
    case_id: int | None
    label: str
    detail: str
    on: date | None
    value: float | None = None
    label_en: str = ""  # a checklist item's English label (label is the Chinese one)


@dataclass(frozen=True)
class EvidencePage:
    items: tuple[EvidenceItem, ...]
    after: int | None  # pass back for the next page
    count: int  # records behind the part now
    matches: bool  # they are exactly what was counted (same count and id checksum)


def _details(session: Session, part: str, ids: list[int]) -> list[EvidenceItem]:
    if not ids:
        return []
    if part == "training":
        rows = session.exec(select(TrainingRecord).where(col(TrainingRecord.id).in_(ids))).all()
        return [EvidenceItem(r.id or 0, None, r.title, r.organiser, r.held_on, r.hours) for r in rows]
    if part == "complaints":
        comp = session.exec(select(MediatorComplaint).where(col(MediatorComplaint.id).in_(ids))).all()
        return [EvidenceItem(r.id or 0, r.case_id, r.summary, r.finding, r.received_on) for r in comp]
    if part == "checklist":
        rows2 = session.exec(
            select(ChecklistState, ChecklistItem)
            .join(ChecklistItem, col(ChecklistItem.id) == col(ChecklistState.item_id))
            .where(col(ChecklistState.id).in_(ids))
        ).all()
        return [
            EvidenceItem(s.id or 0, None, i.label_zh, s.evidence_note, local_date(s.at), i.points, i.label_en)
            for s, i in rows2
        ]
    stars = (
        dict(
            session.exec(
                select(PublicRating.case_id, PublicRating.stars).where(col(PublicRating.case_id).in_(ids))
            ).all()
        )
        if part == "public"
        else {}
    )
    cases = session.exec(
        select(
            Case.id,
            Case.case_no,
            Case.status,
            Case.received_at,  # type: ignore[call-overload]
            Case.satisfaction,
        ).where(col(Case.id).in_(ids))
    ).all()
    return [
        EvidenceItem(cid, cid, no, status, local_date(at), stars.get(cid, sat if part == "followup" else None))
        for cid, no, status, at, sat in cases
    ]


def evidence(
    session: Session, *, actor: Actor, rating_id: int, part: str, after: int = 0, limit: int = PAGE_SIZE
) -> EvidencePage:
    """A page (by id) of the records behind one counted set of a card the actor may read."""
    rating, _ = readable_rating(session, actor, rating_id)
    metrics = rating.metrics or {}
    counted = (metrics.get("parts") or {}).get(part)
    if counted is None or not metrics.get("as_of"):
        raise NotFound("error.rating_part_unknown", part=part)
    sid = (rating.org_id if rating.subject == ORGANISATION else rating.mediator_id) or 0
    stmt = evidence_statement(
        rating.subject, part, sid, parse_period(rating.period), date.fromisoformat(metrics["as_of"])
    )
    if stmt is None:
        raise NotFound("error.rating_part_unknown", part=part)
    sub = stmt.subquery()
    id_col = sub.c[0]
    n, checksum = session.exec(select(func.count(), func.sum(id_col))).one()
    ids = [int(i) for i in session.exec(select(id_col).where(id_col > after).order_by(id_col).limit(limit + 1)).all()]
    more = len(ids) > limit
    ids = ids[:limit]
    order = {i: k for k, i in enumerate(ids)}
    items = sorted(_details(session, part, ids), key=lambda x: order[x.id])
    return EvidencePage(
        tuple(items),
        ids[-1] if more else None,
        int(n or 0),
        [int(n or 0), int(checksum or 0)] == [int(counted[0]), int(counted[1])],
    )
