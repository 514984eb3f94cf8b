"""Separation of duties on the subsidy ledger: who may do two steps of the same claim.

The four steps are claiming (申报), auditing (审核), approving (审批) and paying (发放). By default the office
wants four different people on every claim; it may allow a pair (say, auditor = approver for a small office)
in its rules. The rule is a versioned, audited snapshot like the other rule sets on /rules (ConfigVersion
"rules.ledger_duties", newest wins) and is enforced here, on every audit, approval and payment, whatever
page or script calls the service. The mediator who would be paid never reviews the claim (a conflict of
interest, not a duty an office may merge).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import Case, ConfigVersion, LedgerEntry, SubsidyClaim, User
from models.ledger import LedgerAction
from services.access.authz import Actor, require
from services.access.permissions import P
from services.core import audit
from services.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from services.lowcode.rules import RuleState, RuleVersion, diff

NAME = "ledger_duties"
KEY = "rules." + NAME
STEPS = ("claim", "audit", "approve", "pay")
PAIRS = tuple(f"{a}_{b}" for a, b in combinations(STEPS, 2))  # claim_audit … approve_pay, in the order of work
DEFAULT: dict[str, Any] = {"may_share": []}  # four different people


@dataclass(frozen=True)
class DutyRule:
    """The pairs of steps one person may both do on the same claim (none by default)."""

    shared: frozenset[str]

    def allows(self, did: str, doing: str) -> bool:
        return did == doing or pair(did, doing) in self.shared


def pair(a: str, b: str) -> str:
    """The pair code of two steps, earlier step first: pair("pay", "audit") == "audit_pay"."""
    first, second = sorted((a, b), key=STEPS.index)
    return f"{first}_{second}"


def _latest(session: Session) -> ConfigVersion | None:
    return session.exec(
        select(ConfigVersion).where(ConfigVersion.key == KEY).order_by(col(ConfigVersion.version).desc())
    ).first()


def _value(row: ConfigVersion | None) -> dict[str, Any]:
    data = row.value.get("data") if row else None
    return check(data) if isinstance(data, dict) else dict(DEFAULT)


def rule_for(session: Session) -> DutyRule:
    """The duty rule in force now."""
    return DutyRule(frozenset(_value(_latest(session))["may_share"]))


def check(value: Any) -> dict[str, Any]:
    """The rule in its normal form ({"may_share": [pairs in order]}), or a refusal."""
    shared = value.get("may_share") if isinstance(value, dict) else None
    if not isinstance(shared, list) or any(p not in PAIRS for p in shared):
        raise ValidationFailed("rules.error.shape")
    return {"may_share": [p for p in PAIRS if p in shared]}


# --- enforcement -----------------------------------------------------------------------------------------


def step_people(session: Session, claim: SubsidyClaim) -> dict[str, int]:
    """Who did each step of the claim so far: step → user id (the claimant from the claim or its first row)."""
    done: dict[str, int] = {}
    rows = session.exec(
        select(LedgerEntry.action, LedgerEntry.actor_id).where(
            LedgerEntry.claim_id == claim.id,
            col(LedgerEntry.action).in_((LedgerAction.CLAIM, LedgerAction.AUDIT, LedgerAction.APPROVE)),
        )
    ).all()
    for action, user_id in rows:
        if user_id is not None:
            done[str(action)] = user_id
    if claim.claimed_by is not None:
        done["claim"] = claim.claimed_by
    return done


def enforce(session: Session, claim: SubsidyClaim, actor: Actor, doing: str, *, rule: DutyRule | None = None) -> None:
    """Refuse `actor` doing step `doing` on `claim` when they did another step the office keeps apart."""
    rule = rule or rule_for(session)
    for did, user_id in sorted(step_people(session, claim).items(), key=lambda kv: STEPS.index(kv[0])):
        if user_id == actor.user_id and not rule.allows(did, doing):
            case = session.get(Case, claim.case_id)
            raise PermissionDenied(f"error.ledger_duty.{pair(did, doing)}", case_no=case.case_no if case else "")


# --- the rule as a versioned setting on /rules ------------------------------------------------------------


def current(session: Session, *, actor: Actor) -> RuleState:
    require(actor, P.LOWCODE_EDIT)
    row = _latest(session)
    return RuleState(NAME, row.version if row else 0, _value(row))


def _write(
    session: Session, actor: Actor, value: Any, base_version: int, note: str, rollback_of: int | None = None
) -> RuleState:
    data = check(value)
    row = _latest(session)
    if (row.version if row else 0) != base_version:
        raise Conflict("rules.error.stale")
    before = _value(row)
    if data == before:
        raise ValidationFailed("rules.error.unchanged")
    action = "change" if rollback_of is None else "rollback"
    new = ConfigVersion(
        key=KEY,
        version=base_version + 1,
        note=note.strip()[:500],
        created_by=actor.user_id,
        value={"data": data, "before": before, "action": action, "from_version": rollback_of},
    )
    try:
        with session.begin_nested():
            session.add(new)
            session.flush()
    except IntegrityError:
        raise Conflict("rules.error.stale") from None
    audit.record(
        session,
        action=f"rules.{action}",
        actor_id=actor.user_id,
        entity="configversion",
        entity_id=new.id,
        rule=NAME,
        version=new.version,
        from_version=rollback_of,
        before=before,
        after=data,
        note=new.note[:200],
    )
    return RuleState(NAME, new.version, data)


def change(session: Session, *, actor: Actor, value: Any, base_version: int, note: str = "") -> RuleState:
    """Save the office's duty rule as version base_version + 1 (refused if someone saved since)."""
    require(actor, P.LOWCODE_EDIT)
    return _write(session, actor, value, base_version, note)


def rollback(session: Session, *, actor: Actor, version: int, base_version: int, note: str = "") -> RuleState:
    """Apply an older version again (0: the default, four different people) as a new version."""
    require(actor, P.LOWCODE_EDIT)
    if version == 0:
        return _write(session, actor, dict(DEFAULT), base_version, note, rollback_of=0)
    row = session.exec(select(ConfigVersion).where(ConfigVersion.key == KEY, ConfigVersion.version == version)).first()
    if row is None or version < 0 or not isinstance(row.value.get("data"), dict):
        raise NotFound("rules.error.version_missing", version=version)
    return _write(session, actor, dict(row.value["data"]), base_version, note, rollback_of=version)


def history(session: Session, *, actor: Actor, limit: int = 50) -> list[RuleVersion]:
    """The versions of the duty rule, newest first, with their differences."""
    require(actor, P.LOWCODE_EDIT)
    rows = session.exec(
        select(ConfigVersion)
        .where(ConfigVersion.key == KEY)
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
            diff(r.value.get("before") or DEFAULT, r.value.get("data") or DEFAULT),
        )
        for r in rows
    ]
