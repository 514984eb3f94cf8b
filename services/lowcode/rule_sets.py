"""The rule sets over the live tables: how each is read, checked and applied (see services/lowcode/rules.py).

Each value is a plain JSON dict so snapshots can be compared and rolled back. Existing readers are untouched:
deadlines, early warning and the award cap get a new newest ConfigVersion; subsidy rates get new dated
rows (older rows stay for older cases); rating schemes get a new version of the built-in default scheme;
checklist items are updated in place by code (an item is retired, never deleted).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from models import ChecklistItem, ConfigVersion, RatingScheme, SubsidyRate
from models.org import OrgKind
from services.access.authz import Actor
from services.cases.deadlines import RULE_KEYS, rules_for
from services.cases.warnings import warning_settings
from services.core import clock
from services.core.errors import ValidationFailed
from services.ledger.budget import RATE_GRADES
from services.ledger.policy import award_cap_fen
from services.rating import schemes as rs

Value = dict[str, Any]
MAX_FEN = 10_000_000_000
WARNING_LIMITS = {"group_min_people": (2, 10_000), "repeat_min_cases": (2, 1_000), "repeat_window_days": (1, 3_650)}
ITEM_CODE = re.compile(r"^[a-z0-9_\-]{1,40}$")


@dataclass(frozen=True)
class RuleSet:
    """How one rule set is read from the live tables, checked (normalised or refused) and applied."""

    name: str
    read: Callable[[Session], Value]
    check: Callable[[Session, Value], Value]
    apply: Callable[[Session, Value, Value, Actor], None]


def as_int(value: Any, field: str, low: int, high: int) -> int:
    """A whole number within [low, high], or a refusal naming the field."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if isinstance(value, bool) or not number.is_integer() or not low <= number <= high:
        raise ValidationFailed("rules.error.int_range", field=f"rules.field.{field}", low=low, high=high)
    return int(number)


