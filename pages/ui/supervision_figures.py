"""Supervision figures on the dashboard (one call from the dashboard page): each number with its formula."""

from __future__ import annotations

from datetime import date

import streamlit as st

from pages.nav import spec_for
from pages.ui.db import get_db
from pages.ui.i18n import t
from services.access.authz import Actor
from services.access.permissions import P
from services.supervision import figures


def render(actor: Actor, first: date, last: date, *, desk_link: bool = True) -> None:
    """Orders opened, on time, overdue, de-listed, average days to de-list, accountability events, in the period."""
    if not actor.can(P.STATS_VIEW):
        return
    with get_db().read() as s:
        f = figures.supervision_figures(s, actor=actor, first=first, last=last)
    st.subheader(t("supervision.figures"), anchor=False)
    grid = st.container(horizontal=True, gap="small")
    for name in figures.FIGURES:
        value = getattr(f, name)
        shown = "—" if value is None else str(value)
        grid.metric(
            t(f"supervision.figure.{name}"), shown, border=True, width=150, help=t(f"supervision.formula.{name}")
        )
    st.caption(t("supervision.figures_caption"))
    if desk_link and actor.can(P.SUPERVISE):  # the orders behind these numbers are on the desk
        st.page_link(spec_for("supervision").path, label=t("nav.supervision"), icon=":material/flag:")
