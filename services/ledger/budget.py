"""Budgets per region and year (spent, committed, remaining) and the subsidy schedule as versioned data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import Budget, LedgerEntry, Organisation, SubsidyClaim, SubsidyRate
from models.ledger import MONEY_ACTIONS, ClaimStatus
from services.access.authz import Actor, require, require_any
from services.access.permissions import P
from services.access.scope import actor_area, area_of
from services.core import audit, clock
from services.core.errors import Conflict, NotFound, OutOfScope, ValidationFailed
from services.core.reference import GRADES
from services.ledger.policy import orgs_under

LINES = ("case_subsidy", "award", "salary")
LINE_OF_KIND = {"subsidy": "case_subsidy", "award": "award"}
KIND_OF_LINE = {v: k for k, v in LINE_OF_KIND.items()}
RATE_GRADES = tuple(code for code, _, _ in GRADES if code != "major")


@dataclass(frozen=True)
class BudgetStatus:
    """One budget line with what is spent (paid, net of reversals) and committed (approved, unpaid)."""

    budget_id: int
    region_org_id: int
    region_name: str
    year: int
    line: str
    amount_fen: int
    spent_fen: int
    committed_fen: int

    @property
    def remaining_fen(self) -> int:
        return self.amount_fen - self.spent_fen - self.committed_fen


@dataclass(frozen=True)
class Overrun:
    """Why an approval needs an override: no budget, or not enough left."""

    budget_id: int | None
    remaining_fen: int
    amount_fen: int


def _region_in_scope(session: Session, actor: Actor, org_id: int) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound("error.not_found")
    if not area_of(session, org=org).path.startswith(actor_area(session, actor=actor).path):
        raise OutOfScope("error.out_of_scope")
    return org


def usage(session: Session, *, region: Organisation, year: int, kind: str) -> tuple[int, int]:
    """(spent in `year`, committed now if `year` is the current one) for claims of `kind` under `region`."""
    root = area_of(session, org=region)
    start, end = clock.year_bounds(year)
    in_region = col(SubsidyClaim.org_id).in_(orgs_under(root.path))
    spent = session.exec(
        select(func.coalesce(func.sum(LedgerEntry.amount_fen), 0))
        .join(SubsidyClaim, col(SubsidyClaim.id) == col(LedgerEntry.claim_id))
        .where(
            col(LedgerEntry.action).in_(MONEY_ACTIONS),
            col(LedgerEntry.at) >= start,
            col(LedgerEntry.at) < end,
            SubsidyClaim.kind == kind,
            in_region,
        )
    ).one()
    committed = 0
    if year == clock.today().year:
        committed = session.exec(
            select(func.coalesce(func.sum(SubsidyClaim.amount_fen), 0)).where(
                SubsidyClaim.status == ClaimStatus.APPROVED, SubsidyClaim.kind == kind, in_region
            )
        ).one()
    return int(spent), int(committed)


def set_budget(session: Session, *, actor: Actor, region_org_id: int, year: int, line: str, amount_fen: int) -> Budget:
    """Create or change the budget of a region, year and line (audited with the old amount)."""
    require(actor, P.LEDGER_BUDGET)
    if line not in LINES or not 2000 <= year <= 2100:
        raise ValidationFailed("error.ledger_budget_invalid")
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen < 0:
        raise ValidationFailed("error.ledger_amount_invalid")
    region = _region_in_scope(session, actor, region_org_id)
    budget = session.exec(
        select(Budget)
        .where(Budget.region_org_id == region.id, Budget.year == year, Budget.line == line)
        .with_for_update()
    ).first()
    old = budget.amount_fen if budget else None
    if budget is None:
        budget = Budget(region_org_id=region.id or 0, year=year, line=line, amount_fen=amount_fen)
    budget.amount_fen = amount_fen
    try:
        with session.begin_nested():
            session.add(budget)
            session.flush()
    except IntegrityError:
        raise Conflict("error.conflict") from None
    audit.record(
        session,
        action="ledger.budget",
        actor_id=actor.user_id,
        entity="budget",
        entity_id=budget.id,
        region=region.id,
        year=year,
        line=line,
        old_fen=old,
        new_fen=amount_fen,
    )
    return budget


def budget_status(session: Session, *, actor: Actor, year: int) -> list[BudgetStatus]:
    """Every budget line of `year` in the actor's area, with spent, committed and remaining."""
    require_any(actor, P.LEDGER_AUDIT, P.LEDGER_BUDGET)
    scope = actor_area(session, actor=actor).path
    rows = session.exec(
        select(Budget, Organisation)
        .join(Organisation, col(Organisation.id) == col(Budget.region_org_id))
        .where(Budget.year == year, col(Organisation.path).startswith(scope))
        .order_by(col(Organisation.path), col(Budget.line))
    ).all()
    out = []
    for budget, org in rows:
        spent, committed = (
            usage(session, region=org, year=year, kind=KIND_OF_LINE[budget.line])
            if budget.line in KIND_OF_LINE
            else (0, 0)
        )
        out.append(
            BudgetStatus(budget.id or 0, org.id or 0, org.name, year, budget.line, budget.amount_fen, spent, committed)
        )
    return out


