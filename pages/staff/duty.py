"""/duty: the week's duty schedule of a stationed room as cards per day (phone first); editors assign and remove."""

from __future__ import annotations

from functools import partial

import streamlit as st

from pages.ui.case_ui import write
from pages.ui.db import get_db
from pages.ui.duty import render_on_call
from pages.ui.guard import require_page
from pages.ui.i18n import t
from pages.ui.widgets import attempt
from services.access.permissions import P
from services.core import clock
from services.core.config import get_settings
from services.roster import duty

actor = require_page(P.ROSTER_VIEW)
db = get_db()
st.title(t("duty.title"), anchor=False)
st.caption(t("duty.help"))


def load_rooms():  # type: ignore[no-untyped-def]
    with db.read() as s:
        return duty.rooms(s, actor=actor)


rooms = attempt(load_rooms) or []
if not rooms:
    st.info(t("duty.no_rooms"), icon=":material/meeting_room:")
    st.stop()
names = {r.org_id: r.name for r in rooms}
org_id = st.selectbox(t("duty.room"), list(names), format_func=lambda i: names[i], key="duty.room")
start = st.date_input(t("duty.week_of"), value=duty.week_start(clock.today()), key="duty.week")
start = duty.week_start(start)
editor = actor.can(P.DUTY_EDIT)

if editor:  # reading only: the background dispatcher tells the room's coordination office about each gap, once
    with db.read() as s:
        open_gaps = len(duty.gaps(s, today=clock.today(), org_ids=[int(org_id)]))
    if open_gaps:
        st.warning(t("duty.gaps_flagged", n=open_gaps), icon=":material/warning:")

render_on_call(int(org_id))


def load_week():  # type: ignore[no-untyped-def]
    with db.read() as s:
        return (
            duty.week(s, actor=actor, org_id=int(org_id), start=start),
            duty.mediators_for(s, actor=actor, org_id=int(org_id)),
        )


loaded = attempt(load_week)
if loaded is None:
    st.stop()
days, mediators = loaded
labels = {m.mediator_id: m.name for m in mediators}
s_, e_ = get_settings().duty_day_start.strftime("%H:%M"), get_settings().duty_day_end.strftime("%H:%M")
for d in days:
    with st.container(border=True):
        st.markdown(f"**{d.day.isoformat()}** · {t('weekday.' + str(d.day.weekday()))}")
        for kind, slots in (("day", d.day_shift), ("night", d.night_shift)):
            st.caption(t(f"duty.{kind}", start=s_, end=e_))
            if not slots:
                st.error(t("duty.gap"), icon=":material/person_off:")
            for slot in slots:
                cols = st.columns([3, 1]) if editor else [st.container()]
                cols[0].text(f"{slot.name} {slot.phone}")
                removed = editor and cols[1].button(
                    t("duty.remove"), icon=":material/close:", key=f"duty.rm.{slot.shift_id}"
                )
                if removed and write(partial(duty.unassign, actor=actor, shift_id=slot.shift_id)):
                    st.rerun()
        if editor and labels:
            with (
                st.popover(t("duty.add"), icon=":material/person_add:", width="stretch"),
                st.form(f"duty.add.{d.day.isoformat()}", border=False),
            ):
                who = st.selectbox(t("duty.mediator"), list(labels), format_func=lambda i: labels[i])
                kind = st.radio(
                    t("duty.kind"), ["day", "night"], format_func=lambda k: t(f"duty.kind_{k}"), horizontal=True
                )
                added = st.form_submit_button(t("duty.add"), type="primary", width="stretch") and write(
                    partial(
                        duty.assign,
                        actor=actor,
                        org_id=int(org_id),
                        mediator_id=int(who or 0),
                        day=d.day,
                        kind=str(kind),
                    )
                )
                if added:
                    st.rerun()
