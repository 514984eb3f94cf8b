"""Rules as audited, versioned data: subsidy rates, rating schemes, deadlines, early-warning thresholds,
the committee checklist and role permissions.

Every change writes the next snapshot (ConfigVersion key "rules.<name>", with the value before and after)
and applies it to the live tables the rest of the code reads, in the same transaction, with an audit row.
The (key, version) unique constraint makes two edits from the same version collide: the second is refused.
A rollback applies an old snapshot as a new version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import ConfigVersion, User
from services.access.authz import Actor, require
from services.access.permissions import P
from services.core import audit
from services.core.errors import Conflict, NotFound, ValidationFailed
from services.lowcode.role_rules import ROLES_SET
from services.lowcode.rule_sets import CHECKLIST_SET, DEADLINES_SET, RATES_SET, RATING_SET, WARNING_SET, RuleSet
from services.supervision.risk import RISK_SET

PREFIX = "rules."
RULE_SETS: dict[str, RuleSet] = {
    r.name: r for r in (RATES_SET, RATING_SET, DEADLINES_SET, WARNING_SET, CHECKLIST_SET, ROLES_SET, RISK_SET)
}


@dataclass(frozen=True)
class Change:
    """One difference between two snapshots: the path of the value, what it was and what it became."""

    path: tuple[str, ...]
    before: Any
    after: Any


@dataclass(frozen=True)
class RuleState:
    name: str
    version: int  # 0: never changed through the rules yet
    value: dict[str, Any]


@dataclass(frozen=True)
class RuleVersion:
    version: int
    action: str  # change / rollback
    from_version: int | None
    note: str
    created_by: str
    created_at: datetime
    changes: list[Change]


def rule_names() -> tuple[str, ...]:
    """The rule sets an office may edit, in menu order."""
    return tuple(RULE_SETS)


def _rule_set(name: str) -> RuleSet:
    if name not in RULE_SETS:
        raise ValidationFailed("rules.error.unknown", name=str(name)[:40])
    return RULE_SETS[name]


def latest_version(session: Session, name: str) -> int:
    """The newest snapshot version of a rule set (0 when none)."""
    found = session.exec(select(func.max(ConfigVersion.version)).where(ConfigVersion.key == PREFIX + name)).first()
    return int(found or 0)


def current(session: Session, *, actor: Actor, name: str) -> RuleState:
    """The rule set's value in force now and its version."""
    require(actor, P.LOWCODE_EDIT)
    rule = _rule_set(name)
    return RuleState(name, latest_version(session, name), rule.read(session))


def validate(session: Session, *, actor: Actor, name: str, value: dict[str, Any]) -> dict[str, Any]:
    """The value in its normal form, or a ValidationFailed with a translated message."""
    require(actor, P.LOWCODE_EDIT)
    if not isinstance(value, dict):
        raise ValidationFailed("rules.error.shape")
    return _rule_set(name).check(session, value)


def diff(before: Any, after: Any, path: tuple[str, ...] = ()) -> list[Change]:
    """Differences between two snapshots; lists are compared as sets (added: None → True)."""
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[Change] = []
        for key in sorted(set(before) | set(after), key=str):
            out += diff(before.get(key), after.get(key), (*path, str(key)))
        return out
    if isinstance(before, list) and isinstance(after, list):
        gone = [Change((*path, str(x)), True, None) for x in before if x not in after]
        return gone + [Change((*path, str(x)), None, True) for x in after if x not in before]
    return [] if before == after else [Change(path, before, after)]


def _write(
    session: Session,
    actor: Actor,
    name: str,
    value: dict[str, Any],
    base_version: int,
    note: str,
    rollback_of: int | None = None,
) -> RuleState:
    rule = _rule_set(name)
    data = validate(session, actor=actor, name=name, value=value)
    if latest_version(session, name) != base_version:
        raise Conflict("rules.error.stale")
    before = rule.read(session)
    if data == before:
        raise ValidationFailed("rules.error.unchanged")
    action = "change" if rollback_of is None else "rollback"
    row = ConfigVersion(
        key=PREFIX + name,
        version=base_version + 1,
        note=note.strip()[:500],
        created_by=actor.user_id,
        value={"data": data, "before": before, "action": action, "from_version": rollback_of},
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
            rule.apply(session, before, data, actor)
            session.flush()
    except IntegrityError:
        raise Conflict("rules.error.stale") from None
    audit.record(
        session,
        action=f"rules.{action}",
        actor_id=actor.user_id,
        entity="configversion",
        entity_id=row.id,
        rule=name,
        version=row.version,
        from_version=rollback_of,
        before=before,
        after=data,
        note=row.note[:200],
    )
    return RuleState(name, row.version, rule.read(session))


def change(
    session: Session, *, actor: Actor, name: str, value: dict[str, Any], base_version: int, note: str = ""
) -> RuleState:
    """Validate, snapshot as version base_version + 1 and apply; refused if someone saved since base_version."""
    require(actor, P.LOWCODE_EDIT)
    return _write(session, actor, name, value, base_version, note)


def rollback(
    session: Session, *, actor: Actor, name: str, version: int, base_version: int, note: str = ""
) -> RuleState:
    """Apply an old snapshot again (0: the settings before the first change) as a new, audited version."""
    require(actor, P.LOWCODE_EDIT)
    _rule_set(name)
    row = session.exec(
        select(ConfigVersion).where(ConfigVersion.key == PREFIX + name, ConfigVersion.version == max(version, 1))
    ).first()
    field = "before" if version == 0 else "data"  # version 0: the settings before the first change
    if row is None or version < 0 or not isinstance(row.value.get(field), dict):
        raise NotFound("rules.error.version_missing", version=version)
    return _write(session, actor, name, dict(row.value[field]), base_version, note, rollback_of=version)


def history(session: Session, *, actor: Actor, name: str, limit: int = 50) -> list[RuleVersion]:
    """The versions of a rule set, newest first, each with its before → after differences."""
    require(actor, P.LOWCODE_EDIT)
    _rule_set(name)
    rows = session.exec(
        select(ConfigVersion)
        .where(ConfigVersion.key == PREFIX + name)
        .order_by(col(ConfigVersion.version).desc())
        .limit(max(1, min(limit, 500)))
    ).all()
    ids = {r.created_by for r in rows if r.created_by is not None}
    names = dict(session.exec(select(User.id, User.display_name).where(col(User.id).in_(ids))).all()) if ids else {}
    return [
        RuleVersion(
            r.version,
            str(r.value.get("action", "change")),
            r.value.get("from_version"),
            r.note,
            names.get(r.created_by, ""),
            r.created_at,
            diff(r.value.get("before") or {}, r.value.get("data") or {}),
        )
        for r in rows
    ]
