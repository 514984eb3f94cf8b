"""Early warning (预警): group disputes, violence or self-harm, civil-to-criminal risk, repeat parties and addresses.

Thresholds are settings (ConfigVersion "early_warning"; the group size also honours "group_dispute").
A newly flagged case notifies the coordination office at once, and flagged cases top every list.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import distinct, func
from sqlmodel import Session, col, select

from models import Case, CaseEvent, ConfigVersion, Party
from services.access.authz import WORK, Actor, get_case_in_scope, require_any
from services.access.permissions import P
from services.core import audit
from services.core.errors import ValidationFailed
from services.notify.inbox import notify_case_owner, notify_coordinators

MANUAL_FLAGS = ("group", "violence", "self_harm", "escalation", "petition_up")
AUTO_FLAGS = ("group", "violence", "self_harm", "escalation", "repeat_party", "repeat_address")
DEFAULTS: dict[str, Any] = {
    "group_min_people": 5,
    "repeat_min_cases": 3,
    "repeat_window_days": 90,
    "keywords": {
        "violence": ["砍", "打死", "动刀", "报复", "拼命", "持刀", "威胁"],
        "self_harm": ["自杀", "跳楼", "喝农药", "寻死", "轻生", "不想活"],
        "escalation": ["民转刑", "要出人命", "纠集", "械斗", "上门打"],
    },
}


def _latest(session: Session, key: str) -> dict[str, Any]:
    row = session.exec(
        select(ConfigVersion).where(ConfigVersion.key == key).order_by(col(ConfigVersion.version).desc())
    ).first()
    return dict(row.value) if row else {}


def warning_settings(session: Session) -> dict[str, Any]:
    """Thresholds in force: N people for a group dispute, N cases within M days for a repeat party or address."""
    value = {**DEFAULTS, **_latest(session, "early_warning")}
    group = _latest(session, "group_dispute")
    if "group_min_people" not in _latest(session, "early_warning") and "min_people" in group:
        value["group_min_people"] = int(group["min_people"])
    return value


def _repeat_count(session: Session, case: Case, column: Any, values: list[str], days: int) -> int:
    """Cases (this one included) received within `days` before this one that share a party value."""
    if not values:
        return 0
    since = case.received_at - timedelta(days=days)
    return int(
        session.exec(
            select(func.count(distinct(col(Party.case_id))))
            .join(Case, col(Case.id) == col(Party.case_id))
            .where(column.in_(values), col(Case.received_at) >= since, col(Case.received_at) <= case.received_at)
        ).one()
    )


def evaluate(session: Session, case: Case) -> set[str]:
    """The flags the rules raise for this case now (manual flags are kept separately by the caller)."""
    cfg = warning_settings(session)
    flags: set[str] = set()
    if case.group_size >= int(cfg["group_min_people"]):
        flags.add("group")
    text = f"{case.title}\n{case.description}\n{case.request}"
    for flag, words in (cfg.get("keywords") or {}).items():
        if flag in AUTO_FLAGS and any(w and w in text for w in words):
            flags.add(flag)
    parties = session.exec(select(Party).where(Party.case_id == case.id)).all()
    n, days = int(cfg["repeat_min_cases"]), int(cfg["repeat_window_days"])
    idx = sorted({v for p in parties for v in (p.phone_index, p.id_number_index) if v})
    phone_hits = _repeat_count(session, case, col(Party.phone_index), idx, days)
    id_hits = _repeat_count(session, case, col(Party.id_number_index), idx, days)
    if max(phone_hits, id_hits) >= n:
        flags.add("repeat_party")
    addresses = sorted({p.address.strip() for p in parties if p.address.strip()})
    if addresses and _repeat_count(session, case, col(Party.address), addresses, days) >= n:
        flags.add("repeat_address")
    return flags


def apply_flags(session: Session, case: Case, flags: set[str], *, actor_id: int | None) -> set[str]:
    """Add flags to the case; newly raised ones go on the timeline and to the coordinator at once."""
    new = flags - set(case.risk_flags)
    if not new:
        return set()
    case.risk_flags = sorted(set(case.risk_flags) | new)
    case.risk_level = "high"
    session.add(case)
    session.add(
        CaseEvent(
            case_id=case.id or 0, actor_id=actor_id, kind="warning.flagged", data={"flags": ",".join(sorted(new))}
        )
    )
    notify_coordinators(
        session,
        case,
        key="notify.warning",
        params={"case_no": case.case_no, "flags": ",".join(sorted(new))},
        dedupe=f"warning:{case.id}:{','.join(sorted(new))}",
    )
    notify_case_owner(
        session,
        case,
        key="notify.warning_owner",
        params={"case_no": case.case_no},
        dedupe=f"warning:{case.id}:{','.join(sorted(new))}",
        actor_id=actor_id,
    )
    audit.record(session, action="case.flag", actor_id=actor_id, entity="case", entity_id=case.id, flags=sorted(new))
    return new


def check_case(session: Session, case: Case, *, actor_id: int | None) -> set[str]:
    """Evaluate the rules for a case just written and apply any new flags."""
    session.flush()
    return apply_flags(session, case, evaluate(session, case), actor_id=actor_id)


def recheck_case(session: Session, *, actor: Actor, case_id: int) -> set[str]:
    """Run the early-warning rules again on a case the actor works on; returns the newly raised flags."""
    require_any(actor, P.CASE_MEDIATE, P.CASE_ACCEPT, P.CASE_ASSIGN)
    case = get_case_in_scope(session, actor, case_id, for_update=True, scope=WORK)
    return check_case(session, case, actor_id=actor.user_id)


def flag_case(session: Session, *, actor: Actor, case_id: int, flags: list[str], note: str = "") -> set[str]:
    """A mediator or coordinator marks a risk seen in person (violence, self-harm, 民转刑, …)."""
    require_any(actor, P.CASE_MEDIATE, P.CASE_ACCEPT, P.CASE_ASSIGN)
    unknown = [f for f in flags if f not in MANUAL_FLAGS]
    if unknown or not flags:
        raise ValidationFailed("error.flag_unknown", flag=",".join(unknown))
    case = get_case_in_scope(session, actor, case_id, for_update=True, scope=WORK)
    new = apply_flags(session, case, set(flags), actor_id=actor.user_id)
    if new and note.strip():
        session.add(CaseEvent(case_id=case.id or 0, actor_id=actor.user_id, kind="note", note=note.strip()[:2000]))
    return new
