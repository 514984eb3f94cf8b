"""Read dictionaries (categories, sources, …) in display order; the admin hook for a category's sector and flag.

Values are never deleted (old cases keep their codes): the office adds, renames (labels), reorders and
retires them. A retired value still reads well on old cases but is no longer offered or accepted for new ones.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from models import DictionaryEntry
from services.access.authz import Actor
from services.admin.extensions import Hook, display
from services.admin.forms import FormInvalid
from services.core.i18n import translate

META_FIELDS = ("sector", "committee")


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


@display("dictionaryentry", "sector", "committee")
def _category_meta(session: Session, ids: Any, lang: str) -> dict[int, dict[str, Any]]:
    """A category's sector and professional-committee flag in words, for the admin's record view."""
    out: dict[int, dict[str, Any]] = {}
    for e in session.exec(select(DictionaryEntry).where(col(DictionaryEntry.id).in_(list(ids)))).all():
        if e.dictionary == "category":
            sector = (e.meta or {}).get("sector")
            out[e.id or 0] = {
                "sector": translate(f"admin.enum.sector.{sector}", lang) if sector else "",
                "committee": translate("yes" if committee_of(e) else "no", lang),
            }
    return out


class DictionaryHook(Hook):
    """Admin writes of dictionary values: a category's sector and professional-committee flag live in `meta`."""

    def initial(self, session: Session, obj: Any) -> dict[str, Any]:
        return {"sector": (obj.meta or {}).get("sector"), "committee": committee_of(obj)}

    def after_write(self, session: Session, actor: Actor, obj: Any, values: dict[str, Any]) -> None:
        given = {k: values[k] for k in META_FIELDS if k in values}
        if not given:
            return
        if obj.dictionary != "category":
            if any(given.values()):
                raise FormInvalid(
                    {"sector" if given.get("sector") else "committee": ("error.dictionary_category_only", {})}
                )
            return
        meta = dict(obj.meta or {})
        if "sector" in given:
            meta.pop("sector", None)
            if given["sector"]:
                meta["sector"] = given["sector"]
        if "committee" in given:
            meta["committee"] = bool(given["committee"])
        obj.meta = meta
        session.add(obj)
