"""The one question the subsidy ledger asks of dossier review: does the case's newest review hold its subsidy?

Kept apart from dossier_review (which writes ledger steps) so the ledger can ask without an import cycle."""

from __future__ import annotations

from sqlmodel import Session, col, select

from models import DossierReview

HOLD_CODE = "dossier"


def latest_review(session: Session, case_id: int) -> DossierReview | None:
    """The case's newest review round, if it was ever reviewed."""
    return session.exec(
        select(DossierReview).where(DossierReview.case_id == case_id).order_by(col(DossierReview.round).desc())
    ).first()


def failing_review(session: Session, case_id: int) -> DossierReview | None:
    """The newest review when its grade holds the subsidy (不合格 by default) — until corrected and re-reviewed."""
    review = latest_review(session, case_id)
    return review if review is not None and review.holds_subsidy else None


def hold_reason(review: DossierReview) -> str:
    """The code the ledger stores for the hold: dossier=<grade>:<score>:<round>."""
    return f"{HOLD_CODE}={review.grade}:{review.score:g}:{review.round}"
