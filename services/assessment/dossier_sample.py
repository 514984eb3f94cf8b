"""Which dossiers to review: a random sample per organisation and quarter that the same seed reproduces, or a
hand-picked list; and the reviewer's list of a sample with each case's newest grade."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from models import Case, DossierReview, DossierSample, Organisation
from models.org import MEDIATION_KINDS
from services.access.authz import Actor, require
from services.access.permissions import P
from services.access.scope import actor_area
from services.assessment.dossier_review import checklist_for
from services.core import audit, clock
from services.core.errors import Conflict, NotFound, OutOfScope, ValidationFailed

SEED_MAX = 40
PICK_MAX = 200


def quarter_days(quarter: int) -> tuple[date, date]:
    """First and last day of quarter YYYYQ (e.g. 20263 → 1 July – 30 September 2026)."""
    year, q = divmod(quarter, 10)
    if not (2000 <= year <= 2100 and 1 <= q <= 4):
        raise ValidationFailed("error.dossier_quarter")
    first = date(year, 3 * q - 2, 1)
    after = date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)
    return first, date.fromordinal(after.toordinal() - 1)


def _org_in_area(session: Session, actor: Actor, org_id: int) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound("error.org_unknown", code=org_id)
    if not org.path.startswith(actor_area(session, actor=actor).path):
        raise OutOfScope("error.out_of_scope")
    return org


def candidates(session: Session, org: Organisation, quarter: int) -> list[int]:
    """Ids of the organisation's (and its subtree's) cases concluded in the quarter, China time, oldest id first."""
    first, last = quarter_days(quarter)
    since, until = clock.days_bounds(first, last)
    under = select(Organisation.id).where(col(Organisation.path).startswith(org.path))
    return [
        i
        for i in session.exec(
            select(col(Case.id))
            .where(
                col(Case.org_id).in_(under),
                col(Case.outcome).in_(("succeeded", "failed")),
                col(Case.concluded_at) >= since,
                col(Case.concluded_at) < until,
            )
            .order_by(col(Case.id))
        ).all()
        if i is not None
    ]


def draw(ids: list[int], *, org_id: int, quarter: int, seed: str, size: int) -> list[int]:
    """The reproducible random draw: the same ids, organisation, quarter and seed give the same sample."""
    rng = random.Random(f"{org_id}:{quarter}:{seed}")
    return sorted(rng.sample(ids, min(size, len(ids))))


def _save(session: Session, sample: DossierSample) -> DossierSample:
    session.add(sample)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        twin = session.exec(
            select(DossierSample).where(
                DossierSample.org_id == sample.org_id,
                DossierSample.quarter == sample.quarter,
                DossierSample.seed == sample.seed,
            )
        ).first()
        if twin is None:
            raise Conflict("error.already_saved") from None
        return twin
    audit.record(
        session,
        action="dossier.sample",
        actor_id=sample.created_by,
        entity="dossiersample",
        entity_id=sample.id,
        org_id=sample.org_id,
        quarter=sample.quarter,
        method=sample.method,
        size=sample.size,
    )
    return sample


def draw_sample(session: Session, *, actor: Actor, org_id: int, quarter: int, seed: str) -> DossierSample:
    """Draw (or find again) the random sample of an organisation's quarter for this seed; size from the checklist."""
    require(actor, P.DOSSIER_REVIEW)
    org = _org_in_area(session, actor, org_id)
    seed = seed.strip()
    if not seed or len(seed) > SEED_MAX or seed.startswith("manual"):
        raise ValidationFailed("error.dossier_seed")
    existing = session.exec(
        select(DossierSample).where(
            DossierSample.org_id == org_id, DossierSample.quarter == quarter, DossierSample.seed == seed
        )
    ).first()
    if existing is not None:
        return existing
    size = checklist_for(session, org).sample_size
    picked = draw(candidates(session, org, quarter), org_id=org_id, quarter=quarter, seed=seed, size=size)
    sample = DossierSample(
        org_id=org_id, quarter=quarter, seed=seed, size=len(picked), case_ids=picked, created_by=actor.user_id
    )
    return _save(session, sample)


def pick_sample(session: Session, *, actor: Actor, org_id: int, quarter: int, case_ids: list[int]) -> DossierSample:
    """A hand-picked sample: only the organisation's cases concluded in that quarter may be picked."""
    require(actor, P.DOSSIER_REVIEW)
    org = _org_in_area(session, actor, org_id)
    wanted = sorted(set(case_ids))
    if not wanted or len(wanted) > PICK_MAX or not set(wanted) <= set(candidates(session, org, quarter)):
        raise ValidationFailed("error.dossier_pick_invalid")
    n = session.exec(
        select(func.count())
        .select_from(DossierSample)
        .where(DossierSample.org_id == org_id, DossierSample.quarter == quarter, DossierSample.method == "manual")
    ).one()
    sample = DossierSample(
        org_id=org_id,
        quarter=quarter,
        seed=f"manual-{n + 1}",
        method="manual",
        size=len(wanted),
        case_ids=wanted,
        created_by=actor.user_id,
    )
    return _save(session, sample)


@dataclass(frozen=True)
class SampleRow:
    case_id: int
    case_no: str
    title: str
    round: int | None
    score: float | None
    grade: str | None


def samples_of(session: Session, *, actor: Actor, org_id: int, quarter: int) -> list[DossierSample]:
    """The samples drawn for an organisation and quarter, newest first."""
    require(actor, P.DOSSIER_REVIEW)
    _org_in_area(session, actor, org_id)
    return list(
        session.exec(
            select(DossierSample)
            .where(DossierSample.org_id == org_id, DossierSample.quarter == quarter)
            .order_by(col(DossierSample.id).desc())
        ).all()
    )


def sample_rows(session: Session, *, actor: Actor, sample_id: int) -> list[SampleRow]:
    """The sample's cases with each one's newest review (None when not yet reviewed)."""
    require(actor, P.DOSSIER_REVIEW)
    sample = session.get(DossierSample, sample_id)
    if sample is None:
        raise NotFound("error.not_found")
    _org_in_area(session, actor, sample.org_id)
    cases = {c.id: c for c in session.exec(select(Case).where(col(Case.id).in_(sample.case_ids))).all()}
    reviews: dict[int, DossierReview] = {}
    for r in session.exec(
        select(DossierReview).where(col(DossierReview.case_id).in_(sample.case_ids)).order_by(col(DossierReview.round))
    ).all():
        reviews[r.case_id] = r
    out = []
    for cid in sample.case_ids:
        case, review = cases.get(cid), reviews.get(cid)
        if case is None:
            continue
        out.append(
            SampleRow(
                cid,
                case.case_no,
                case.title,
                review.round if review else None,
                review.score if review else None,
                review.grade if review else None,
            )
        )
    return out


def orgs_for_review(session: Session, *, actor: Actor) -> list[tuple[int, str]]:
    """The mediation organisations in the actor's area whose dossiers may be sampled, by name."""
    require(actor, P.DOSSIER_REVIEW)
    area = actor_area(session, actor=actor).path
    rows = session.exec(
        select(col(Organisation.id), col(Organisation.name))
        .where(col(Organisation.path).startswith(area), col(Organisation.kind).in_(sorted(MEDIATION_KINDS | {"town"})))
        .order_by(col(Organisation.name))
    ).all()
    return [(i, n) for i, n in rows if i is not None]
