"""Scorecards per unit and scheme: computed → reviewed → published, with manual scores and overrides (each with its
note or reason, the newest counting, all kept), and ranked tables per unit kind.

A recompute refreshes the figures and sends the card back to "computed", but never touches what was published:
`published_lines`/`published_total` stand until someone reviews and publishes again (as rating decisions do,
migration 0021). Rankings read the published figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from models import AssessmentScheme, Organisation, Scorecard, ScoreEntry
from models.base import utc_now
from services.access.authz import Actor, require
from services.access.permissions import P
from services.access.scope import actor_area
from services.assessment.measures import Measure, measure_unit
from services.assessment.schemes import Indicator, indicators_of, points_for, scheme_in_area
from services.core import audit
from services.core.errors import Conflict, NotFound, ValidationFailed

NOTE_MIN, NOTE_MAX = 4, 500
EVIDENCE_MAX = 5 * 1024 * 1024


def units_of(session: Session, scheme: AssessmentScheme) -> list[Organisation]:
    """The active organisations of the scheme's unit kinds in its region."""
    region = session.get(Organisation, scheme.region_org_id)
    if region is None:
        return []
    return list(
        session.exec(
            select(Organisation)
            .where(
                col(Organisation.path).startswith(region.path),
                col(Organisation.kind).in_(scheme.unit_kinds),
                col(Organisation.active),
            )
            .order_by(col(Organisation.id))
        ).all()
    )


def _entries(session: Session, card_id: int) -> dict[str, ScoreEntry]:
    """The newest manual score or override of each indicator."""
    newest: dict[str, ScoreEntry] = {}
    for e in session.exec(select(ScoreEntry).where(ScoreEntry.scorecard_id == card_id).order_by(col(ScoreEntry.id))):
        newest[e.indicator] = e
    return newest


def _line(ind: Indicator, m: Measure | None, entry: ScoreEntry | None) -> dict[str, Any]:
    computed = None if ind.manual or m is None else points_for(ind, m.value)
    line: dict[str, Any] = {
        "key": ind.key,
        "label": ind.label,
        "metric": ind.metric,
        "rule": ind.rule,
        "target": ind.target,
        "weight": ind.weight,
        "per": ind.per,
        "value": None if m is None else m.value,
        "num": None if m is None else m.num,
        "den": None if m is None else m.den,
        "records": [] if m is None else m.records,
        "base": [] if m is None else m.base,
        "record_kind": "case" if m is None else m.record_kind,
        "computed_points": computed,
        "points": computed or 0.0,
        "entry": None,
    }
    if entry is not None:
        line["points"] = entry.points
        line["entry"] = {
            "id": entry.id,
            "kind": entry.kind,
            "note": entry.note,
            "actor_id": entry.actor_id,
            "evidence_name": entry.evidence_name,
        }
        if ind.manual and entry.value is not None:
            line["value"] = entry.value
    return line


def _fill(session: Session, card: Scorecard, scheme: AssessmentScheme, measures: dict[str, Measure] | None) -> None:
    old = {line["key"]: line for line in card.lines}
    entries = _entries(session, card.id or 0) if card.id else {}
    lines = []
    for ind in indicators_of(scheme):
        if measures is not None:
            m = None if ind.manual else measures.get(ind.metric)
        else:  # re-total only: keep the figures computed last time
            prev = old.get(ind.key)
            m = (
                None
                if prev is None or ind.manual
                else Measure(
                    prev["value"], prev["num"] or 0, prev["den"], prev["records"], prev["base"], prev["record_kind"]
                )
            )
        lines.append(_line(ind, m, entries.get(ind.key)))
    card.lines = lines
    card.total = round(sum(float(line["points"]) for line in lines), 2)


def compute_scheme(session: Session, *, actor: Actor, scheme_id: int) -> list[Scorecard]:
    """Compute (or recompute) every unit's card; published figures stay as published."""
    require(actor, P.ASSESSMENT_EDIT)
    scheme = scheme_in_area(session, actor, scheme_id)
    cards = []
    for unit in units_of(session, scheme):
        card = session.exec(
            select(Scorecard).where(Scorecard.scheme_id == scheme.id, Scorecard.org_id == unit.id).with_for_update()
        ).first() or Scorecard(scheme_id=scheme.id or 0, org_id=unit.id or 0)
        if card.id is None:
            session.add(card)
            session.flush()
        _fill(session, card, scheme, measure_unit(session, unit, scheme.start, scheme.end))
        card.status, card.computed_at, card.version = "computed", utc_now(), card.version + 1
        session.add(card)
        cards.append(card)
    session.flush()
    audit.record(
        session,
        action="assessment.compute",
        actor_id=actor.user_id,
        entity="assessmentscheme",
        entity_id=scheme.id,
        cards=len(cards),
    )
    return cards


def card_in_area(session: Session, actor: Actor, card_id: int, *, for_update: bool = False) -> Scorecard:
    """A card the actor may see: of a unit in the actor's area, or the actor's own unit."""
    require(actor, P.ASSESSMENT_VIEW)
    stmt = select(Scorecard).where(Scorecard.id == card_id)
    card = session.exec(stmt.with_for_update() if for_update else stmt).first()
    org = session.get(Organisation, card.org_id) if card else None
    area = actor_area(session, actor=actor).path
    if card is None or org is None or not (org.path.startswith(area) or area.startswith(org.path)):
        raise NotFound("error.not_found")
    return card


