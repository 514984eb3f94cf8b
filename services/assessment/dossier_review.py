"""卷宗评查: the dossier checklist as versioned data, what the system can see in a dossier by itself, a reviewer's
scores and remarks, the grade by score bands, and its effect on the case's subsidy claim.

Score = points given ÷ points possible × 100, over the items that count for the case's kind: those required for
that kind, and optional ones that are in the dossier. A required item that is missing gives 0 points.
A grade whose band holds the subsidy (不合格 by default) holds the case's live claim until a later review round
(after the dossier is corrected) gives a grade that does not; the ledger refuses to release it before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from models import (
    Agreement,
    Attachment,
    Case,
    DossierChecklist,
    DossierReview,
    FollowUp,
    JudicialConfirmation,
    MediationSession,
    Organisation,
    Party,
    SubsidyClaim,
)
from models.ledger import ClaimStatus, LedgerAction
from services.access.authz import Actor, get_case_in_scope, require
from services.access.permissions import P
from services.access.scope import actor_area
from services.assessment.dossier_gate import hold_reason, latest_review
from services.cases.create import find_by_token
from services.core import audit, clock
from services.core.errors import Conflict, OutOfScope, ValidationFailed
from services.ledger import claims

KINDS = ("written", "oral", "failed")  # the case kinds items are required for
_ALL, _AGREED = list(KINDS), ["written", "oral"]
# (key, label, points, required for kinds, what the system can see: a key of AUTO_SOURCES or "")
DEFAULT_ITEMS: tuple[tuple[str, str, int, list[str], str], ...] = (
    ("application", "申请书或受理登记表", 10, _ALL, "registered"),
    ("rights_notice", "权利义务告知书", 8, _ALL, ""),
    ("identity", "身份证明", 8, _ALL, "identity"),
    ("power_of_attorney", "委托书", 4, [], ""),
    ("investigation", "调查记录", 8, ["written", "failed"], ""),
    ("evidence", "证据", 8, [], "attachments"),
    ("session_record", "调解记录", 12, _ALL, "sessions"),
    ("agreement", "协议书", 12, _AGREED, "agreement"),
    ("performance", "履行凭证", 6, ["written"], "performance"),
    ("follow_up", "回访记录", 8, _AGREED, "follow_up"),
    ("confirmation", "司法确认材料", 6, [], "confirmation"),
    ("statement", "情况说明", 4, [], ""),
    ("back_cover", "封底", 6, _ALL, ""),
)
DEFAULT_BANDS: list[dict[str, Any]] = [
    {"grade": "excellent", "min": 90, "holds_subsidy": False},
    {"grade": "pass", "min": 60, "holds_subsidy": False},
    {"grade": "fail", "min": 0, "holds_subsidy": True},
]
REMARK_MAX = 500
_HOLDABLE = (ClaimStatus.CLAIMED, ClaimStatus.AUDITED, ClaimStatus.APPROVED)


def default_items() -> list[dict[str, Any]]:
    return [
        {"key": k, "label": label, "points": pts, "required_for": list(req), "auto": auto}
        for k, label, pts, req, auto in DEFAULT_ITEMS
    ]


def validate_checklist(items: list[dict[str, Any]], bands: list[dict[str, Any]], sample_size: int) -> None:
    """Refuse a checklist that cannot score: unique keys, positive points, known kinds and sources, bands from 0."""
    keys = [str(i.get("key", "")) for i in items]
    if not items or len(set(keys)) != len(keys) or not all(keys):
        raise ValidationFailed("error.dossier_items_invalid")
    for item in items:
        points = item.get("points")
        if not isinstance(points, int | float) or points <= 0 or not str(item.get("label", "")).strip():
            raise ValidationFailed("error.dossier_items_invalid")
        if not set(item.get("required_for", [])) <= set(KINDS) or item.get("auto", "") not in ("", *AUTO_SOURCES):
            raise ValidationFailed("error.dossier_items_invalid")
    mins = [b.get("min") for b in bands]
    if not bands or not all(isinstance(m, int | float) and 0 <= m <= 100 for m in mins) or 0 not in mins:
        raise ValidationFailed("error.dossier_bands_invalid")
    if not 1 <= sample_size <= 200:
        raise ValidationFailed("error.dossier_sample_size")


def checklist_for(session: Session, org: Organisation, *, create: bool = True) -> DossierChecklist:
    """The newest checklist of the nearest region at or above `org`; the default one is saved at the top on first
    use (a concurrent first use finds the twin's row)."""
    ancestors = [int(p) for p in org.path.strip("/").split("/") if p] or [org.id or 0]
    rows = session.exec(select(DossierChecklist).where(col(DossierChecklist.region_org_id).in_(ancestors))).all()
    if rows:
        depth = {oid: i for i, oid in enumerate(ancestors)}
        return max(rows, key=lambda r: (depth.get(r.region_org_id, -1), r.version))
    row = DossierChecklist(
        region_org_id=ancestors[0], version=0 if not create else 1, items=default_items(), bands=DEFAULT_BANDS
    )
    if not create:  # for reading: the default, unsaved
        return row
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return session.exec(select(DossierChecklist).where(DossierChecklist.region_org_id == ancestors[0])).one()
    return row


def save_checklist(
    session: Session,
    *,
    actor: Actor,
    region_org_id: int,
    items: list[dict[str, Any]],
    bands: list[dict[str, Any]],
    sample_size: int,
) -> DossierChecklist:
    """Save a new version of a region's checklist (the old versions stay; reviews keep the version they used)."""
    require(actor, P.ASSESSMENT_EDIT)
    org = session.get(Organisation, region_org_id)
    if org is None or not org.path.startswith(actor_area(session, actor=actor).path):
        raise OutOfScope("error.out_of_scope")
    validate_checklist(items, bands, sample_size)
    last = session.exec(
        select(func.max(DossierChecklist.version)).where(DossierChecklist.region_org_id == region_org_id)
    ).one()
    bands = sorted(bands, key=lambda b: -float(b["min"]))
    row = DossierChecklist(
        region_org_id=region_org_id,
        version=(last or 0) + 1,
        items=items,
        bands=bands,
        sample_size=sample_size,
        created_by=actor.user_id,
    )
    session.add(row)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict("error.dossier_checklist_changed") from None
    audit.record(
        session,
        action="dossier.checklist",
        actor_id=actor.user_id,
        entity="dossierchecklist",
        entity_id=row.id,
        version=row.version,
    )
    return row


def case_kind(case: Case) -> str:
    """written / oral (an oral agreement or 随手调) / failed (no agreement reached)."""
    if case.outcome != "succeeded":
        return "failed"
    return "oral" if case.agreement_kind == "oral" or case.on_the_spot else "written"


def _exists(session: Session, model: Any, case_id: int, *where: Any) -> bool:
    return session.exec(select(model.id).where(model.case_id == case_id, *where).limit(1)).first() is not None


AUTO_SOURCES = (
    "registered",
    "identity",
    "attachments",
    "sessions",
    "agreement",
    "performance",
    "follow_up",
    "confirmation",
)


def auto_items(session: Session, case: Case) -> dict[str, bool]:
    """What the system can see in the dossier by itself, per source."""
    cid = case.id or 0
    return {
        "registered": case.accepted_at is not None,
        "identity": _exists(session, Party, cid, col(Party.id_number_masked).is_not(None)),
        "attachments": _exists(session, Attachment, cid),
        "sessions": _exists(session, MediationSession, cid),
        "agreement": _exists(session, Agreement, cid),
        "performance": _exists(session, Agreement, cid, Agreement.performance == "fulfilled"),
        "follow_up": _exists(session, FollowUp, cid, col(FollowUp.done_at).is_not(None)),
        "confirmation": _exists(session, JudicialConfirmation, cid, JudicialConfirmation.result == "confirmed"),
    }


@dataclass(frozen=True)
class DraftItem:
    """One checklist line as the reviewer sees it: seen by the system or not, required or optional."""

    key: str
    label: str
    max_points: float
    required: bool
    auto: str
    seen: bool | None  # None: the system cannot see this item


@dataclass(frozen=True)
class ItemScore:
    present: bool
    points: float
    remark: str = ""


def draft(session: Session, *, actor: Actor, case_id: int) -> tuple[Case, DossierChecklist, list[DraftItem]]:
    """The case, its checklist and each line prefilled from what the system sees."""
    require(actor, P.DOSSIER_REVIEW)
    case = get_case_in_scope(session, actor, case_id)
    session.refresh(case)  # outcome and agreement_kind are kept by database triggers
    org = session.get(Organisation, case.org_id)
    assert org is not None
    checklist = checklist_for(session, org)
    seen, kind = auto_items(session, case), case_kind(case)
    lines = [
        DraftItem(
            key=i["key"],
            label=i["label"],
            max_points=float(i["points"]),
            required=kind in i.get("required_for", []),
            auto=i.get("auto", ""),
            seen=seen.get(i.get("auto", "")) if i.get("auto") else None,
        )
        for i in checklist.items
    ]
    return case, checklist, lines


def grade_for(bands: list[dict[str, Any]], score: float) -> dict[str, Any]:
    """The band a score falls in (highest minimum it reaches)."""
    for band in sorted(bands, key=lambda b: -float(b["min"])):
        if score >= float(band["min"]):
            return band
    return bands[-1]


def score_items(lines: list[DraftItem], scores: dict[str, ItemScore]) -> tuple[float, dict[str, Any]]:
    """The score 0–100 and the stored lines: required items always count, optional ones when present."""
    given = possible = 0.0
    stored: dict[str, Any] = {}
    for line in lines:
        entry = scores.get(line.key) or ItemScore(present=bool(line.seen), points=line.max_points if line.seen else 0)
        if len(entry.remark) > REMARK_MAX:
            raise ValidationFailed("error.text_too_long", field=line.label, limit=REMARK_MAX)
        if not 0 <= entry.points <= line.max_points:
            raise ValidationFailed("error.dossier_points_range", item=line.label, max=f"{line.max_points:g}")
        points = entry.points if entry.present else 0.0
        counts = line.required or entry.present
        if counts:
            given, possible = given + points, possible + line.max_points
        stored[line.key] = {
            "points": points,
            "max": line.max_points,
            "present": entry.present,
            "required": line.required,
            "counts": counts,
            "auto": line.seen,
            "remark": entry.remark.strip(),
        }
    return (round(given / possible * 100, 1) if possible else 100.0), stored


def quarter_of(day: date) -> int:
    return day.year * 10 + (day.month + 2) // 3


def save_review(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    scores: dict[str, ItemScore],
    remarks: str = "",
    sample_id: int | None = None,
    form_token: str | None = None,
) -> DossierReview:
    """Save a review round of a case's dossier; a failing grade holds the case's live subsidy claim."""
    require(actor, P.DOSSIER_REVIEW)  # before the token look-up: a replayed token answers only a reviewer
    if (done := find_by_token(session, DossierReview, form_token)) is not None:
        return done
    case, checklist, lines = draft(session, actor=actor, case_id=case_id)
    if len(remarks) > REMARK_MAX:
        raise ValidationFailed("error.text_too_long", field="remarks", limit=REMARK_MAX)
    score, stored = score_items(lines, scores)
    band = grade_for(checklist.bands, score)
    previous = latest_review(session, case.id or 0)
    review = DossierReview(
        case_id=case.id or 0,
        org_id=case.org_id,
        checklist_id=checklist.id or 0,
        sample_id=sample_id,
        round=(previous.round + 1) if previous else 1,
        quarter=quarter_of(clock.today()),
        score=score,
        grade=str(band["grade"]),
        holds_subsidy=bool(band.get("holds_subsidy")),
        items=stored,
        remarks=remarks.strip(),
        reviewer_id=actor.user_id,
        form_token=form_token,
    )
    session.add(review)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict("error.dossier_review_changed") from None
    audit.record(
        session,
        action="dossier.review",
        actor_id=actor.user_id,
        entity="case",
        entity_id=case.id,
        round=review.round,
        score=score,
        grade=review.grade,
    )
    if review.holds_subsidy:
        hold_live_claims(session, actor=actor, review=review)
    return review


def hold_live_claims(session: Session, *, actor: Actor, review: DossierReview) -> int:
    """Hold the case's claim that is not yet paid or batched, with the review as the reason."""
    reason = hold_reason(review)
    live = session.exec(
        select(SubsidyClaim)
        .where(
            SubsidyClaim.case_id == review.case_id,
            col(SubsidyClaim.status).in_(_HOLDABLE),
            col(SubsidyClaim.batch_id).is_(None),
        )
        .with_for_update()
    ).all()
    for claim in live:
        claim.hold_reason = reason
        claims.record_step(session, claim, actor, LedgerAction.HOLD, ClaimStatus.HELD, note=reason)
    return len(live)


def review_summary(session: Session, *, actor: Actor, case_id: int) -> DossierReview | None:
    """The case's newest dossier review, for the case page (the case must be one the actor may see)."""
    case = get_case_in_scope(session, actor, case_id)
    return latest_review(session, case.id or 0)


def checklist_in_area(session: Session, *, actor: Actor) -> tuple[Organisation, DossierChecklist]:
    """The actor's region and the checklist in force there (the default, unsaved, when none was saved)."""
    require(actor, P.DOSSIER_REVIEW)
    area = actor_area(session, actor=actor)
    return area, checklist_for(session, area, create=False)
