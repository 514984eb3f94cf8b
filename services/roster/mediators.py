"""The mediator roster: case figures linked to the cases, rotation history, stars and titles, training hours.

Figures are aggregate SQL over a page of mediators at once; `ADMIN_DISPLAYS` are the computed columns the admin
specs name (`open_cases`, `success_rate`, `training_hours`, …), registered by `register_admin_extensions()`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import case, extract, func
from sqlmodel import Session, col, select

from models import (
    Case,
    ExpertPoolMember,
    Mediator,
    MediatorPosting,
    Organisation,
    Role,
    TitleAward,
    TrainingRecord,
    UserRole,
)
from models.mediator import TrainingSession
from services.access.authz import Actor, area_org_ids, require
from services.access.permissions import P
from services.admin.extensions import DisplayFn
from services.cases import states
from services.core import clock
from services.core.errors import NotFound, OutOfScope
from services.core.i18n import label

CHUNK = 500


@dataclass(frozen=True)
class CaseFigures:
    """A mediator's cases: open now, closed, and the success rate = succeeded ÷ (succeeded + failed)."""

    open: int = 0
    closed: int = 0
    succeeded: int = 0
    failed: int = 0

    @property
    def success_rate(self) -> float | None:
        decided = self.succeeded + self.failed
        return self.succeeded / decided if decided else None


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    unique = sorted(set(ids))
    return [unique[i : i + CHUNK] for i in range(0, len(unique), CHUNK)]


def case_figures(session: Session, mediator_ids: Sequence[int]) -> dict[int, CaseFigures]:
    """Figures of each mediator in one GROUP BY per 500 ids (outcome is kept on the case by triggers)."""
    is_open = case((col(Case.status).in_(states.OPEN), 1), else_=0)
    won = case((col(Case.outcome) == "succeeded", 1), else_=0)
    lost = case((col(Case.outcome) == "failed", 1), else_=0)
    out: dict[int, CaseFigures] = {}
    for chunk in _chunks(mediator_ids):
        stmt = (
            sa.select(Case.mediator_id, func.sum(is_open), func.count(), func.sum(won), func.sum(lost))  # type: ignore[call-overload]
            .where(col(Case.mediator_id).in_(chunk))
            .group_by(col(Case.mediator_id))
        )
        for mid, n_open, total, n_won, n_lost in session.execute(stmt).all():
            out[mid or 0] = CaseFigures(
                int(n_open or 0), int(total) - int(n_open or 0), int(n_won or 0), int(n_lost or 0)
            )
    return out


def hours_by_year(session: Session, mediator_ids: Sequence[int]) -> dict[int, dict[int, float]]:
    """Training hours per mediator per calendar year."""
    year = extract("year", col(TrainingRecord.held_on))
    out: dict[int, dict[int, float]] = {}
    for chunk in _chunks(mediator_ids):
        stmt = (
            select(TrainingRecord.mediator_id, year, func.sum(TrainingRecord.hours))
            .where(col(TrainingRecord.mediator_id).in_(chunk))
            .group_by(col(TrainingRecord.mediator_id), year)
        )
        for mid, y, hours in session.exec(stmt).all():
            out.setdefault(mid, {})[int(y)] = float(hours or 0)
    return out


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.0f}%"


def _figures(session: Session, ids: Sequence[int], lang: str) -> Mapping[int, Mapping[str, Any]]:
    figures = case_figures(session, ids)
    return {
        i: {"open_cases": f.open, "closed_cases": f.closed, "success_rate": _rate(f.success_rate)}
        for i in ids
        for f in [figures.get(i, CaseFigures())]
    }


def _training(session: Session, ids: Sequence[int], lang: str) -> Mapping[int, Mapping[str, Any]]:
    this_year = clock.today().year
    found = hours_by_year(session, ids)
    return {
        i: {
            "training_hours": years.get(this_year, 0.0),
            "training_by_year": " · ".join(f"{y}: {h:g}" for y, h in sorted(years.items(), reverse=True)),
        }
        for i in ids
        for years in [found.get(i, {})]
    }


