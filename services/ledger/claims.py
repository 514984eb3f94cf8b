"""The subsidy ledger's review chain: claim → (hold → release) → audit → approve → paid; reject; reverse.

The reviewers' steps are data (`REVIEW`: from which states, to which, with which permission); `allowed_actions`
reads it for the ledger page's buttons and every step function checks against it.

Every step is one append-only LedgerEntry (who, their organisation, when, from → to, why) plus an audit
row, written in the caller's short write transaction. The database, not this code, is the last word on
"only once": a partial unique index allows one live claim per case, and each action happens at most
once per claim; losing a race becomes a clean Conflict, never an uncaught IntegrityError.
Batches, payment and notices are in `ledger_payout`; budgets and rates in `ledger_budget`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import Case, LedgerEntry, Mediator, Organisation, SubsidyClaim
from models.ledger import ClaimStatus, LedgerAction
from services.access.authz import Actor, require
from services.access.permissions import P
from services.access.scope import actor_area
from services.assessment import dossier_gate
from services.cases import states
from services.core import audit, clock
from services.core.errors import Conflict, PermissionDenied, ValidationFailed
from services.ledger import duties
from services.ledger.budget import overrun_for
from services.ledger.policy import (
    LIVE_STATUSES,
    case_for_ledger,
    claim_for_ledger,
    eligibility,
    format_yuan,
    is_bureau,
    orgs_under,
    succeeded,
)
from services.lowcode.text_checks import Problem, check_text

S, A = ClaimStatus, LedgerAction
NOTE_MAX = 500
BULK_LIMIT = 500


@dataclass(frozen=True)
class Step:
    """One reviewer's action on a claim: the states it starts from, the state it leads to, the permission it needs."""

    action: LedgerAction
    sources: frozenset[ClaimStatus]
    target: ClaimStatus
    permission: str


# Claim and hold happen on claiming, pay with a payout batch (services/ledger/payout.py); these are the reviews.
REVIEW: tuple[Step, ...] = (
    Step(A.AUDIT, frozenset({S.CLAIMED}), S.AUDITED, P.LEDGER_AUDIT),
    Step(A.RELEASE, frozenset({S.HELD}), S.CLAIMED, P.LEDGER_AUDIT),
    Step(A.APPROVE, frozenset({S.AUDITED}), S.APPROVED, P.LEDGER_APPROVE),
    Step(A.REJECT, frozenset({S.CLAIMED, S.HELD, S.AUDITED, S.APPROVED}), S.REJECTED, P.LEDGER_AUDIT),
    Step(A.REVERSE, frozenset({S.PAID}), S.REVERSED, P.LEDGER_APPROVE),
)
STEP = {step.action: step for step in REVIEW}


def allowed_actions(actor: Actor, *, status: str) -> list[str]:
    """The review actions this actor may take on a claim in `status` right now (the ledger page's buttons)."""
    return [str(step.action) for step in REVIEW if status in step.sources and actor.can(step.permission)]


