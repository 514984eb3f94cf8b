"""Read models for the assessment pages: a scorecard with its unit and scheme, and the records behind a line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from models import AssessmentScheme, Case, Mediator, Organisation, Scorecard, TrainingRecord
from services.access.authz import Actor
from services.access.scope import actor_area
from services.assessment.schemes import scheme_in_area
from services.assessment.scorecards import card_in_area
from services.core.errors import NotFound


@dataclass(frozen=True)
class CardView:
    card: Scorecard
    scheme: AssessmentScheme
    org_name: str
    org_kind: str


@dataclass(frozen=True)
class RecordRow:
    """One record behind a number: a case (id, number, status) or a training record (day, title, hours)."""

    kind: str
    id: int
    label: str
    detail: str
    on: date | None = None
    hours: float | None = None


def card_view(session: Session, *, actor: Actor, card_id: int) -> CardView:
    card = card_in_area(session, actor, card_id)
    scheme = scheme_in_area(session, actor, card.scheme_id)
    org = session.get(Organisation, card.org_id)
    return CardView(card, scheme, org.name if org else "", org.kind if org else "")


def cards_of(session: Session, *, actor: Actor, scheme_id: int) -> list[tuple[Scorecard, str]]:
    """The scheme's cards the actor may open, with unit names, by unit name."""
    scheme = scheme_in_area(session, actor, scheme_id)
    area = actor_area(session, actor=actor).path
    rows = session.exec(
        select(Scorecard, Organisation)
        .join(Organisation, col(Organisation.id) == col(Scorecard.org_id))
        .where(Scorecard.scheme_id == scheme.id)
        .order_by(col(Organisation.name))
    ).all()
    return [(c, o.name) for c, o in rows if o.path.startswith(area) or area.startswith(o.path)]


def line_records(session: Session, *, actor: Actor, card_id: int, key: str, base: bool = False) -> list[RecordRow]:
    """The records a line counted (or its base), limited to what the actor's area may open."""
    card = card_in_area(session, actor, card_id)
    line = next((x for x in card.lines if x["key"] == key), None)
    if line is None:
        raise NotFound("error.not_found")
    ids = [int(i) for i in (line["base"] if base else line["records"])]
    if not ids:
        return []
    if line.get("record_kind") == "training":
        rows = session.exec(
            select(TrainingRecord, Mediator)
            .join(Mediator, col(Mediator.id) == col(TrainingRecord.mediator_id))
            .where(col(TrainingRecord.id).in_(ids))
            .order_by(col(TrainingRecord.held_on))
        ).all()
        return [RecordRow("training", r.id or 0, r.title, m.name, r.held_on, r.hours) for r, m in rows]
    area = actor_area(session, actor=actor).path
    under = select(Organisation.id).where(col(Organisation.path).startswith(area))
    cases = session.exec(
        select(Case).where(col(Case.id).in_(ids), col(Case.org_id).in_(under)).order_by(col(Case.id))
    ).all()
    return [RecordRow("case", c.id or 0, c.case_no, c.status) for c in cases]
