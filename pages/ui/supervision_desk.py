"""The supervision desk's list and a handling body's to-report list (top of its workbench)."""

from __future__ import annotations

from typing import Literal

import streamlit as st

from pages.ui.case_ui import open_case
from pages.ui.db import get_db
from pages.ui.i18n import current_language, t
from services.access.authz import Actor
from services.supervision import desk
from services.supervision.desk import DeskRow

Colour = Literal["red", "orange", "yellow", "blue", "green", "violet", "gray", "grey", "primary"]
STATE_COLOURS: dict[str, Colour] = {
    "watching": "blue",
    "near": "orange",
    "overdue": "red",
    "delist_requested": "violet",
    "delisted": "gray",
}


def order_card(r: DeskRow, key: str) -> None:
    """One order as a card: case number, state, reason, who acts, the due days; one tap opens the case."""
    with st.container(border=True):
        badges = st.container(horizontal=True, gap="small", vertical_alignment="center")
        badges.text(r.case_no)
        badges.badge(t(f"supervision.state.{r.state}"), icon=":material/flag:", color=STATE_COLOURS[r.state])
        for kind in (k for k in r.pending if k != "delist"):  # 待摘牌 already says it
            badges.badge(t(f"supervision.pending.{kind}"), color="violet")
        st.text(f"{r.reason} · {r.handling_org}")
        due = t("supervision.card_due", report=r.report_due.isoformat(), deadline=r.deadline.isoformat())
        st.caption(due if r.state != "delisted" else t("supervision.card_deadline", deadline=r.deadline.isoformat()))
        if st.button(t("supervision.open_case"), key=f"{key}.{r.id}", width="stretch", icon=":material/arrow_forward:"):
            open_case(r.case_id)


def workbench_todo(actor: Actor) -> None:
    """For a handling body: its supervision orders, the earliest report due first (nothing when none)."""
    with get_db().read() as s:
        rows = desk.my_reports(s, actor=actor, lang=current_language())
    if not rows:
        return
    with st.container(border=True, key="sup.todo"):
        st.markdown(f"**{t('supervision.todo_title', n=len(rows))}**")
        st.caption(t("supervision.todo_caption"))
        for r in rows:
            order_card(r, "sup.todo.open")