def _flush_once(session: Session, conflict_key: str, **params: object) -> None:
    """Flush inside a savepoint; a unique-index refusal becomes Conflict(conflict_key) and the transaction lives on."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(conflict_key, **params) from None


def record_step(
    session: Session,
    claim: SubsidyClaim,
    actor: Actor,
    action: LedgerAction,
    to_status: ClaimStatus,
    *,
    amount_fen: int = 0,
    note: str = "",
    **extra: object,
) -> LedgerEntry:
    """Record one step of a claim as a ledger row and move the claim to `to_status`."""
    problems: list[Problem] = []
    check_text(note, "note", NOTE_MAX, problems, multiline=True)  # refused, never cut (INP-1)
    if problems:
        raise ValidationFailed(problems[0].key, field="note", **problems[0].params)
    entry = LedgerEntry(
        claim_id=claim.id or 0,
        action=action,
        amount_fen=amount_fen,
        actor_id=actor.user_id,
        actor_org_id=actor.org_id,
        from_status="" if action == A.CLAIM else claim.status,
        to_status=to_status,
        note=note.strip(),
        **extra,  # type: ignore[arg-type]
    )
    claim.status = to_status
    session.add(claim)
    session.add(entry)
    _flush_once(session, "error.ledger_state_changed")
    audit.record(
        session,
        action=f"ledger.{action}",
        actor_id=actor.user_id,
        entity="subsidyclaim",
        entity_id=claim.id,
        to_status=str(to_status),
        fen=amount_fen,
    )
    return entry


def _expect(claim: SubsidyClaim, action: LedgerAction) -> Step:
    """The step `action`, refused when the claim is no longer in a state it starts from."""
    step = STEP[action]
    if claim.status not in step.sources:
        raise Conflict("error.ledger_state_changed")
    return step


def own_mediator_id(session: Session, actor: Actor) -> int | None:
    return session.exec(select(Mediator.id).where(Mediator.user_id == actor.user_id)).first()


def _not_interested(session: Session, claim: SubsidyClaim, actor: Actor, doing: str) -> None:
    """The mediator who would be paid never reviews the claim; the office's duty rule keeps the steps apart
    (by default claimant, auditor, approver and payer are four different people)."""
    if claim.mediator_id is not None and claim.mediator_id == own_mediator_id(session, actor):
        raise PermissionDenied("error.ledger_own_claim")
    duties.enforce(session, claim, actor, doing)


def _case_still_fits(session: Session, claim: SubsidyClaim) -> None:
    """Before audit and approval: the case still succeeded and its audited grade still gives this claim."""
    case = session.get(Case, claim.case_id)
    if case is None or not succeeded(session, case) or not case.grade_audited:
        raise ValidationFailed("error.ledger_case_changed")
    grade = "simple" if case.on_the_spot and case.grade_audited != "major" else case.grade_audited
    if grade != claim.grade:
        raise ValidationFailed("error.ledger_case_changed")
    if dossier_gate.failing_review(session, claim.case_id) is not None:  # held until corrected and re-reviewed
        raise ValidationFailed("error.ledger_dossier_failed")


def live_claim(session: Session, case_id: int) -> SubsidyClaim | None:
    return session.exec(
        select(SubsidyClaim).where(SubsidyClaim.case_id == case_id, col(SubsidyClaim.status).in_(LIVE_STATUSES))
    ).first()


def _create(
    session: Session, actor: Actor, case: Case, *, kind: str, award_fen: int | None = None, note: str = ""
) -> SubsidyClaim:
    if live_claim(session, case.id or 0) is not None:
        raise Conflict("error.ledger_already_claimed", case_no=case.case_no)
    elig = eligibility(session, case, kind=kind, award_fen=award_fen)
    mediator_id = case.mediator_id or own_mediator_id(session, actor)
    if mediator_id is None:
        raise ValidationFailed("error.ledger_no_mediator")
    org = session.get(Organisation, case.org_id)
    claim = SubsidyClaim(
        case_id=case.id or 0,
        kind=elig.kind,
        mediator_id=mediator_id,
        org_id=case.org_id,
        county_id=case.county_id or (org.county_id if org else None),
        grade=elig.grade,
        amount_fen=elig.amount_fen,
        status=S.CLAIMED,
        hold_reason=elig.hold_reason,
        rate_id=elig.rate_id,
        claimed_by=actor.user_id,
    )
    session.add(claim)
    _flush_once(session, "error.ledger_already_claimed", case_no=case.case_no)
    record_step(session, claim, actor, A.CLAIM, S.CLAIMED, amount_fen=claim.amount_fen, note=note)
    if elig.holds:
        record_step(session, claim, actor, A.HOLD, S.HELD, note=elig.hold_reason)
    return claim


def claim_case(session: Session, *, actor: Actor, case_id: int) -> SubsidyClaim:
    """Claim the per-case subsidy of a succeeded case with an audited grade (held for review when suspicious)."""
    require(actor, P.LEDGER_CLAIM)
    case = case_for_ledger(session, actor, case_id, for_update=True)
    return _create(session, actor, case, kind="subsidy")


def request_award(session: Session, *, actor: Actor, case_id: int, amount_fen: int, reason: str) -> SubsidyClaim:
    """Request a one-off award (一事一奖) for a major case, within the cap, with a reason."""
    if not (actor.can(P.LEDGER_CLAIM) or actor.can(P.LEDGER_AUDIT)):
        require(actor, P.LEDGER_CLAIM)
    if len(reason.strip()) < 4:
        raise ValidationFailed("error.ledger_reason_required")
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int):
        raise ValidationFailed("error.ledger_amount_invalid")
    case = case_for_ledger(session, actor, case_id, for_update=True)
    return _create(session, actor, case, kind="award", award_fen=amount_fen, note=reason)


def bulk_claim(session: Session, *, actor: Actor, start: date, end: date) -> tuple[int, int, int]:
    """The office claims every unclaimed eligible case concluded in [start, end]: (claimed, held, skipped).

    Major cases are left for an award request with its own reason."""
    require(actor, P.LEDGER_AUDIT)
    if end < start or (end - start).days > 366:
        raise ValidationFailed("error.ledger_period_invalid")
    live = select(SubsidyClaim.case_id).where(col(SubsidyClaim.status).in_(LIVE_STATUSES))
    since, until = clock.days_bounds(start, end)
    cases = session.exec(
        select(Case)
        .where(
            col(Case.org_id).in_(orgs_under(actor_area(session, actor=actor).path)),
            col(Case.status).in_(states.SUCCEEDED),
            col(Case.grade_audited).is_not(None),
            Case.grade_audited != "major",
            col(Case.concluded_at) >= since,
            col(Case.concluded_at) < until,
            col(Case.id).not_in(live),
        )
        .order_by(col(Case.concluded_at))
        .limit(BULK_LIMIT)
    ).all()
    claimed = held = skipped = 0
    for case in cases:
        try:
            with session.begin_nested():
                claim = _create(session, actor, case, kind="subsidy")
        except (Conflict, ValidationFailed):
            skipped += 1
            continue
        claimed += 1
        held += claim.status == S.HELD
    audit.record(
        session,
        action="ledger.bulk_claim",
        actor_id=actor.user_id,
        entity="subsidyclaim",
        start=start.isoformat(),
        end=end.isoformat(),
        claimed=claimed,
        held=held,
        skipped=skipped,
    )
    return claimed, held, skipped


def release_hold(session: Session, *, actor: Actor, claim_id: int, note: str) -> SubsidyClaim:
    """After review, let a held claim go on to audit (the why is required)."""
    require(actor, STEP[A.RELEASE].permission)
    if len(note.strip()) < 4:
        raise ValidationFailed("error.ledger_reason_required")
    claim = claim_for_ledger(session, actor, claim_id, for_update=True)
    step = _expect(claim, A.RELEASE)
    _not_interested(session, claim, actor, "audit")
    if dossier_gate.failing_review(session, claim.case_id) is not None:  # held until corrected and re-reviewed
        raise ValidationFailed("error.ledger_dossier_failed")
    record_step(session, claim, actor, A.RELEASE, step.target, note=note)
    return claim


def audit_claim(session: Session, *, actor: Actor, claim_id: int, note: str = "") -> SubsidyClaim:
    """The justice office checks the claim against the case file."""
    require(actor, STEP[A.AUDIT].permission)
    claim = claim_for_ledger(session, actor, claim_id, for_update=True)
    step = _expect(claim, A.AUDIT)
    _not_interested(session, claim, actor, "audit")
    _case_still_fits(session, claim)
    record_step(session, claim, actor, A.AUDIT, step.target, note=note)
    return claim


def approve_claim(
    session: Session, *, actor: Actor, claim_id: int, note: str = "", override_reason: str = ""
) -> SubsidyClaim:
    """Approve an audited claim for payment; awards only by the bureau; over budget only with a reason."""
    require(actor, STEP[A.APPROVE].permission)
    claim = claim_for_ledger(session, actor, claim_id, for_update=True)
    step = _expect(claim, A.APPROVE)
    _not_interested(session, claim, actor, "approve")
    if claim.kind == "award" and not is_bureau(session, actor):
        raise PermissionDenied("error.ledger_award_bureau")
    _case_still_fits(session, claim)
    over = overrun_for(session, claim)
    if over is not None and len(override_reason.strip()) < 4:
        if over.budget_id is None:
            raise ValidationFailed("error.ledger_no_budget")
        raise ValidationFailed(
            "error.ledger_over_budget", remaining=format_yuan(over.remaining_fen), amount=format_yuan(over.amount_fen)
        )
    text = note if over is None else f"{note.strip()} [override] {override_reason.strip()}".strip()
    record_step(
        session,
        claim,
        actor,
        A.APPROVE,
        step.target,
        amount_fen=claim.amount_fen,
        note=text,
        budget_override=over is not None,
    )
    return claim


def reject_claim(session: Session, *, actor: Actor, claim_id: int, reason: str) -> SubsidyClaim:
    """Refuse a claim that is not yet in a payout batch (the case may then be claimed again)."""
    require(actor, STEP[A.REJECT].permission)
    if len(reason.strip()) < 4:
        raise ValidationFailed("error.ledger_reason_required")
    claim = claim_for_ledger(session, actor, claim_id, for_update=True)
    step = _expect(claim, A.REJECT)
    if claim.batch_id is not None:
        raise Conflict("error.ledger_in_batch")
    record_step(session, claim, actor, A.REJECT, step.target, note=reason)
    return claim


def reverse_payment(session: Session, *, actor: Actor, claim_id: int, reason: str) -> LedgerEntry:
    """Correct a paid claim by a reversing entry pointing at its payment; the paid row stays as it was."""
    require(actor, STEP[A.REVERSE].permission)
    if len(reason.strip()) < 4:
        raise ValidationFailed("error.ledger_reason_required")
    claim = claim_for_ledger(session, actor, claim_id, for_update=True)
    step = _expect(claim, A.REVERSE)
    pay = session.exec(select(LedgerEntry).where(LedgerEntry.claim_id == claim.id, LedgerEntry.action == A.PAY)).first()
    if pay is None:
        raise Conflict("error.ledger_state_changed")
    return record_step(
        session,
        claim,
        actor,
        A.REVERSE,
        step.target,
        amount_fen=-pay.amount_fen,
        note=reason,
        reverses_id=pay.id,
        batch_id=pay.batch_id,
    )


def review_claim(
    session: Session, *, actor: Actor, claim_id: int, action: str, note: str, override_reason: str = ""
) -> SubsidyClaim | LedgerEntry:
    """Take the review action chosen on the ledger page (one of `allowed_actions`); `note` is the why."""
    if action == A.AUDIT:
        return audit_claim(session, actor=actor, claim_id=claim_id, note=note)
    if action == A.RELEASE:
        return release_hold(session, actor=actor, claim_id=claim_id, note=note)
    if action == A.APPROVE:
        return approve_claim(session, actor=actor, claim_id=claim_id, note=note, override_reason=override_reason)
    if action == A.REJECT:
        return reject_claim(session, actor=actor, claim_id=claim_id, reason=note)
    if action == A.REVERSE:
        return reverse_payment(session, actor=actor, claim_id=claim_id, reason=note)
    raise ValidationFailed("error.action_unknown", action=action)
