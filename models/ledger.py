"""Per-case subsidies and awards: rates as data, claims, an append-only ledger, batches, budgets."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from models.base import created_at_field


class ClaimStatus(StrEnum):
    CLAIMED = "claimed"
    HELD = "held"
    AUDITED = "audited"
    APPROVED = "approved"
    PAID = "paid"
    REJECTED = "rejected"
    REVERSED = "reversed"


class LedgerAction(StrEnum):
    CLAIM = "claim"
    HOLD = "hold"
    RELEASE = "release"
    AUDIT = "audit"
    APPROVE = "approve"
    REJECT = "reject"
    PAY = "pay"
    REVERSE = "reverse"


# A claim that is neither rejected nor reversed is "live": a case has at most one live claim.
LIVE_CLAIM_WHERE = "status NOT IN ('rejected', 'reversed')"
MONEY_ACTIONS = frozenset({LedgerAction.PAY, LedgerAction.REVERSE})


class SubsidyRate(SQLModel, table=True):
    """Amount per audited grade, optionally by organisation kind and region, valid for dates."""

    __table_args__ = (CheckConstraint("amount_fen >= 0", name="ck_rate_amount"),)
    id: int | None = Field(default=None, primary_key=True)
    grade: str = Field(max_length=12)
    org_kind: str | None = Field(default=None, max_length=32)
    region_org_id: int | None = Field(default=None, foreign_key="organisation.id")
    amount_fen: int
    valid_from: date
    valid_to: date | None = None
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = created_at_field()


class SubsidyClaim(SQLModel, table=True):
    """A claim for one case (the current state of its review); the ledger rows are the history.

    At most one live claim per case, of either kind (partial unique index): a case is paid a
    per-case subsidy or, when major, a one-off award — never both, never twice."""

    __table_args__ = (
        Index(
            "uq_claim_one_live_per_case",
            "case_id",
            unique=True,
            sqlite_where=text(LIVE_CLAIM_WHERE),
            postgresql_where=text(LIVE_CLAIM_WHERE),
        ),
        CheckConstraint("amount_fen >= 0", name="ck_claim_amount"),
    )
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    kind: str = Field(default="subsidy", max_length=12, description="subsidy (个案补贴) / award (一事一奖)")
    mediator_id: int | None = Field(default=None, foreign_key="mediator.id", index=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    county_id: int | None = Field(default=None, index=True)
    grade: str = Field(max_length=12)
    amount_fen: int
    status: str = Field(
        default="claimed", max_length=12, description="claimed / held / audited / approved / paid / rejected / reversed"
    )
    hold_reason: str = ""
    rate_id: int | None = Field(
        default=None,
        foreign_key="subsidyrate.id",
        description="the rate in force on the closing date (None for awards)",
    )
    claimed_by: int | None = Field(default=None, foreign_key="user.id")
    claimed_at: datetime = created_at_field()
    batch_id: int | None = Field(default=None, foreign_key="payoutbatch.id")


class LedgerEntry(SQLModel, table=True):
    """Append-only: every step and every money movement; corrections are reversing rows.

    Money moves only in `pay` (+) and `reverse` (−, pointing at the pay it undoes); the other
    actions carry the claim's amount for reading. Each action happens at most once per claim."""

    __table_args__ = (Index("uq_ledger_step_once", "claim_id", "action", unique=True),)
    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="subsidyclaim.id", index=True)
    action: str = Field(max_length=12, description="claim / hold / release / audit / approve / reject / pay / reverse")
    amount_fen: int = 0
    reverses_id: int | None = Field(default=None, foreign_key="ledgerentry.id", unique=True)
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    actor_org_id: int | None = Field(
        default=None, foreign_key="organisation.id", description="the actor's organisation at the time"
    )
    from_status: str = Field(default="", max_length=12)
    to_status: str = Field(default="", max_length=12)
    batch_id: int | None = Field(default=None, foreign_key="payoutbatch.id")
    budget_override: bool = Field(default=False, description="approved over budget, the reason in note")
    note: str = ""
    at: datetime = created_at_field()


class PayoutBatch(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    region_org_id: int = Field(foreign_key="organisation.id")
    total_fen: int = 0
    status: str = Field(default="open", max_length=12, description="open / paid / cancelled")
    notice_from: date | None = Field(default=None, description="start of the public notice (公示); paid date if None")
    notice_until: date | None = Field(default=None, description="end of the public notice period (公示期)")
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = created_at_field()
    paid_by: int | None = Field(default=None, foreign_key="user.id")
    paid_at: datetime | None = None
    published_by: int | None = Field(default=None, foreign_key="user.id")


class Budget(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("region_org_id", "year", "line"),
        CheckConstraint("amount_fen >= 0", name="ck_budget_amount"),
    )
    id: int | None = Field(default=None, primary_key=True)
    region_org_id: int = Field(foreign_key="organisation.id")
    year: int
    line: str = Field(default="case_subsidy", max_length=24, description="case_subsidy / award / salary")
    amount_fen: int
