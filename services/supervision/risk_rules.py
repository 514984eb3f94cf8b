"""The risk levels as a rule set: four colours, each with the conditions that set it, its owner, response times
and escalation. Stored as ConfigVersion "risk_levels"; edited, versioned and rolled back on /rules like the other
rule sets, and a change re-grades the open cases (services/supervision/risk.regrade_open)."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from models import ConfigVersion
from services.cases.warnings import FLAGS
from services.core.errors import ValidationFailed
from services.lowcode.dictionaries import active_codes
from services.lowcode.rule_sets import as_int, latest_config

Value = dict[str, Any]
NAME = "risk_levels"
LEVELS = ("red", "orange", "yellow", "blue")  # the order they are tried in: the first that matches wins
OWNERS = ("county", "town", "village", "police")
LISTS = ("flags", "categories", "sources")
NUMBERS = {
    "group_min": (0, 100_000),
    "repeat_min": (0, 1_000),
    "contact_hours": (1, 24 * 60),
    "plan_hours": (1, 24 * 365),
}


def _level(
    flags: list[str], group: int, repeat: int, owner: str, hours: tuple[int, int], escalate: str, **kw: Any
) -> Value:
    return {
        "flags": flags,
        "group_min": group,
        "categories": kw.get("categories", []),
        "sources": kw.get("sources", []),
        "repeat_min": repeat,
        "owner": owner,
        "contact_hours": hours[0],
        "plan_hours": hours[1],
        "escalate_to": escalate,
    }


DEFAULT: Value = {
    "repeat_window_days": 365,
    "levels": {
        "red": _level(["violence", "self_harm", "escalation"], 30, 0, "county", (2, 24), "county"),
        "orange": _level(["petition_up"], 10, 3, "town", (12, 72), "county", categories=["land_acquisition"]),
        "yellow": _level(["group", "repeat_party", "repeat_address"], 5, 2, "village", (24, 168), "town"),
        "blue": _level([], 0, 0, "village", (72, 360), "town", sources=["screening"]),
    },
}


def risk_rules(session: Session) -> Value:
    """The risk levels in force (the defaults until the office changes them)."""
    stored = latest_config(session, NAME)
    return copy.deepcopy(stored if stored.get("levels") else DEFAULT)


def rules_version(session: Session) -> int:
    """The version of the risk levels in force (0: the defaults)."""
    return int(session.exec(select(func.max(ConfigVersion.version)).where(ConfigVersion.key == NAME)).first() or 0)


def _codes(value: Any, allowed: set[str], field: str) -> list[str]:
    if not isinstance(value, list) or any(str(v) not in allowed for v in value):
        raise ValidationFailed("rules.error.risk_codes", field=f"rules.field.{field}")
    return sorted({str(v) for v in value})


def _check_level(session: Session, name: str, part: Any) -> Value:
    if not isinstance(part, dict):
        raise ValidationFailed("rules.error.shape")
    kept = risk_rules(session)["levels"].get(name, {})  # a code retired since stays valid where it was
    allowed = {
        "flags": set(FLAGS),
        "categories": set(active_codes(session, "category")) | set(kept.get("categories", [])),
        "sources": set(active_codes(session, "source")) | set(kept.get("sources", [])),
    }
    out: Value = {k: _codes(part.get(k, []), allowed[k], k) for k in LISTS}
    out |= {k: as_int(part.get(k), k, low, high) for k, (low, high) in NUMBERS.items()}
    for k in ("owner", "escalate_to"):
        if part.get(k) not in OWNERS:
            raise ValidationFailed("rules.error.risk_owner", field=f"rules.field.{k}")
        out[k] = str(part[k])
    if out["plan_hours"] < out["contact_hours"]:
        raise ValidationFailed("rules.error.risk_plan_before_contact", field=f"rules.field.{name}")
    return out


def read_rules(session: Session) -> Value:
    """The rule set's value (for /rules)."""
    return risk_rules(session)


def check_rules(session: Session, value: Value) -> Value:
    """The value in its normal form, or a refusal naming the field."""
    levels = value.get("levels")
    if not isinstance(levels, dict) or set(levels) != set(LEVELS):
        raise ValidationFailed("rules.error.shape")
    window = as_int(value.get("repeat_window_days"), "repeat_window_days", 1, 3_650)
    return {"repeat_window_days": window, "levels": {n: _check_level(session, n, levels[n]) for n in LEVELS}}
