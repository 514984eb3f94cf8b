"""目标考核 schemes as versioned data: per region and period, the unit kinds assessed and the indicators —
each a measured metric (or a manual one an assessor scores) with a target, a weight and a scoring rule.

Scoring rules (points never below 0 nor above the weight):
* ratio:      weight × min(1, value ÷ target)            — more is better (rates, scores, hours)
* threshold:  weight when value ≥ target, else 0
* at_most:    weight when value ≤ target, else 0           — fewer is better (民转刑 cases)
* deduct:     weight − per × value                         — each counted record costs `per` points
* manual:     the assessor's points, with a note and evidence
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from models import AssessmentScheme, Organisation
from models.org import OrgKind
from services.access.authz import Actor, require
from services.access.permissions import P
from services.access.scope import actor_area
from services.core import audit
from services.core.errors import Conflict, NotFound, OutOfScope, ValidationFailed

# measured metrics: key → unit ("rate" 0–1, "count", "score" 0–100, "hours"); definitions in assessment.toml
METRICS: dict[str, str] = {
    "success_rate": "rate",
    "performance_rate": "rate",
    "accept_on_time": "rate",
    "conclude_on_time": "rate",
    "follow_up_coverage": "rate",
    "dossier_score": "score",
    "civil_to_criminal": "count",
    "training_hours": "hours",
    "supervision_on_time": "rate",  # 督办按时办结率 (issue 18's orders)
    "accountability_events": "count",  # 问责次数, for a deduct rule
}
MANUAL = "manual"
RULES = ("ratio", "threshold", "at_most", "deduct", MANUAL)
KEY_MAX, LABEL_MAX, INDICATORS_MAX = 40, 60, 30
# the default county scheme for towns (an office edits it into its own): 8 indicators, 100 points
DEFAULT_INDICATORS: list[dict[str, Any]] = [
    {"key": "success", "label": "调解成功率", "metric": "success_rate", "target": 0.95, "weight": 20, "rule": "ratio"},
    {
        "key": "perform",
        "label": "协议履行率",
        "metric": "performance_rate",
        "target": 0.9,
        "weight": 15,
        "rule": "ratio",
    },
    {
        "key": "accept",
        "label": "按时受理率",
        "metric": "accept_on_time",
        "target": 0.9,
        "weight": 10,
        "rule": "threshold",
    },
    {
        "key": "conclude",
        "label": "按时办结率",
        "metric": "conclude_on_time",
        "target": 1,
        "weight": 10,
        "rule": "ratio",
    },
    {
        "key": "follow",
        "label": "回访覆盖率",
        "metric": "follow_up_coverage",
        "target": 1,
        "weight": 10,
        "rule": "ratio",
    },
    {
        "key": "dossier",
        "label": "卷宗评查平均分",
        "metric": "dossier_score",
        "target": 90,
        "weight": 10,
        "rule": "ratio",
    },
    {"key": "c2c", "label": "民转刑案件", "metric": "civil_to_criminal", "weight": 10, "rule": "deduct", "per": 5},
    {"key": "reports", "label": "统计报表按时报送", "metric": "manual", "weight": 15, "rule": "manual"},
]


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    metric: str  # a METRICS key or "manual"
    target: float
    weight: float
    rule: str
    per: float = 0.0

    @property
    def manual(self) -> bool:
        return self.metric == MANUAL


def indicators_of(scheme: AssessmentScheme) -> list[Indicator]:
    return [
        Indicator(
            key=str(i["key"]),
            label=str(i["label"]),
            metric=str(i["metric"]),
            target=float(i.get("target", 0) or 0),
            weight=float(i["weight"]),
            rule=str(i["rule"]),
            per=float(i.get("per", 0) or 0),
        )
        for i in scheme.indicators
    ]


def points_for(ind: Indicator, value: float | None) -> float:
    """Points of a measured value under the indicator's rule (no value — nothing to count — gives 0)."""
    if value is None:
        return 0.0
    if ind.rule == "ratio":
        got = ind.weight * min(1.0, value / ind.target) if ind.target > 0 else ind.weight
    elif ind.rule == "threshold":
        got = ind.weight if value >= ind.target else 0.0
    elif ind.rule == "at_most":
        got = ind.weight if value <= ind.target else 0.0
    elif ind.rule == "deduct":
        got = ind.weight - ind.per * value
    else:
        got = 0.0
    return round(max(0.0, min(ind.weight, got)), 2)