def _titles(session: Session, ids: Sequence[int], lang: str) -> Mapping[int, Mapping[str, Any]]:
    found: dict[int, list[str]] = {}
    for chunk in _chunks(ids):
        stmt = (
            select(TitleAward.mediator_id, TitleAward.title, TitleAward.period)
            .where(col(TitleAward.mediator_id).in_(chunk))
            .order_by(col(TitleAward.period).desc(), col(TitleAward.id).desc())
        )
        for mid, title, period in session.exec(stmt).all():
            found.setdefault(mid or 0, []).append(f"{title}（{period}）")
    return {i: {"titles": "、".join(titles[:3])} for i, titles in found.items()}


def _org_titles(session: Session, ids: Sequence[int], lang: str) -> Mapping[int, Mapping[str, Any]]:
    """An organisation's titles (优秀调解室 …), newest first, as the mediators' are shown."""
    found: dict[int, list[str]] = {}
    for chunk in _chunks(ids):
        stmt = (
            select(TitleAward.org_id, TitleAward.title, TitleAward.period)
            .where(col(TitleAward.org_id).in_(chunk))
            .order_by(col(TitleAward.period).desc(), col(TitleAward.id).desc())
        )
        for oid, title, period in session.exec(stmt).all():
            found.setdefault(oid or 0, []).append(f"{title}（{period}）")
    return {i: {"titles": "、".join(titles[:3])} for i, titles in found.items()}


def _count_by(session: Session, key: Any, ids: Sequence[int], *where: Any) -> dict[int, int]:
    out: dict[int, int] = {}
    for chunk in _chunks(ids):
        stmt = select(key, func.count()).where(key.in_(chunk), *where).group_by(key)
        out.update({k: int(n) for k, n in session.exec(stmt).all()})
    return out


def _org_mediators(session: Session, ids: Sequence[int], lang: str) -> Mapping[int, Mapping[str, Any]]:
    counts = _count_by(session, col(Mediator.org_id), ids, Mediator.status == "active")
    return {i: {"mediators": counts.get(i, 0)} for i in ids}


def _pool_members(session: Session, ids: Sequence[int], lang: str) -> Mapping[int, Mapping[str, Any]]:
    counts = _count_by(session, col(ExpertPoolMember.pool_id), ids)
    return {i: {"members": counts.get(i, 0)} for i in ids}


def _attendees(session: Session, ids: Sequence[int], lang: str) -> Mapping[int, Mapping[str, Any]]:
    counts = _count_by(session, col(TrainingRecord.session_id), ids)
    return {i: {"attendees": counts.get(i, 0)} for i in ids}


def _user_roles(session: Session, ids: Sequence[int], lang: str) -> Mapping[int, Mapping[str, Any]]:
    found: dict[int, list[str]] = {}
    for chunk in _chunks(ids):
        stmt = (
            select(UserRole.user_id, Role.name_zh, Role.name_en)
            .join(Role, col(Role.id) == col(UserRole.role_id))
            .where(col(UserRole.user_id).in_(chunk))
            .order_by(col(Role.id))
        )
        for uid, zh, en in session.exec(stmt).all():
            found.setdefault(uid, []).append(label(zh, en, lang))
    return {i: {"roles": "、".join(names)} for i, names in found.items()}


# --- the roster as the justice office reads it ----------------------------------------------------------


@dataclass(frozen=True)
class Posting:
    org_name: str
    start: date
    end: date | None


@dataclass(frozen=True)
class MediatorProfile:
    """One mediator: case figures, rotation history, current stars and titles, training hours per year."""

    mediator: Mediator
    org_name: str
    figures: CaseFigures
    postings: tuple[Posting, ...]
    stars: int | None
    titles: tuple[str, ...]
    hours_by_year: dict[int, float]


def _mediator_in_scope(session: Session, actor: Actor, mediator_id: int) -> Mediator:
    require(actor, P.ROSTER_VIEW)
    mediator = session.get(Mediator, mediator_id)
    if mediator is None:
        raise NotFound("error.not_found")
    allowed = session.exec(
        select(Organisation.id).where(col(Organisation.id).in_(area_org_ids(actor)), Organisation.id == mediator.org_id)
    ).first()
    if allowed is None:
        raise OutOfScope("error.out_of_scope")
    return mediator


