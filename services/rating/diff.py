"""Reproducible computations: a digest of each subject's counted sets, a fingerprint of the whole run, and what
differs from the previous computation of the same period.

A recompute reads only (id, score, stars, digest) of the previous ratings; the counted sets of the few whose
digest, score or stars differ are then read to say which metrics and sets changed.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import Rating
from services.rating.metrics import FORMULA, Parts, metric_value
from services.rating.schemes import METRICS, ORGANISATION

CHUNK = 500
Scored = tuple[float | None, int | None, str, Parts]  # score, proposed stars, digest, counted sets


class Previous(NamedTuple):
    id: int
    score: float | None
    proposed_stars: int | None
    digest: str


def digest(parts: Parts) -> str:
    """A short hash of one subject's counted sets (counts, id checksums and sums) in their fixed order."""
    return hashlib.blake2b(repr(list(parts.items())).encode(), digest_size=8).hexdigest()


def fingerprint(scheme_id: int, period: str, as_of: date, digests: dict[int, str]) -> str:
    """sha256 over the scheme, the period, `as_of` and every subject's digest: equal inputs, equal fingerprint."""
    body = json.dumps([scheme_id, period, as_of.isoformat(), sorted(digests.items())], separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def load_previous(session: Session, subject: str, period: str, key: Any, ids: Any) -> dict[int, Previous]:
    """The newest earlier rating of each subject for the period (any status): what a recompute is compared with."""
    newest = (
        select(func.max(Rating.id))
        .where(col(Rating.period) == period, col(Rating.subject) == subject, col(key).in_(ids))
        .group_by(key)
    )
    rows = session.exec(
        select(key, Rating.id, Rating.score, Rating.proposed_stars, Rating.digest).where(col(Rating.id).in_(newest))  # type: ignore[call-overload]
    ).all()
    return {int(sid): Previous(int(rid), score, stars, dig or "") for sid, rid, score, stars, dig in rows}


def _old_parts(session: Session, rating_ids: list[int]) -> dict[int, Parts]:
    out: dict[int, Parts] = {}
    for i in range(0, len(rating_ids), CHUNK):
        for rid, metrics in session.exec(
            select(Rating.id, Rating.metrics).where(col(Rating.id).in_(rating_ids[i : i + CHUNK]))
        ).all():
            parts = (metrics or {}).get("parts")
            if rid is not None and isinstance(parts, dict):
                out[rid] = parts
    return out


def changes(
    session: Session, subject: str, previous: dict[int, Previous], new: dict[int, Scored]
) -> dict[int, dict[str, Any]]:
    """Per subject: {"new": True}, or the previous rating's id with every score, stars, metric and set that differ."""
    out: dict[int, dict[str, Any]] = {}
    suspects = []
    for sid, (score, stars, dig, _) in new.items():
        prev = previous.get(sid)
        if prev is None:
            out[sid] = {"new": True}
            continue
        out[sid] = {"previous": prev.id}
        if prev.score != score:
            out[sid]["score"] = [prev.score, score]
        if prev.proposed_stars != stars:
            out[sid]["stars"] = [prev.proposed_stars, stars]
        if prev.digest != dig:
            suspects.append(sid)
    old = _old_parts(session, [previous[sid].id for sid in suspects])
    metrics = METRICS[ORGANISATION if subject == ORGANISATION else "mediator"]
    for sid in suspects:
        before, after = old.get(previous[sid].id), new[sid][3]
        if before is None:
            out[sid]["legacy"] = True  # rated before score cards kept their counted sets
            continue
        blank = [0, 0, 0.0]
        sets = {
            p: [int(before.get(p, blank)[0]), int(v[0])]
            for p, v in after.items()
            if list(before.get(p, blank))[:2] != list(v)[:2]
        }
        values = {}
        for m in metrics:
            if all(p in before for p in FORMULA[m][0] + FORMULA[m][1]):
                old_value, new_value = metric_value(m, before), metric_value(m, after)
                if old_value != new_value:
                    values[m] = [old_value, new_value]
        if sets:
            out[sid]["parts"] = sets
        if values:
            out[sid]["lines"] = values
    return out


def is_changed(changes: dict[str, Any]) -> bool:
    """Score, stars, a metric or a counted set differ from the previous computation."""
    return any(k in changes for k in ("score", "stars", "lines", "parts"))