def validate_indicators(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Check and normalise a scheme's indicators; refuse the first bad one by its position."""
    if not raw or len(raw) > INDICATORS_MAX:
        raise ValidationFailed("error.assessment_indicators_count", limit=INDICATORS_MAX)
    out, keys = [], set()
    for n, item in enumerate(raw, start=1):
        key, label = str(item.get("key", "")).strip(), str(item.get("label", "")).strip()
        metric, rule = str(item.get("metric", "")), str(item.get("rule", ""))
        try:
            weight, target, per = (float(item.get(f, 0) or 0) for f in ("weight", "target", "per"))
        except (TypeError, ValueError):
            raise ValidationFailed("error.assessment_indicator_invalid", n=n) from None
        ok = (
            key
            and len(key) <= KEY_MAX
            and key not in keys
            and label
            and len(label) <= LABEL_MAX
            and (metric in METRICS or metric == MANUAL)
            and rule in RULES
            and (rule == MANUAL) == (metric == MANUAL)
            and 0 < weight <= 100
            and target >= 0
            and per >= 0
            and (rule != "deduct" or per > 0)
        )
        if not ok:
            raise ValidationFailed("error.assessment_indicator_invalid", n=n)
        keys.add(key)
        out.append(
            {"key": key, "label": label, "metric": metric, "target": target, "weight": weight, "rule": rule, "per": per}
        )
    return out


def save_scheme(
    session: Session,
    *,
    actor: Actor,
    region_org_id: int | None,
    name: str,
    period: str,
    start: date,
    end: date,
    unit_kinds: list[str],
    indicators: list[dict[str, Any]],
) -> AssessmentScheme:
    """Save a new version of a region's scheme for a period (earlier versions and their scorecards stay)."""
    require(actor, P.ASSESSMENT_EDIT)
    region = actor_area(session, actor=actor) if region_org_id is None else session.get(Organisation, region_org_id)
    if region is None or region.id is None:
        raise NotFound("error.org_unknown", code=region_org_id)
    region_org_id = region.id
    if not region.path.startswith(actor_area(session, actor=actor).path):
        raise OutOfScope("error.out_of_scope")
    name, period = name.strip(), period.strip()
    if not name or len(name) > 80 or not period or len(period) > 12 or end < start or (end - start).days > 366:
        raise ValidationFailed("error.assessment_scheme_invalid")
    kinds = sorted(set(unit_kinds))
    if not kinds or not set(kinds) <= {k.value for k in OrgKind}:
        raise ValidationFailed("error.assessment_unit_kinds")
    clean = validate_indicators(indicators)
    last = session.exec(
        select(func.max(AssessmentScheme.version)).where(
            AssessmentScheme.region_org_id == region_org_id, AssessmentScheme.period == period
        )
    ).one()
    scheme = AssessmentScheme(
        region_org_id=region_org_id,
        name=name,
        period=period,
        start=start,
        end=end,
        version=(last or 0) + 1,
        unit_kinds=kinds,
        indicators=clean,
        created_by=actor.user_id,
    )
    session.add(scheme)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict("error.assessment_scheme_changed") from None
    audit.record(
        session,
        action="assessment.scheme",
        actor_id=actor.user_id,
        entity="assessmentscheme",
        entity_id=scheme.id,
        period=period,
        version=scheme.version,
    )
    return scheme


def scheme_in_area(session: Session, actor: Actor, scheme_id: int) -> AssessmentScheme:
    """A scheme of a region the actor's area covers or lies in (missing and foreign ids refused alike)."""
    require(actor, P.ASSESSMENT_VIEW)
    scheme = session.get(AssessmentScheme, scheme_id)
    region = session.get(Organisation, scheme.region_org_id) if scheme else None
    area = actor_area(session, actor=actor).path
    if scheme is None or region is None or not (region.path.startswith(area) or area.startswith(region.path)):
        raise NotFound("error.not_found")
    return scheme


def schemes_for(session: Session, *, actor: Actor) -> list[AssessmentScheme]:
    """The newest version of every scheme over or under the actor's organisation, newest period first."""
    require(actor, P.ASSESSMENT_VIEW)
    rows = session.exec(select(AssessmentScheme).order_by(col(AssessmentScheme.version).desc())).all()
    paths = {
        o.id: o.path
        for o in session.exec(
            select(Organisation).where(col(Organisation.id).in_({r.region_org_id for r in rows}))
        ).all()
    }
    newest: dict[tuple[int, str], AssessmentScheme] = {}
    area = actor_area(session, actor=actor).path
    for row in rows:
        path = paths.get(row.region_org_id, "")
        if path and (path.startswith(area) or area.startswith(path)):
            newest.setdefault((row.region_org_id, row.period), row)
    return sorted(newest.values(), key=lambda r: (r.start, r.id or 0), reverse=True)