def overrun_for(session: Session, claim: SubsidyClaim) -> Overrun | None:
    """Would approving `claim` now overrun the nearest budget above its organisation (or is there none)?

    The budget row is locked (PostgreSQL) so two approvals cannot both spend the last of it."""
    org = session.get(Organisation, claim.org_id)
    if org is None:
        return Overrun(None, 0, claim.amount_fen)
    year, line = clock.today().year, LINE_OF_KIND.get(claim.kind, "case_subsidy")
    ancestors = [int(p) for p in org.path.strip("/").split("/") if p]
    candidates = session.exec(
        select(Budget, Organisation)
        .join(Organisation, col(Organisation.id) == col(Budget.region_org_id))
        .where(Budget.year == year, Budget.line == line)
    ).all()
    fits = [(area_of(session, org=o), b, o) for b, o in candidates]
    fits = [(root, b, o) for root, b, o in fits if root.id in ancestors]
    if not fits:
        return Overrun(None, 0, claim.amount_fen)
    _, budget, region = max(fits, key=lambda f: (f[0].depth, f[1].id or 0))
    session.exec(select(Budget.id).where(Budget.id == budget.id).with_for_update()).first()
    spent, committed = usage(session, region=region, year=year, kind=claim.kind)
    remaining = budget.amount_fen - spent - committed
    return None if claim.amount_fen <= remaining else Overrun(budget.id, remaining, claim.amount_fen)


def list_rates(session: Session, *, actor: Actor) -> list[SubsidyRate]:
    """The subsidy schedule: every rate row, newest first within each grade."""
    require_any(actor, P.LEDGER_AUDIT, P.LEDGER_BUDGET)
    return list(
        session.exec(
            select(SubsidyRate).order_by(
                col(SubsidyRate.grade), col(SubsidyRate.org_kind), col(SubsidyRate.valid_from).desc()
            )
        ).all()
    )


def add_rate(
    session: Session,
    *,
    actor: Actor,
    grade: str,
    amount_fen: int,
    valid_from: date,
    org_kind: str | None = None,
    region_org_id: int | None = None,
) -> SubsidyRate:
    """Add a rate in force from `valid_from` (a new row; older rows stay for older cases)."""
    require(actor, P.LEDGER_BUDGET)
    if grade not in RATE_GRADES:
        raise ValidationFailed("error.ledger_rate_grade")
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise ValidationFailed("error.ledger_amount_invalid")
    if region_org_id is None:  # a general rate only from the top of the tree; others set their own area's
        own = session.get(Organisation, actor.org_id)
        if own is None:
            raise OutOfScope("error.out_of_scope")
        area = area_of(session, org=own)
        region_org_id = None if area.parent_id is None else area.id
    else:
        _region_in_scope(session, actor, region_org_id)
    rate = SubsidyRate(
        grade=grade,
        org_kind=org_kind or None,
        region_org_id=region_org_id,
        amount_fen=amount_fen,
        valid_from=valid_from,
        created_by=actor.user_id,
    )
    session.add(rate)
    session.flush()
    audit.record(
        session,
        action="ledger.rate",
        actor_id=actor.user_id,
        entity="subsidyrate",
        entity_id=rate.id,
        grade=grade,
        fen=amount_fen,
        valid_from=valid_from.isoformat(),
        org_kind=org_kind,
        region=region_org_id,
    )
    return rate
