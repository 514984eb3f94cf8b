"""Rating schemes as versioned data (DESIGN.md §5): weights, targets, star thresholds, eligibility, title rule.

Weights share exactly 100 points, and a title belongs to one kind of subject (mediators or organisations).
A scheme is never edited in place: saving writes the next version of the same code, audited with what changed.
A version already used by a computation (`in_use`) can only be followed by one that says why it changed.
Schemes belong to a region (the area an office serves); a computation uses the most specific scheme for its
period and region, falling back to the built-in default.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import Organisation, RatingScheme, TitleAward
from services.access.authz import Actor, require, require_any
from services.access.permissions import P
from services.access.scope import actor_area
from services.core import audit
from services.core.errors import ValidationFailed
from services.core.reference import RATING_MIN_CASES, RATING_THRESHOLDS, RATING_WEIGHTS

MEDIATOR, ORGANISATION = "mediator", "organisation"
SUBJECTS = (MEDIATOR, ORGANISATION)
DEFAULT = "default"
METRICS: dict[str, tuple[str, ...]] = {
    MEDIATOR: (
        "cases",
        "success_rate",
        "performance_rate",
        "confirmation_rate",
        "satisfaction",
        "training",
        "complaints",
    ),
    ORGANISATION: ("cases", "success_rate", "performance_rate", "confirmation_rate", "satisfaction", "checklist"),
}
LESS_IS_BETTER = frozenset({"complaints"})  # points fall from the full weight to 0 at the target count
DEFAULT_WEIGHTS: dict[str, dict[str, float]] = {
    MEDIATOR: dict(RATING_WEIGHTS),
    ORGANISATION: {
        "cases": 15,
        "success_rate": 20,
        "performance_rate": 15,
        "confirmation_rate": 5,
        "satisfaction": 15,
        "checklist": 30,
    },
}
DEFAULT_TARGETS: dict[str, dict[str, float]] = {
    MEDIATOR: {
        "cases": 40,
        "success_rate": 1,
        "performance_rate": 1,
        "confirmation_rate": 0.1,
        "satisfaction": 4.5,
        "training": 16,
        "complaints": 3,
    },
    ORGANISATION: {
        "cases": 60,
        "success_rate": 1,
        "performance_rate": 1,
        "confirmation_rate": 0.1,
        "satisfaction": 4.5,
        "checklist": 1,
    },
}
DEFAULT_MIN_CASES = {MEDIATOR: RATING_MIN_CASES, ORGANISATION: 5}
DEFAULT_TITLE_RULES: dict[str, dict[str, Any]] = {
    MEDIATOR: {"title": "调解能手", "min_stars": 5, "min_score": 90, "max": 10},
    ORGANISATION: {"title": "优秀调解室", "min_stars": 5, "min_score": 90, "max": 5},
}
STAR_LEVELS = ("5", "4", "3", "2")
WEIGHT_TOTAL = 100.0
_PERIOD = re.compile(r"^(?P<year>20\d\d)(?:-(?P<part>H[12]|Q[1-4]))?$")


@dataclass(frozen=True)
class Period:
    """A rating period: a year (2025), a half (2025-H1) or a quarter (2025-Q3)."""

    code: str
    start: date
    end: date

    @property
    def months(self) -> tuple[int, int]:
        """(first, last) month as YYYYMM, the form cases are grouped by."""
        return self.start.year * 100 + self.start.month, self.end.year * 100 + self.end.month


def parse_period(code: str) -> Period:
    """The period named by `code`, or a clear refusal."""
    m = _PERIOD.match((code or "").strip())
    if m is None:
        raise ValidationFailed("error.rating_period", period=code)
    year, part = int(m["year"]), m["part"]
    first, last = 1, 12
    if part and part[0] == "H":
        first, last = (1, 6) if part == "H1" else (7, 12)
    elif part:
        first = 3 * int(part[1]) - 2
        last = first + 2
    end = date(year + 1, 1, 1) if last == 12 else date(year, last + 1, 1)
    return Period(m.group(0), date(year, first, 1), date.fromordinal(end.toordinal() - 1))


def period_end(code: str) -> date:
    """The last day of a period (an unparseable legacy code sorts first)."""
    try:
        return parse_period(code).end
    except ValidationFailed:
        return date.min


@dataclass(frozen=True)
class Scheme:
    """A scheme version with every default filled in: what a computation actually uses."""

    id: int
    code: str
    version: int
    subject: str
    period: str
    org_id: int | None
    weights: dict[str, float]
    thresholds: dict[str, float]
    min_cases: int
    targets: dict[str, float]
    title_rule: dict[str, Any]
    in_use: bool
    note: str

    def stars_for(self, score: float | None, cases: int) -> int | None:
        """Stars for a score: None ("not rated") below the minimum case count, else the highest level reached."""
        if score is None or cases < self.min_cases:
            return None
        return next((int(k) for k in STAR_LEVELS if score >= float(self.thresholds[k])), 1)


def effective(row: RatingScheme) -> Scheme:
    """The stored version with defaults for what it leaves out (older versions carry no targets)."""
    subject = row.subject if row.subject in SUBJECTS else MEDIATOR
    weights = (
        {m: float(row.weights.get(m, 0)) for m in METRICS[subject]} if row.weights else dict(DEFAULT_WEIGHTS[subject])
    )
    targets = {m: float((row.targets or {}).get(m, DEFAULT_TARGETS[subject][m])) for m in METRICS[subject]}
    thresholds = {k: float((row.thresholds or {}).get(k, RATING_THRESHOLDS[k])) for k in STAR_LEVELS}
    rule = {**DEFAULT_TITLE_RULES[subject], **(row.title_rule or {})}
    return Scheme(
        row.id or 0,
        row.code,
        row.version,
        subject,
        row.period,
        row.org_id,
        weights,
        thresholds,
        row.min_cases,
        targets,
        rule,
        row.in_use,
        row.note,
    )


def validate(
    subject: str,
    weights: Mapping[str, float],
    thresholds: Mapping[str, float],
    min_cases: int,
    targets: Mapping[str, float],
    title_rule: Mapping[str, Any],
) -> None:
    """Refuse a scheme that cannot score: unknown metrics, negative weights, unordered thresholds, …"""
    if subject not in SUBJECTS:
        raise ValidationFailed("error.rating_subject", subject=subject)
    unknown = sorted(set(weights) - set(METRICS[subject]))
    if unknown:
        raise ValidationFailed("error.rating_metric_unknown", metric=unknown[0])
    if any(float(w) < 0 for w in weights.values()):
        raise ValidationFailed("error.rating_weights")
    total = sum(float(w) for w in weights.values())
    if abs(total - WEIGHT_TOTAL) > 1e-6:  # the score is out of 100: a scheme's weights share exactly 100 points
        raise ValidationFailed("error.rating_weights_total", total=f"{total:g}")
    levels = [float(thresholds.get(k, -1)) for k in STAR_LEVELS]
    if any(not 0 < v <= 100 for v in levels) or any(a <= b for a, b in pairwise(levels)):
        raise ValidationFailed("error.rating_thresholds")
    if not isinstance(min_cases, int) or min_cases < 1:
        raise ValidationFailed("error.rating_min_cases")
    if any(float(targets.get(m, 1)) <= 0 for m in METRICS[subject]):
        raise ValidationFailed("error.rating_targets")
    if not str(title_rule.get("title", "")).strip() or not 1 <= int(title_rule.get("min_stars", 0)) <= 5:
        raise ValidationFailed("error.rating_title_rule")


def title_owner(session: Session, title: str) -> str | None:
    """The kind of subject a title belongs to: the built-in titles are fixed (调解能手 for mediators, 优秀调解室 for
    organisations); another title belongs to the kind whose scheme used it first, else whose award used it first."""
    title = title.strip()
    for kind, default in DEFAULT_TITLE_RULES.items():
        if default["title"] == title:
            return kind
    for subject, rule in session.exec(
        select(RatingScheme.subject, RatingScheme.title_rule).order_by(col(RatingScheme.id))
    ).all():
        if str((rule or {}).get("title", "")).strip() == title and subject in SUBJECTS:
            return str(subject)
    award = session.exec(
        select(TitleAward.mediator_id, TitleAward.org_id).where(TitleAward.title == title).order_by(col(TitleAward.id))
    ).first()
    if award is not None:
        return MEDIATOR if award[0] is not None else ORGANISATION
    return None


def check_title_kind(session: Session, subject: str, title: str) -> None:
    """Refuse a title that belongs to the other kind of subject (a committee is never 调解能手)."""
    owner = title_owner(session, title)
    if owner is not None and owner != subject:
        raise ValidationFailed(f"error.rating_title_kind_{owner}", title=title.strip())


def _ancestor_ids(session: Session, org: Organisation) -> list[int]:
    ids = [int(p) for p in org.path.split("/") if p.isdigit()]
    return ids or [org.id or 0]


def scheme_for(session: Session, subject: str, period: str, region: Organisation) -> RatingScheme:
    """The newest version of the most specific scheme for the subject, period and region (created if none)."""
    ancestors = _ancestor_ids(session, region)
    depth = {oid: i for i, oid in enumerate(ancestors)}
    rows = session.exec(
        select(RatingScheme).where(
            RatingScheme.subject == subject,
            col(RatingScheme.period).in_((period, DEFAULT)),
            (col(RatingScheme.org_id).is_(None)) | col(RatingScheme.org_id).in_(ancestors),
        )
    ).all()
    if not rows:
        return ensure_default(session, subject)
    return max(rows, key=lambda r: (r.period == period, depth.get(r.org_id or -1, -1), r.version, r.id or 0))


def ensure_default(session: Session, subject: str) -> RatingScheme:
    """The built-in default scheme for the subject (the organisation default is created on first use)."""
    row = session.exec(
        select(RatingScheme)
        .where(RatingScheme.subject == subject, RatingScheme.period == DEFAULT, col(RatingScheme.org_id).is_(None))
        .order_by(col(RatingScheme.version).desc())
    ).first()
    if row is None:
        row = RatingScheme(
            code=f"{subject}-default",
            subject=subject,
            period=DEFAULT,
            weights=dict(DEFAULT_WEIGHTS[subject]),
            thresholds=dict(RATING_THRESHOLDS),
            min_cases=DEFAULT_MIN_CASES[subject],
            targets=dict(DEFAULT_TARGETS[subject]),
            title_rule=dict(DEFAULT_TITLE_RULES[subject]),
            note="default",
        )
        session.add(row)
        session.flush()
    return row


def list_schemes(session: Session, *, actor: Actor, subject: str) -> list[Scheme]:
    """Every version of the schemes that apply in the actor's region, newest first."""
    require_any(actor, P.RATING_PROPOSE, P.RATING_APPROVE)
    ancestors = _ancestor_ids(session, actor_area(session, actor=actor))
    rows = session.exec(
        select(RatingScheme)
        .where(
            RatingScheme.subject == subject,
            (col(RatingScheme.org_id).is_(None)) | col(RatingScheme.org_id).in_(ancestors),
        )
        .order_by(col(RatingScheme.id).desc())
    ).all()
    return [effective(r) for r in rows]


