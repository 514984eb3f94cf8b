"""Does this look like a dispute already on file? Text similarity, and the hand-over twin check (issue 22).

Two officers (or one, at shift change) hand over the same 110 call: same party (by name or ID number), similar
text, within a week. The sender is asked "this looks like case X — send anyway?"; sending anyway files it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, or_, select

from models import Case, Party
from models.base import utc_now
from services.cases.create import PartyInput
from services.core.config import get_settings
from services.core.security import blind_index, normalise_id

TWIN_WINDOW = timedelta(days=7)
TWIN_SIMILAR_AT = 0.5
_NOT_WORD = re.compile(r"[\W_]+")


def similarity(a: str, b: str) -> float:
    """Dice coefficient of character bigrams over letters and digits (works for Chinese without a tokenizer)."""
    x, y = _NOT_WORD.sub("", a.lower()), _NOT_WORD.sub("", b.lower())
    if len(x) < 3 or len(y) < 3:
        return 1.0 if x == y and x else 0.0
    bx, by = {x[i : i + 2] for i in range(len(x) - 1)}, {y[i : i + 2] for i in range(len(y) - 1)}
    return 2 * len(bx & by) / (len(bx) + len(by))


@dataclass(frozen=True)
class LookAlike:
    """An earlier case that looks like the one about to be filed."""

    case_id: int
    case_no: str
    received_at: datetime


def handover_twin(
    session: Session, *, org_id: int, parties: list[PartyInput], description: str, now: datetime | None = None
) -> LookAlike | None:
    """A case this organisation registered in the last 7 days with a party of the same name or ID number and a
    similar description, or None."""
    names = {p.name.strip() for p in parties if p.name.strip()}
    key = get_settings().data_key
    ids = {blind_index(normalise_id(p.id_number), key) for p in parties if p.id_number.strip()}
    if not names and not ids:
        return None
    matches = []
    if names:
        matches.append(col(Party.name).in_(names))
    if ids:
        matches.append(col(Party.id_number_index).in_(ids))
    stmt = (
        select(Case)
        .where(
            Case.org_id == org_id,
            col(Case.received_at) >= (now or utc_now()) - TWIN_WINDOW,
            col(Case.id).in_(select(Party.case_id).where(or_(*matches))),
        )
        .order_by(col(Case.id).desc())
        .limit(20)
    )
    for case in session.exec(stmt).all():
        if similarity(description, case.description) >= TWIN_SIMILAR_AT:
            return LookAlike(case.id or 0, case.case_no, case.received_at)
    return None