def as_float(value: Any, field: str, low: float, high: float) -> float:
    """A number within [low, high], or a refusal naming the field."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if isinstance(value, bool) or not low <= number <= high:
        raise ValidationFailed("rules.error.number_range", field=f"rules.field.{field}", low=low, high=high)
    return number


def latest_config(session: Session, key: str) -> Value:
    """The newest stored value of a ConfigVersion key ({} when none)."""
    row = session.exec(
        select(ConfigVersion).where(ConfigVersion.key == key).order_by(col(ConfigVersion.version).desc())
    ).first()
    return dict(row.value) if row else {}


def append_config(session: Session, key: str, value: Value, actor: Actor) -> None:
    """Make `value` the newest version of a ConfigVersion the readers use."""
    top = session.exec(select(func.max(ConfigVersion.version)).where(ConfigVersion.key == key)).first() or 0
    session.add(ConfigVersion(key=key, version=int(top) + 1, value=value, note="rules", created_by=actor.user_id))


# --- deadlines and early warning: the newest ConfigVersion of "deadlines" / "early_warning" ---


def _read_deadlines(session: Session) -> Value:
    return dict(rules_for(session))


def _check_deadlines(session: Session, value: Value) -> Value:
    return {k: as_int(value.get(k), k, 1, 3_650) for k in RULE_KEYS}


def _apply_deadlines(session: Session, before: Value, after: Value, actor: Actor) -> None:
    append_config(session, "deadlines", {**latest_config(session, "deadlines"), **after}, actor)


def _read_warning(session: Session) -> Value:
    settings = warning_settings(session)
    return {k: int(settings[k]) for k in WARNING_LIMITS}


def _check_warning(session: Session, value: Value) -> Value:
    return {k: as_int(value.get(k), k, low, high) for k, (low, high) in WARNING_LIMITS.items()}


def _apply_warning(session: Session, before: Value, after: Value, actor: Actor) -> None:
    append_config(session, "early_warning", {**latest_config(session, "early_warning"), **after}, actor)


# --- subsidy rates: general rates in force today, "grade" or "grade@org_kind" → fen; plus the award cap ---


def rate_key(grade: str, org_kind: str | None) -> str:
    """'simple' for a general rate, 'simple@petition_room' for one organisation kind."""
    return f"{grade}@{org_kind}" if org_kind else grade


def _rates_in_force(session: Session) -> dict[str, SubsidyRate]:
    today = clock.today()
    rows = session.exec(
        select(SubsidyRate).where(
            col(SubsidyRate.region_org_id).is_(None),
            col(SubsidyRate.valid_from) <= today,
            or_(col(SubsidyRate.valid_to).is_(None), col(SubsidyRate.valid_to) >= today),
        )
    ).all()
    best: dict[str, SubsidyRate] = {}
    for r in sorted(rows, key=lambda r: (r.valid_from, r.id or 0)):
        best[rate_key(r.grade, r.org_kind)] = r
    return best


def _read_rates(session: Session) -> Value:
    rates = {k: int(r.amount_fen) for k, r in sorted(_rates_in_force(session).items())}
    return {"rates": rates, "award_cap_fen": award_cap_fen(session)}


def _check_rates(session: Session, value: Value) -> Value:
    rates = value.get("rates")
    if not isinstance(rates, dict):
        raise ValidationFailed("rules.error.shape")
    kinds = {str(k) for k in OrgKind}
    out: dict[str, int] = {}
    for key, fen in rates.items():
        grade, _, kind = str(key).partition("@")
        if grade not in RATE_GRADES:
            raise ValidationFailed("rules.error.rate_grade", grade=grade[:20])
        if kind and kind not in kinds:
            raise ValidationFailed("rules.error.rate_kind", kind=kind[:40])
        out[rate_key(grade, kind or None)] = as_int(fen, "amount_fen", 0, MAX_FEN)
    cap = as_int(value.get("award_cap_fen"), "award_cap_fen", 0, MAX_FEN)
    return {"rates": dict(sorted(out.items())), "award_cap_fen": cap}


def _apply_rates(session: Session, before: Value, after: Value, actor: Actor) -> None:
    today, live = clock.today(), _rates_in_force(session)
    for key, fen in after["rates"].items():
        if before["rates"].get(key) != fen:
            grade, _, kind = key.partition("@")
            session.add(
                SubsidyRate(
                    grade=grade, org_kind=kind or None, amount_fen=fen, valid_from=today, created_by=actor.user_id
                )
            )
    for key in set(before["rates"]) - set(after["rates"]):
        row = live[key]
        row.valid_to = today - timedelta(days=1)
        session.add(row)
    if before["award_cap_fen"] != after["award_cap_fen"]:
        append_config(session, "award_cap", {"fen": after["award_cap_fen"]}, actor)


# --- rating schemes: the built-in default scheme of each subject (weights, thresholds, minimum cases) ---


def _read_rating(session: Session) -> Value:
    out: Value = {}
    for subject in rs.SUBJECTS:
        sc = rs.effective(rs.ensure_default(session, subject))
        out[subject] = {
            "weights": {m: float(w) for m, w in sc.weights.items()},
            "thresholds": {k: float(v) for k, v in sc.thresholds.items()},
            "min_cases": sc.min_cases,
        }
    return out


def _check_rating(session: Session, value: Value) -> Value:
    out: Value = {}
    for subject in rs.SUBJECTS:
        part = value.get(subject)
        if (
            not isinstance(part, dict)
            or not isinstance(part.get("weights"), dict)
            or not isinstance(part.get("thresholds"), dict)
        ):
            raise ValidationFailed("rules.error.shape")
        weights = {m: as_float(part["weights"].get(m, 0), "weight", 0, 100) for m in rs.METRICS[subject]}
        if abs(sum(weights.values()) - 100) > 0.01:
            raise ValidationFailed("rules.error.weights_sum", total=round(sum(weights.values()), 2))
        thresholds = {k: as_float(part["thresholds"].get(k), "threshold", 0, 100) for k in rs.STAR_LEVELS}
        min_cases = as_int(part.get("min_cases"), "min_cases", 1, 10_000)
        sc = rs.effective(rs.ensure_default(session, subject))
        rs.validate(subject, weights, thresholds, min_cases, sc.targets, sc.title_rule)
        out[subject] = {"weights": weights, "thresholds": thresholds, "min_cases": min_cases}
    return out


def _apply_rating(session: Session, before: Value, after: Value, actor: Actor) -> None:
    for subject, part in after.items():
        if before.get(subject) == part:
            continue
        base = rs.ensure_default(session, subject)
        top = session.exec(select(func.max(RatingScheme.version)).where(RatingScheme.code == base.code)).first()
        sc = rs.effective(base)
        session.add(
            RatingScheme(
                code=base.code,
                version=int(top or 0) + 1,
                subject=subject,
                period=rs.DEFAULT,
                org_id=None,
                weights=part["weights"],
                thresholds=part["thresholds"],
                min_cases=part["min_cases"],
                targets=dict(sc.targets),
                title_rule=dict(sc.title_rule),
                note="rules",
                created_by=actor.user_id,
            )
        )
        session.flush()


# --- the committee checklist: code → labels, points, whether it counts, position ---


def _read_checklist(session: Session) -> Value:
    rows = session.exec(select(ChecklistItem).order_by(col(ChecklistItem.position), col(ChecklistItem.id))).all()
    return {
        "items": {
            i.code: {
                "label_zh": i.label_zh,
                "label_en": i.label_en,
                "points": float(i.points),
                "active": bool(i.active),
                "position": n,
            }
            for n, i in enumerate(rows)
        }
    }


def _check_item(code: str, item: Any) -> Value:
    if not ITEM_CODE.match(code) or not isinstance(item, dict):
        raise ValidationFailed("rules.error.item_code", code=code[:40])
    zh, en = str(item.get("label_zh") or "").strip(), str(item.get("label_en") or "").strip()
    if not zh or not en or len(zh) > 80 or len(en) > 80:
        raise ValidationFailed("rules.error.item_label", code=code)
    points = as_float(item.get("points"), "points", 0.01, 100)
    return {"label_zh": zh, "label_en": en, "points": points, "active": bool(item.get("active", True))}


def _check_checklist(session: Session, value: Value) -> Value:
    items = value.get("items")
    if not isinstance(items, dict) or not items:
        raise ValidationFailed("rules.error.shape")
    ordered = sorted(items.items(), key=lambda kv: kv[1].get("position", 1e9) if isinstance(kv[1], dict) else 1e9)
    out = {str(code).strip(): _check_item(str(code).strip(), item) for code, item in ordered}
    for code, old in _read_checklist(session)["items"].items():  # an item is retired, never deleted
        out.setdefault(code, {**{k: old[k] for k in ("label_zh", "label_en", "points")}, "active": False})
    return {"items": {code: {**item, "position": n} for n, (code, item) in enumerate(out.items())}}


def _apply_checklist(session: Session, before: Value, after: Value, actor: Actor) -> None:
    rows = {i.code: i for i in session.exec(select(ChecklistItem)).all()}
    for code, item in after["items"].items():
        row = rows.get(code) or ChecklistItem(code=code, label_zh="", label_en="")
        row.label_zh, row.label_en, row.points = item["label_zh"], item["label_en"], item["points"]
        row.active, row.position = item["active"], item["position"]
        session.add(row)


DEADLINES_SET = RuleSet("deadlines", _read_deadlines, _check_deadlines, _apply_deadlines)
WARNING_SET = RuleSet("early_warning", _read_warning, _check_warning, _apply_warning)
RATES_SET = RuleSet("subsidy_rates", _read_rates, _check_rates, _apply_rates)
RATING_SET = RuleSet("rating_schemes", _read_rating, _check_rating, _apply_rating)
CHECKLIST_SET = RuleSet("checklist", _read_checklist, _check_checklist, _apply_checklist)
