"""Duty widgets: the mediator on duty in a stationed room now (with a call button), and my own duties."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from pages.ui.db import get_db
from pages.ui.i18n import t
from services.access.authz import Actor
from services.core.text import escape_markdown as esc
from services.roster import duty


def render_on_call(org_id: int, at: datetime | None = None) -> None:
    """Who is on the desk (day) or on call (night) in room `org_id` at `at` (default now), each with a tel: button."""
    with get_db().read() as s:
        people = duty.on_call(s, org_id=org_id, at=at)
        phone = duty.room_phone(s, org_id)
    with st.container(border=True):
        st.caption(t("duty.on_call"))
        if not people:
            st.warning(t("duty.nobody", phone=phone or "—"), icon=":material/person_off:")
            if phone:
                st.link_button(t("duty.call", name=phone), f"tel:{phone}", icon=":material/call:", width="stretch")
            return
        for p in people:
            st.text(f"{p.name} · {t('duty.kind_' + p.kind)}")
            if p.phone:
                st.link_button(
                    t("duty.call", name=p.name),
                    f"tel:{p.phone}",
                    type="primary",
                    icon=":material/call:",
                    width="stretch",
                    key=f"duty.call.{org_id}.{p.mediator_id}",
                )


def render_liaison_on_call(actor: Actor, at: datetime | None = None) -> None:
    """For the police liaison and the 110 hand-over form: the stationed room(s) in or beside the actor's
    organisation, each with who is on duty at `at` (default now) and a call button."""
    with get_db().read() as s:
        rooms = duty.liaison_rooms(s, actor=actor)
    for room in rooms:
        st.caption(esc(room.name))
        render_on_call(room.org_id, at)


def render_my_duties(actor: Actor, days: int = 7) -> None:
    """The signed-in mediator's own shifts in the coming `days` days (nothing when they have none)."""
    with get_db().read() as s:
        mine = duty.my_duties(s, actor=actor, days=days)
    if not mine:
        return
    with st.container(border=True):
        st.caption(t("duty.mine"))
        for d in mine:
            st.text(f"{d.day.isoformat()} · {t('duty.kind_' + d.kind)} · {d.room}")
