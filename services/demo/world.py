"""What the demo row builders share: the random stream, the id counters, the city and its staff, the sign-ins,
the reference rows, the end of the data and the running tallies; and what was drawn for the case at hand."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from models import ChecklistItem, RatingScheme, SubsidyRate
from services.demo.city import City, Org
from services.demo.people import Staff
from services.demo.tables import IdCounters, Row
from services.demo.timeline import SUCCEEDED, Life, utc_year


@dataclass
class Reference:
    """Reference rows the generator points at: rates, rating scheme, checklist items."""

    rates: dict[tuple[str, str | None], tuple[int, int]]  # (grade, org kind or None) → (rate id, fen)
    scheme_id: int | None
    items: list[int]

    @classmethod
    def load(cls, s: Session) -> Reference:
        """The national rates (no region), the first rating scheme and the checklist items in order."""
        rates = {
            (r.grade, r.org_kind): (r.id or 0, r.amount_fen)
            for r in s.exec(select(SubsidyRate)).all()
            if r.region_org_id is None
        }
        scheme = s.exec(select(RatingScheme.id).order_by(col(RatingScheme.id))).first()
        items = [i for i in s.exec(select(ChecklistItem.id).order_by(col(ChecklistItem.position))).all() if i]
        return cls(rates, scheme, items)


@dataclass
class MediatorYear:
    """One mediator's cases concluded last year: the metrics of the star rating."""

    cases: int = 0
    succeeded: int = 0
    failed: int = 0
    fulfilled: int = 0
    confirmed: int = 0
    satisfaction: int = 0  # the sum of the follow-ups' scores
    surveyed: int = 0  # follow-ups that gave a score


@dataclass
class Tallies:
    """What later rows need: last year's metrics per mediator, spend per county-year, batch totals, counters."""

    mediators: dict[int, MediatorYear] = field(default_factory=dict)
    spend: dict[tuple[int, int], int] = field(default_factory=dict)  # (county, year) → fen paid
    batches: dict[int, int] = field(default_factory=dict)  # payout batch id → fen
    counters: dict[tuple[int, int], int] = field(default_factory=dict)  # (org, year) → last case number


@dataclass
class World:
    """The state every row builder reads and advances, in one place so a forked generator can hand it back."""

    rng: random.Random
    ids: IdCounters
    city: City
    staff: Staff
    user: dict[str, int]  # role → the demo sign-in's user id
    ref: Reference
    end: datetime  # the end of the data: midnight UTC of `today`
    key: str  # the data key: ID-number ciphertexts and blind indexes
    tallies: Tallies = field(default_factory=Tallies)
    batches: dict[tuple[int, int], Row] = field(default_factory=dict)  # (county, year * 10 + quarter) → batch
    end_ts: float = field(init=False)
    last_year: int = field(init=False)
    org_by_id: dict[int, Org] = field(init=False)

    def __post_init__(self) -> None:
        self.end_ts = self.end.timestamp()
        self.last_year = self.end.year - 1
        self.org_by_id = {o.id: o for o in self.city.orgs}

    def last_year_metrics(self, mediator: int | None, lf: Life) -> MediatorYear | None:
        """The mediator's metrics of last year when the case had one and concluded in it, else None."""
        if mediator is not None and lf.concluded and utc_year(lf.concluded) == self.last_year:
            return self.tallies.mediators.setdefault(mediator, MediatorYear())
        return None


@dataclass
class CaseDraw:
    """What was drawn for one case; the rows hanging off it repeat these facts."""

    id: int
    org: Org
    source: str
    category: str
    on_spot: bool
    life: Life
    received_at: datetime
    mediator: int | None
    applicant: str
    respondent: str
    group: bool
    flags: list[str]
    amount: int  # fen
    grade: str | None  # proposed by the mediator
    audited: str | None  # the grade the audit set, when it happened before the end of the data
    audit_at: float | None
    actor: int | None  # the demo mediator on the demo village's cases; other cases' staff are not sign-ins

    @property
    def succeeded(self) -> bool:
        """Whether the case ended with an agreement (and maybe a follow-up and archiving since)."""
        return self.life.status in SUCCEEDED
