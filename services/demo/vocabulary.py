"""The demo city's words and weights, read once at import from vocabulary.toml beside this module."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

VOCABULARY_FILE = Path(__file__).with_name("vocabulary.toml")
_WORDS: dict[str, Any] = tomllib.loads(VOCABULARY_FILE.read_text(encoding="utf-8"))

OFFICE_HOURS: str = _WORDS["office_hours"]
POLICE_ROOM_HOURS: str = _WORDS["police_room_hours"]
COUNTIES: list[tuple[str, str]] = list(_WORDS["county_areas"].items())  # (name, ID-number area code)
TOWN_STEMS: list[str] = _WORDS["places"]["town_stems"]
VILLAGE_STEMS: list[str] = _WORDS["places"]["village_stems"]
PROFESSIONAL: list[tuple[str, str, str]] = [(p["sector"], p["code"], p["label"]) for p in _WORDS["professional"]]
STAFF_MIX: dict[str, tuple[int, int, tuple[str, ...]]] = {
    kind: (mix["min"], mix["max"], tuple(mix["employment"])) for kind, mix in _WORDS["staff_mix"].items()
}
SPECIALTIES: list[str] = _WORDS["staff"]["specialties"]
TRAINING_TOPICS: list[str] = _WORDS["staff"]["training_topics"]
SELF_STUDY_ORGANISER: str = _WORDS["staff"]["self_study_organiser"]
CASE_VOLUME: dict[str, float] = _WORDS["case_volume"]
SOURCES_BY_KIND: dict[str, dict[str, float]] = _WORDS["sources"]
SUCCESS_RATES: dict[str, float] = {k: v for k, v in _WORDS["success_rates"].items() if k != "default"}
DEFAULT_SUCCESS_RATE: float = _WORDS["success_rates"]["default"]
MONEY: frozenset[str] = frozenset(_WORDS["money"]["categories"])
CATEGORY_LABELS: dict[str, str] = _WORDS["category_labels"]
SEASON: list[float] = _WORDS["calendar"]["season"]
GRADE_WEIGHTS: dict[str, float] = _WORDS["draws"]["grade"]
DRAWS: dict[str, tuple[tuple[str, float], ...]] = {
    name: tuple(pairs.items()) for name, pairs in _WORDS["draws"].items() if name not in ("grade", "satisfaction")
}
SATISFACTION: tuple[tuple[int, float], ...] = tuple((int(k), p) for k, p in _WORDS["draws"]["satisfaction"].items())
STORIES: dict[str, tuple[str, str]] = {k: (v["account"], v["request"]) for k, v in _WORDS["stories"].items()}
FIRST_SESSION_NOTES: list[str] = _WORDS["session_notes"]["first"]
LATER_SESSION_NOTES: list[str] = _WORDS["session_notes"]["later"]
AGREEMENT: dict[str, str] = _WORDS["agreement"]
NOTES: dict[str, str] = _WORDS["notes"]
TITLES: dict[str, str] = _WORDS["titles"]
BOARD_POSTS: list[tuple[str, str, str]] = [(p["kind"], p["title"], p["body"]) for p in _WORDS["board_posts"]]


def _categories_by_kind(table: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Category weights per organisation kind (or professional sector): Zipf-like for committees."""
    committees = table["committees"]
    zipf = {c: 1 / (i + 1) ** committees["exponent"] for i, c in enumerate(committees["order"])}
    zipf["other"] = committees["other"]
    fixed = {kind: weights for kind, weights in table.items() if kind != "committees"}
    return {**dict.fromkeys(committees["kinds"], zipf), **fixed}


CATEGORIES_BY_KIND = _categories_by_kind(_WORDS["categories"])


def describe(category: str, a: str, b: str, place: str, yuan: int) -> tuple[str, str]:
    """A short account of the dispute and the applicant's request."""
    story, request = STORIES[category]
    where = f"（{place}）" if place else ""
    return story.format(a=a, b=b, amt=yuan) + where, request.format(b=b, amt=yuan)


def agreement_terms(yuan: int, oral: bool) -> str:
    """The terms of an agreement paying `yuan` (or restoring peace when 0), oral or written."""
    body = AGREEMENT["terms_paid"].format(yuan=yuan) if yuan else AGREEMENT["terms_unpaid"]
    return AGREEMENT["oral" if oral else "written"] + body
