"""The risk colour chip with its reason: in the case header and on a workbench card (imports no case widgets, so
pages/ui/case_ui.py may call it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pages.ui.db import get_db
from pages.ui.i18n import current_language, t
from services.supervision import risk

COLOURS = {"red": "red", "orange": "orange", "yellow": "yellow", "blue": "blue"}
ICON = ":material/emergency:"


def level_label(level: str) -> str:
    return t(f"risk.level.{level}")


def chip(container: Any, level: str, why: str) -> None:
    """The colour chip: '红色风险 · 有暴力倾向' (nothing for an ungraded case)."""
    if level in COLOURS:
        container.badge(f"{level_label(level)} · {why}" if why else level_label(level), icon=ICON, color=COLOURS[level])


def chips_of(case_ids: list[int]) -> dict[int, tuple[str, str]]:
    """case id → (level, reasons in words) of the graded ones: one read for a whole page of cards."""
    if not case_ids:
        return {}
    lang = current_language()
    with get_db().read() as s:
        found = risk.levels_of(s, case_ids)
        labels = risk.reason_labels(s, lang) if found else {}
        return {cid: (level, risk.describe(s, why, lang, labels)) for cid, (level, why) in found.items()}


def card_chip(container: Any, case_id: int, known: Mapping[int, tuple[str, str]] | None = None) -> None:
    """The chip on a card: from `known` (the page's `chips_of`), else one small indexed read of the stored grade."""
    found = (known if known is not None else chips_of([case_id])).get(case_id)
    if found:
        chip(container, *found)


def header_chip(container: Any, case: Any) -> None:
    """The chip in the case header; grades the case first when its stored grade is missing or out of date."""
    db = get_db()
    with db.read() as s:
        stale = risk.needs_refresh(s, case)
    if stale:
        with db.write() as s:
            risk.refresh_case(s, int(case.id))
    card_chip(container, int(case.id))
