"""When demo cases arrive and how each one's life runs: received, accepted, mediated, concluded, followed up."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from services.demo.vocabulary import DEFAULT_SUCCESS_RATE, SEASON, SUCCESS_RATES

DAY = 86_400.0
YEARS = 3  # the data covers the last YEARS years (and the current one's start)
SUCCEEDED = frozenset({"succeeded", "followed_up", "archived"})


def utc(ts: float | None) -> datetime | None:
    """The UTC datetime of epoch seconds (None stays None)."""
    return None if ts is None else datetime.fromtimestamp(ts, UTC)


def utc_date(ts: float) -> date:
    """The UTC date of epoch seconds."""
    return datetime.fromtimestamp(ts, UTC).date()


def utc_year(ts: float) -> int:
    """The UTC year of epoch seconds."""
    return datetime.fromtimestamp(ts, UTC).year


@dataclass
class Life:
    """Milestones of one case (epoch seconds); status is the last one reached before the end of the data."""

    received: float
    status: str = "submitted"
    accepted: float | None = None
    rejected: float | None = None
    started: float | None = None
    concluded: float | None = None
    followed: float | None = None
    archived: float | None = None
    sessions: list[float] = field(default_factory=list)


def draw_life(
    rng: random.Random, end: float, received: float, source: str, category: str, on_spot: bool, open_as: str | None
) -> Life:
    """Draw the case's milestones; stop at the first one that lies after `end`.

    `open_as` keeps one of the newest cases open in the given state.
    """
    lf = Life(received)
    if open_as is not None:
        if open_as != "submitted":
            lf.accepted, lf.status = min(end, received + 3600), "accepted"
        if open_as == "in_mediation":
            lf.started, lf.status = min(end, received + 7200), "in_mediation"
            lf.sessions.append(lf.started)
        return lf
    if on_spot:
        lf.accepted, lf.concluded, lf.status = received, received + rng.uniform(600, 5400), "succeeded"
        lf.sessions.append(received)
    elif not _mediate(rng, end, lf, source, category):
        return lf
    t = (lf.concluded or received) + rng.uniform(2, 15) * DAY
    if rng.random() < 0.1 or t > end:
        return lf
    lf.followed, lf.status = t, "followed_up"
    t += rng.uniform(5, 60) * DAY
    if rng.random() < 0.08 or t > end:
        return lf
    lf.archived, lf.status = t, "archived"
    return lf


def _mediate(rng: random.Random, end: float, lf: Life, source: str, category: str) -> bool:
    """Accept (or reject), start, conclude; True when the case succeeded."""
    t = lf.received + min(rng.expovariate(1 / (0.6 * DAY)), 6 * DAY)
    if t > end:
        return False
    if rng.random() < (0.08 if source == "qr" else 0.02):
        lf.rejected, lf.status = t, "rejected"
        return False
    lf.accepted, lf.status = t, "accepted"
    t_start = t + rng.expovariate(1 / (1.5 * DAY))
    if rng.random() < 0.004 or t_start > end:
        return False
    if rng.random() < 0.012:
        lf.concluded, lf.status = min(end, t + rng.uniform(0.5, 8) * DAY), "withdrawn"
        return False
    lf.started, lf.status = t_start, "in_mediation"
    lf.sessions.append(t_start)
    t_end = t_start + min(rng.lognormvariate(math.log(5), 0.9), 150) * DAY
    if rng.random() < 0.006 or t_end > end:
        return False
    if t_end - t_start > 4 * DAY and rng.random() < 0.35:
        lf.sessions.append(t_end)
    lf.concluded = t_end
    if rng.random() < 0.015:
        lf.status = "withdrawn"
    elif rng.random() > SUCCESS_RATES.get(category, DEFAULT_SUCCESS_RATE) * (0.82 if source == "petition" else 1.0):
        lf.status = "failed"
    else:
        lf.status = "succeeded"
    return lf.status == "succeeded"


def daily_counts(total: int, end: datetime, rng: random.Random) -> Iterator[tuple[float, int]]:
    """Cases per day over the last YEARS years: ~25% yearly growth, winter peaks, quiet Sundays."""
    days = YEARS * 365
    start = end - timedelta(days=days)
    weights = []
    for d in range(days):
        day = start + timedelta(days=d)
        w = 1.25 ** (d / 365) * SEASON[day.month - 1] * (0.65 if day.weekday() == 6 else 1.0)
        weights.append(w * rng.uniform(0.85, 1.15))
    scale = total / sum(weights)
    exact = [w * scale for w in weights]
    counts = [int(x) for x in exact]
    for i in sorted(range(days), key=lambda i: exact[i] - counts[i], reverse=True)[: total - sum(counts)]:
        counts[i] += 1
    for d, n in enumerate(counts):
        yield (start + timedelta(days=d)).timestamp(), n