def set_entry(
    session: Session,
    *,
    actor: Actor,
    card_id: int,
    indicator: str,
    points: float,
    note: str,
    value: float | None = None,
    evidence_name: str = "",
    evidence: bytes | None = None,
) -> Scorecard:
    """Score a manual indicator or override a computed one, with a note (the reason) of at least four characters."""
    require(actor, P.ASSESSMENT_EDIT)
    card = card_in_area(session, actor, card_id, for_update=True)
    scheme = session.get(AssessmentScheme, card.scheme_id)
    assert scheme is not None
    ind = next((i for i in indicators_of(scheme) if i.key == indicator), None)
    if ind is None:
        raise ValidationFailed("error.assessment_indicator_unknown", indicator=indicator)
    if not 0 <= points <= ind.weight:
        raise ValidationFailed("error.assessment_points_range", max=f"{ind.weight:g}")
    if not NOTE_MIN <= len(note.strip()) <= NOTE_MAX:
        raise ValidationFailed("error.assessment_note_required", min=NOTE_MIN, max=NOTE_MAX)
    if evidence is not None and len(evidence) > EVIDENCE_MAX:
        raise ValidationFailed("error.assessment_evidence_too_big")
    entry = ScoreEntry(
        scorecard_id=card.id or 0,
        indicator=ind.key,
        kind="manual" if ind.manual else "override",
        points=points,
        value=value,
        note=note.strip(),
        evidence_name=evidence_name[:120],
        evidence=evidence,
        actor_id=actor.user_id,
    )
    session.add(entry)
    session.flush()
    _fill(session, card, scheme, None)
    card.status, card.version = "computed", card.version + 1
    session.add(card)
    session.flush()
    audit.record(
        session,
        action=f"assessment.{entry.kind}",
        actor_id=actor.user_id,
        entity="scorecard",
        entity_id=card.id,
        indicator=ind.key,
        points=points,
    )
    return card


def _move(session: Session, actor: Actor, card_id: int, version: int, source: str, target: str) -> Scorecard:
    require(actor, P.ASSESSMENT_EDIT)
    card = card_in_area(session, actor, card_id, for_update=True)
    if card.status != source or card.version != version:
        raise Conflict("error.assessment_card_changed")
    card.status, card.version = target, card.version + 1
    if target == "reviewed":
        card.reviewed_by, card.reviewed_at = actor.user_id, utc_now()
    else:
        card.published_by, card.published_at = actor.user_id, utc_now()
        card.published_lines, card.published_total = list(card.lines), card.total
    session.add(card)
    session.flush()
    audit.record(
        session,
        action=f"assessment.{target}",
        actor_id=actor.user_id,
        entity="scorecard",
        entity_id=card.id,
        total=card.total,
    )
    return card


def review_card(session: Session, *, actor: Actor, card_id: int, version: int) -> Scorecard:
    """The assessor has checked the computed card (computed → reviewed)."""
    require(actor, P.ASSESSMENT_EDIT)  # checked here too, so the service never relies on the page (AZ-5)
    return _move(session, actor, card_id, version, "computed", "reviewed")


def publish_card(session: Session, *, actor: Actor, card_id: int, version: int) -> Scorecard:
    """Publish a reviewed card: its figures become the unit's result until published again."""
    require(actor, P.ASSESSMENT_EDIT)  # checked here too, so the service never relies on the page (AZ-5)
    return _move(session, actor, card_id, version, "reviewed", "published")


@dataclass(frozen=True)
class RankRow:
    rank: int | None
    card_id: int
    org_id: int
    org_name: str
    org_kind: str
    total: float | None  # the published total (None: never published)
    latest: float
    status: str


def ranking(session: Session, *, actor: Actor, scheme_id: int) -> dict[str, list[RankRow]]:
    """Per unit kind, the units by published total (ties share a rank); unpublished cards last, unranked."""
    scheme = scheme_in_area(session, actor, scheme_id)
    orgs = {o.id: o for o in units_of(session, scheme)}
    cards = session.exec(select(Scorecard).where(Scorecard.scheme_id == scheme.id)).all()
    out: dict[str, list[RankRow]] = {}
    for kind in scheme.unit_kinds:
        mine = [c for c in cards if c.org_id in orgs and orgs[c.org_id].kind == kind]
        mine.sort(key=lambda c: (c.published_total is None, -(c.published_total or 0), orgs[c.org_id].name))
        rows, prev, rank = [], None, 0
        for n, c in enumerate(mine, start=1):
            if c.published_total is not None and c.published_total != prev:
                rank, prev = n, c.published_total
            org = orgs[c.org_id]
            rows.append(
                RankRow(
                    rank if c.published_total is not None else None,
                    c.id or 0,
                    org.id or 0,
                    org.name,
                    org.kind,
                    c.published_total,
                    c.total,
                    c.status,
                )
            )
        out[kind] = rows
    return out


def entries_of(session: Session, *, actor: Actor, card_id: int) -> list[ScoreEntry]:
    """Every manual score and override of a card, newest first (the history)."""
    card_in_area(session, actor, card_id)
    return list(
        session.exec(select(ScoreEntry).where(ScoreEntry.scorecard_id == card_id).order_by(col(ScoreEntry.id).desc()))
    )


def evidence_of(session: Session, *, actor: Actor, entry_id: int) -> tuple[str, bytes]:
    """The evidence file of a manual score or override (name, bytes), for a card the actor may open."""
    entry = session.get(ScoreEntry, entry_id)
    if entry is None or entry.evidence is None:
        raise NotFound("error.not_found")
    card_in_area(session, actor, entry.scorecard_id)
    return entry.evidence_name, entry.evidence
