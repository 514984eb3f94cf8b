"""Bulk audit and approval on the office ledger: a filtered selection, its count and total first, then one
short transaction per claim through `claims.review_claim`.

The office sees what it is about to do (how many claims, how many yuan, how many the duty rule will refuse)
before it confirms; each claim is then reviewed on its own, so one refusal never undoes the others. A claim
that changed after it was shown (another reviewer, a new amount) is reported, never reviewed blind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from models import Case, LedgerEntry, Mediator, Organisation, SubsidyClaim
from models.ledger import LedgerAction
from services.access.authz import Actor, require
from services.core import audit
from services.core.db import Database
from services.core.errors import Conflict, DomainError, ValidationFailed
from services.ledger import duties
from services.ledger.claims import BULK_LIMIT, NOTE_MAX, STEP, own_mediator_id, review_claim
from services.ledger.policy import claim_for_ledger
from services.ledger.views import claim_filters
from services.lowcode.text_checks import Problem, check_text

BULK_ACTIONS = (LedgerAction.AUDIT, LedgerAction.APPROVE)
DUTY_STEP = {LedgerAction.AUDIT: "audit", LedgerAction.APPROVE: "approve"}


@dataclass(frozen=True)
class Pick:
    """One claim as the office saw it when choosing it (status and amount are checked again on review)."""

    claim_id: int
    case_no: str
    mediator_name: str
    org_name: str
    status: str
    amount_fen: int
    blocked: bool  # the duty rule (or being the one paid) will refuse this actor


@dataclass(frozen=True)
class Selection:
    action: str
    picks: tuple[Pick, ...]
    more: bool  # more claims match than one bulk action takes (BULK_LIMIT)

    @property
    def count(self) -> int:
        return len(self.picks)

    @property
    def total_fen(self) -> int:
        return sum(p.amount_fen for p in self.picks)

    @property
    def blocked(self) -> int:
        return sum(p.blocked for p in self.picks)


@dataclass
class Refusal:
    pick: Pick
    key: str
    params: dict[str, Any]


@dataclass
class BulkResult:
    action: str
    done: list[Pick] = field(default_factory=list)
    changed: list[Pick] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)

    @property
    def done_fen(self) -> int:
        return sum(p.amount_fen for p in self.done)


def _step(action: str) -> LedgerAction:
    if action not in BULK_ACTIONS:
        raise ValidationFailed("error.action_unknown", action=str(action)[:20])
    return LedgerAction(action)


def candidates(
    session: Session,
    *,
    actor: Actor,
    action: str,
    status: str | None = None,
    kind: str | None = None,
    county_id: int | None = None,
    month: tuple[int, int] | None = None,
) -> Selection:
    """The claims of the ledger's current filters that `action` can start from, oldest first, up to BULK_LIMIT."""
    step = STEP[_step(action)]
    require(actor, step.permission)
    conds = claim_filters(session, actor, status=status, kind=kind, county_id=county_id, month=month)
    rows = session.exec(
        select(SubsidyClaim, Case.case_no, Mediator.name, Organisation.name)
        .join(Case, col(Case.id) == col(SubsidyClaim.case_id))
        .join(Organisation, col(Organisation.id) == col(SubsidyClaim.org_id))
        .join(Mediator, col(Mediator.id) == col(SubsidyClaim.mediator_id), isouter=True)
        .where(*conds, col(SubsidyClaim.status).in_([str(s) for s in step.sources]))
        .order_by(col(SubsidyClaim.id))
        .limit(BULK_LIMIT + 1)
    ).all()
    blocked = _blocked(session, actor, [c for c, *_ in rows[:BULK_LIMIT]], DUTY_STEP[step.action])
    picks = tuple(
        Pick(c.id or 0, no, name or "", org, c.status, c.amount_fen, (c.id or 0) in blocked)
        for c, no, name, org in rows[:BULK_LIMIT]
    )
    return Selection(str(step.action), picks, len(rows) > BULK_LIMIT)


def _blocked(session: Session, actor: Actor, claims: Sequence[SubsidyClaim], doing: str) -> set[int]:
    """The claims this actor will be refused under the duty rule, or because they would be paid."""
    rule = duties.rule_for(session)
    ids = [c.id for c in claims if c.id is not None]
    did: dict[int, set[str]] = {}
    for claim_id, action in session.exec(
        select(LedgerEntry.claim_id, LedgerEntry.action).where(
            col(LedgerEntry.claim_id).in_(ids),
            LedgerEntry.actor_id == actor.user_id,
            col(LedgerEntry.action).in_((LedgerAction.CLAIM, LedgerAction.AUDIT, LedgerAction.APPROVE)),
        )
    ).all():
        did.setdefault(claim_id, set()).add(str(action))
    me = own_mediator_id(session, actor)
    out = set()
    for c in claims:
        steps = did.get(c.id or 0, set()) | ({"claim"} if c.claimed_by == actor.user_id else set())
        if (me is not None and c.mediator_id == me) or any(not rule.allows(s, doing) for s in steps):
            out.add(c.id or 0)
    return out


def review_each(db: Database, *, actor: Actor, action: str, picks: Sequence[Pick], note: str = "") -> BulkResult:
    """Review every chosen claim in its own short transaction; report the changed and the refused."""
    step = STEP[_step(action)]
    require(actor, step.permission)
    problems: list[Problem] = []
    check_text(note, "note", NOTE_MAX, problems, multiline=True)  # once, not once per claim
    if problems:
        raise ValidationFailed(problems[0].key, field="note", **problems[0].params)
    result = BulkResult(str(step.action))
    for pick in list(picks)[:BULK_LIMIT]:
        try:
            with db.write() as s:
                claim = claim_for_ledger(s, actor, pick.claim_id, for_update=True)
                if claim.status != pick.status or claim.amount_fen != pick.amount_fen:
                    raise Conflict("error.ledger_state_changed")
                review_claim(s, actor=actor, claim_id=pick.claim_id, action=str(step.action), note=note)
        except Conflict:
            result.changed.append(pick)
        except DomainError as err:
            result.refused.append(Refusal(pick, err.key, dict(err.params)))
        else:
            result.done.append(pick)
    with db.write() as s:
        audit.record(
            s,
            action="ledger.bulk_review",
            actor_id=actor.user_id,
            entity="subsidyclaim",
            review=str(step.action),
            done=len(result.done),
            fen=result.done_fen,
            changed=len(result.changed),
            refused=len(result.refused),
        )
    return result
