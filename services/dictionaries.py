"""Read dictionaries (categories, sources, …) in display order."""

from __future__ import annotations

from sqlmodel import Session, col, select

from models import DictionaryEntry


def entries(session: Session, dictionary: str, *, active_only: bool = True) -> list[DictionaryEntry]:
    stmt = select(DictionaryEntry).where(DictionaryEntry.dictionary == dictionary)
    if active_only:
        stmt = stmt.where(DictionaryEntry.active == True)  # noqa: E712
    return list(session.exec(stmt.order_by(col(DictionaryEntry.position))).all())


def labels(session: Session, dictionary: str, lang: str) -> dict[str, str]:
    """code → label in the language (retired values included, so old cases still read well)."""
    return {e.code: (e.label_en if lang == "en" else e.label_zh)
            for e in entries(session, dictionary, active_only=False)}


def resolve_code(session: Session, dictionary: str, value: str) -> str | None:
    """Accept a code, a Chinese label or an English label; return the code."""
    v = value.strip()
    for e in entries(session, dictionary, active_only=False):
        if v in (e.code, e.label_zh) or v.lower() == e.label_en.lower():
            return e.code
    return None
