"""Read dictionaries (categories, sources, …) in display order.

Values are never deleted (old cases keep their codes): the office adds, renames (labels), reorders and
retires them. A retired value still reads well on old cases but is no longer offered or accepted for new ones.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from models import DictionaryEntry


def entries(session: Session, dictionary: str, *, active_only: bool = True) -> list[DictionaryEntry]:
    """The values of one dictionary in display order (active ones only unless asked)."""
    stmt = select(DictionaryEntry).where(DictionaryEntry.dictionary == dictionary)
    if active_only:
        stmt = stmt.where(DictionaryEntry.active == True)  # noqa: E712
    return list(session.exec(stmt.order_by(col(DictionaryEntry.position), col(DictionaryEntry.id))).all())


def labels(session: Session, dictionary: str, lang: str) -> dict[str, str]:
    """code → label in the language (retired values included, so old cases still read well)."""
    return {
        e.code: (e.label_en if lang == "en" else e.label_zh) for e in entries(session, dictionary, active_only=False)
    }


def active_codes(session: Session, dictionary: str) -> list[str]:
    """The codes offered for new records, in display order (retired values left out)."""
    return [e.code for e in entries(session, dictionary)]


def resolve_code(session: Session, dictionary: str, value: str, *, active_only: bool = False) -> str | None:
    """Accept a code, a Chinese label or an English label; return the code."""
    v = value.strip()
    for e in entries(session, dictionary, active_only=active_only):
        if v in (e.code, e.label_zh) or v.lower() == e.label_en.lower():
            return e.code
    return None


def committee_of(entry: DictionaryEntry) -> bool:
    """Whether a professional committee handles disputes of this category (default: it has a sector)."""
    meta = entry.meta or {}
    return bool(meta.get("committee", bool(meta.get("sector"))))
