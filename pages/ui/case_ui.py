"""Shared widgets of the case pages: short write transactions, flash messages, case cards, party rows."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st

from pages.ui.db import get_db
from pages.ui.i18n import t
from pages.ui.supervision_chip import card_chip
from pages.ui.widgets import attempt
from services.cases.cards import CaseRow
from services.cases.create import PartyInput
from services.core.text import escape_markdown as esc

CASE_PAGE = "pages/staff/case.py"
FLASH = "case_ui.flash"


def write(action: Callable[[Any], Any]) -> Any | None:
    """One short write transaction around a service call; a refusal is shown and nothing is written."""

    def run() -> Any:
        with get_db().write() as s:
            return action(s)

    return attempt(run)


def flash(key: str, **params: Any) -> None:
    """Remember a success message for the next run (the page reruns after a write)."""
    st.session_state[FLASH] = (key, params)


def show_flash() -> None:
    item = st.session_state.pop(FLASH, None)
    if item:
        st.success(t(item[0], **item[1]), icon=":material/check_circle:")


def open_case(case_id: int, action: str | None = None) -> None:
    """Go to the case page (one tap from a list), opening the given action."""
    params = {"case": str(case_id)}
    if action and action != "view":
        params["do"] = action
    st.switch_page(CASE_PAGE, query_params=params)


def yuan(fen: int) -> str:
    return f"{fen / 100:,.2f}"


def case_card(
    row: CaseRow, labels: dict[str, str], key: str, chips: Mapping[int, tuple[str, str]] | None = None
) -> None:
    """A case as a thumb-friendly card: number, status, flags, masked parties, and one button for the next step.

    `chips`: the risk chips of the page's cards, read at once (`supervision_chip.chips_of`)."""
    with st.container(border=True):
        badges = st.container(horizontal=True, gap="small", vertical_alignment="center")
        badges.text(row.case_no)
        badges.badge(t(f"status.{row.status}"), color="blue")
        if row.high_risk:
            badges.badge(t("card.flagged"), icon=":material/warning:", color="red")
        if row.overdue:
            badges.badge(t("card.overdue"), icon=":material/schedule:", color="orange")
        card_chip(badges, row.id, chips)  # the risk colour with its reason (issue 18)
        st.text(f"{labels.get(row.category, row.category)} · {row.parties}")
        due = t("card.due", day=row.due.isoformat()) if row.due else ""
        st.caption(esc(" · ".join(x for x in (row.org_name, due) if x)))
        action = row.next_action
        if st.button(
            t(f"next.{action}"),
            key=f"{key}.{row.id}",
            width="stretch",
            type="primary" if action != "view" else "secondary",
            icon=":material/arrow_forward:" if action != "view" else ":material/visibility:",
        ):
            open_case(row.id, action)


def party_rows(
    prefix: str, *, sides: tuple[str, ...] = ("applicant", "respondent", "third"), minimum: int = 2, ids: bool = True
) -> list[PartyInput]:
    """Party inputs, several per side; the count lives in session state (add/remove buttons outside forms)."""
    count = int(st.session_state.get(f"{prefix}.count", minimum))
    parties = []
    for i in range(count):
        with st.container(border=True):
            row = st.container(horizontal=True, gap="small")  # side by side on a phone too
            side = row.selectbox(
                t("party.side"), sides, index=min(i, 1), key=f"{prefix}.side.{i}", format_func=lambda s: t(f"side.{s}")
            )
            kind = row.selectbox(
                t("party.kind"),
                ("person", "organisation"),
                key=f"{prefix}.kind.{i}",
                format_func=lambda k: t(f"party_kind.{k}"),
            )
            name = st.text_input(t("party.name"), key=f"{prefix}.name.{i}", max_chars=80)
            phone = st.text_input(t("party.phone"), key=f"{prefix}.phone.{i}", max_chars=20)
            idn = st.text_input(t("party.id_number"), key=f"{prefix}.id.{i}", max_chars=18) if ids else ""
            if name.strip():
                parties.append(
                    PartyInput(side=side, kind=kind, name=name, phone=phone.strip(), id_number=(idn or "").strip())
                )
    return parties


def party_count_buttons(prefix: str, *, minimum: int = 2, maximum: int = 12) -> None:
    count = int(st.session_state.get(f"{prefix}.count", minimum))
    row = st.container(horizontal=True, gap="small")
    if row.button(
        t("party.add"), key=f"{prefix}.add", icon=":material/person_add:", width="stretch", disabled=count >= maximum
    ):
        st.session_state[f"{prefix}.count"] = count + 1
        st.rerun()
    if row.button(
        t("party.remove"),
        key=f"{prefix}.remove",
        icon=":material/person_remove:",
        width="stretch",
        disabled=count <= minimum,
    ):
        st.session_state[f"{prefix}.count"] = count - 1
        st.rerun()