def mediator_profile(session: Session, *, actor: Actor, mediator_id: int) -> MediatorProfile:
    """Everything the roster shows about one mediator in the actor's area."""
    m = _mediator_in_scope(session, actor, mediator_id)
    mid = m.id or 0
    org = session.get(Organisation, m.org_id)
    rows = session.exec(
        select(MediatorPosting, Organisation.name)
        .join(Organisation, col(Organisation.id) == col(MediatorPosting.org_id))
        .where(MediatorPosting.mediator_id == mid)
        .order_by(col(MediatorPosting.start))
    ).all()
    titles = _titles(session, [mid], "zh-CN").get(mid, {}).get("titles", "")
    return MediatorProfile(
        mediator=m,
        org_name=org.name if org else "",
        figures=case_figures(session, [mid]).get(mid, CaseFigures()),
        postings=tuple(Posting(name, p.start, p.end) for p, name in rows),
        stars=m.stars,
        titles=tuple(t for t in titles.split("、") if t),
        hours_by_year=hours_by_year(session, [mid]).get(mid, {}),
    )


def training_hours(session: Session, *, actor: Actor, year: int) -> list[tuple[int, str, str, float]]:
    """(mediator id, name, organisation, hours) for every active mediator in the actor's area in `year`."""
    require(actor, P.ROSTER_VIEW)
    hours = func.coalesce(func.sum(TrainingRecord.hours), 0.0)
    joined = (col(TrainingRecord.mediator_id) == col(Mediator.id)) & (
        col(TrainingRecord.held_on).between(date(year, 1, 1), date(year, 12, 31))
    )
    stmt = (
        select(Mediator.id, Mediator.name, Organisation.name, hours)
        .join(Organisation, col(Organisation.id) == col(Mediator.org_id))
        .outerjoin(TrainingRecord, joined)
        .where(col(Mediator.org_id).in_(area_org_ids(actor)), Mediator.status == "active")
        .group_by(col(Mediator.id), col(Mediator.name), col(Organisation.name))
        .order_by(col(Organisation.name), col(Mediator.name))
    )
    return [(mid or 0, name, org, float(h)) for mid, name, org, h in session.exec(stmt).all()]


def mediators_in_scope(session: Session, actor: Actor, mediator_ids: Sequence[int]) -> list[int]:
    """The given ids, if every one is a mediator in the actor's area (else OutOfScope)."""
    wanted = set(mediator_ids)
    found: set[int] = set()
    for chunk in _chunks(list(wanted)):
        found |= {
            i or 0
            for i in session.exec(
                select(Mediator.id).where(col(Mediator.id).in_(chunk), col(Mediator.org_id).in_(area_org_ids(actor)))
            ).all()
        }
    if found != wanted:
        raise OutOfScope("error.out_of_scope")
    return sorted(found)


def set_attendance(session: Session, *, actor: Actor, training: TrainingSession, mediator_ids: Sequence[int]) -> None:
    """Make the session's attendance exactly these mediators; each attendee's record copies date, topic, hours."""
    require(actor, P.ROSTER_EDIT)
    wanted = set(mediators_in_scope(session, actor, mediator_ids))
    existing = {
        r.mediator_id: r
        for r in session.exec(select(TrainingRecord).where(TrainingRecord.session_id == training.id)).all()
    }
    for mid, record in existing.items():
        if mid not in wanted:
            session.delete(record)
    for mid in wanted:
        record = existing.get(mid) or TrainingRecord(
            mediator_id=mid, session_id=training.id, held_on=training.held_on, title=training.topic
        )
        record.held_on, record.title, record.hours = training.held_on, training.topic, training.hours
        record.kind, record.organiser = training.kind, training.organiser
        session.add(record)


# The computed columns the admin specs name: (model, column names, fn(session, ids, lang) -> {id: {name: value}}).
ADMIN_DISPLAYS: tuple[tuple[str, tuple[str, ...], DisplayFn], ...] = (
    ("mediator", ("open_cases", "closed_cases", "success_rate"), _figures),
    ("mediator", ("training_hours", "training_by_year"), _training),
    ("mediator", ("titles",), _titles),
    ("organisation", ("titles",), _org_titles),
    ("organisation", ("mediators",), _org_mediators),
    ("expertpool", ("members",), _pool_members),
    ("trainingsession", ("attendees",), _attendees),
    ("user", ("roles",), _user_roles),
)