def current_scheme(session: Session, *, actor: Actor, subject: str, period: str) -> Scheme:
    """The scheme a computation for this period ("default": any period) would use now in the actor's region."""
    require_any(actor, P.RATING_PROPOSE, P.RATING_APPROVE)
    if subject not in SUBJECTS:
        raise ValidationFailed("error.rating_subject", subject=subject)
    if period != DEFAULT:
        parse_period(period)
    return effective(scheme_for(session, subject, period, actor_area(session, actor=actor)))


def save_scheme(
    session: Session,
    *,
    actor: Actor,
    subject: str,
    period: str,
    weights: Mapping[str, float],
    thresholds: Mapping[str, float],
    min_cases: int,
    targets: Mapping[str, float],
    title_rule: Mapping[str, Any],
    note: str,
) -> Scheme:
    """Write the next version of the region's scheme for the period ("default": every period); audited."""
    require(actor, P.RATING_APPROVE)
    if period != DEFAULT:
        parse_period(period)
    validate(subject, weights, thresholds, min_cases, targets, title_rule)
    check_title_kind(session, subject, str(title_rule["title"]))
    region = actor_area(session, actor=actor)
    base = scheme_for(session, subject, period, region)
    note = note.strip()
    code = f"{subject}-{period}@{region.code}"[:40]
    mine = base.code == code
    if base.in_use and not note:
        raise ValidationFailed("error.rating_scheme_note")
    version = (session.exec(select(func.max(RatingScheme.version)).where(RatingScheme.code == code)).first() or 0) + 1
    new = RatingScheme(
        code=code,
        version=version,
        subject=subject,
        period=period,
        org_id=region.id,
        weights={k: float(v) for k, v in weights.items()},
        thresholds={k: float(thresholds[k]) for k in STAR_LEVELS},
        min_cases=min_cases,
        targets={k: float(v) for k, v in targets.items()},
        title_rule=dict(title_rule),
        note=note[:500],
        created_by=actor.user_id,
    )
    session.add(new)
    session.flush()
    before, after = effective(base), effective(new)
    changed = {
        f: [getattr(before, f), getattr(after, f)]
        for f in ("weights", "thresholds", "min_cases", "targets", "title_rule")
        if getattr(before, f) != getattr(after, f)
    }
    audit.record(
        session,
        action="rating.scheme_saved",
        actor_id=actor.user_id,
        entity="ratingscheme",
        entity_id=new.id,
        code=code,
        version=version,
        based_on=base.id,
        based_on_in_use=base.in_use,
        same_code=mine,
        note=note[:200],
        changed=changed,
    )
    return after
