"""A resident's panels on their party link page and on /track: book a time (预约调解), and — on the party
page — ask for another mediator (回避). Each panel is driven by service functions that check the link or the
tracking code themselves; what they return is kept in the session and refreshed only after an action."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from functools import partial

import streamlit as st

from pages.ui.auth import client_id
from pages.ui.i18n import t
from pages.ui.widgets import attempt
from services.core.clock import format_local, local_time
from services.core.db import Database
from services.trust import appointments, recusal
from services.trust.appointments import ResidentState, Slot
from services.trust.recusal import PartyRecusal


def _slot_label(slot: Slot) -> str:
    weekday = t(f"appointment.weekday.{local_time(slot.start).weekday()}")
    day = f"{format_local(slot.start, short=True)} {weekday}"
    return t("appointment.free", time=day, free=slot.free)


def booking_panel(
    key: str,
    load: Callable[[], ResidentState],
    book: Callable[[datetime, str], object],
    cancel: Callable[[int], object],
) -> None:
    """Bookings of the case with their state, the proposed time if any, and a slot picker while it may book."""
    cache = f"{key}.state"
    if cache not in st.session_state:
        st.session_state[cache] = attempt(load)
    state: ResidentState | None = st.session_state.get(cache)
    if state is None or not (state.can_book or state.appointments):
        return
    st.subheader(t("appointment.title"), anchor=False)
    for a in state.appointments[:3]:
        with st.container(border=True):
            st.text(t("appointment.line", when=format_local(a.slot_start), status=t(f"appointment.status.{a.status}")))
            if a.status == "moved" and a.proposed_start:
                st.info(t("appointment.proposed", when=format_local(a.proposed_start)), icon=":material/event:")
                if (
                    state.can_book
                    and st.button(
                        t("appointment.take_proposed"), key=f"{key}.take.{a.id}", icon=":material/event_available:"
                    )
                    and attempt(partial(book, a.proposed_start, secrets.token_urlsafe(16))) is not None
                ):
                    st.session_state.pop(cache, None)
                    st.rerun()
            if (
                a.status in ("requested", "confirmed")
                and st.button(t("appointment.cancel"), key=f"{key}.cancel.{a.id}", icon=":material/event_busy:")
                and attempt(partial(cancel, a.id)) is not None
            ):
                st.session_state.pop(cache, None)
                st.toast(t("appointment.cancelled"), icon=":material/event_busy:")
                st.rerun()
    if not state.can_book:
        return
    st.caption(t("appointment.help"))
    if not state.slots:
        st.info(t("appointment.none"), icon=":material/event_busy:")
        return
    token_key = f"{key}.token"
    st.session_state.setdefault(token_key, secrets.token_urlsafe(16))
    with st.form(f"{key}.form", border=False):
        chosen = st.selectbox(t("appointment.slot"), state.slots, format_func=_slot_label, key=f"{key}.slot", index=0)
        if st.form_submit_button(
            t("appointment.book"), type="primary", icon=":material/event_available:", width="stretch", key=f"{key}.book"
        ):
            token = str(st.session_state[token_key])
            if chosen is not None and attempt(lambda: book(chosen.start, token)) is not None:
                st.session_state.pop(cache, None)
                st.session_state[token_key] = secrets.token_urlsafe(16)
                st.toast(t("appointment.booked"), icon=":material/event_available:")
                st.rerun()


def recusal_panel(key: str, load: Callable[[], list[PartyRecusal]], send: Callable[[str], object]) -> None:
    """The party's own recusal requests with their outcome, and the request form while none is pending."""
    cache = f"{key}.requests"
    if cache not in st.session_state:
        st.session_state[cache] = attempt(load)
    requests: list[PartyRecusal] | None = st.session_state.get(cache)
    if requests is None:
        return
    for r in requests[:3]:
        when = format_local(r.decided_at or r.created_at)
        icon = {"granted": ":material/task_alt:", "refused": ":material/block:"}.get(
            r.status, ":material/hourglass_top:"
        )
        st.info(t(f"recusal.status.{r.status}", date=when), icon=icon)
    if any(r.status == "pending" for r in requests):
        return
    with st.expander(t("recusal.title"), icon=":material/person_remove:"), st.form(f"{key}.recusal", border=False):
        st.caption(t("recusal.help"))
        reason = st.text_area(t("recusal.reason"), key=f"{key}.reason", max_chars=500, height=100)
        sent = st.form_submit_button(t("recusal.submit"), icon=":material/send:", width="stretch", key=f"{key}.submit")
    if sent and attempt(lambda: send(reason)) is not None:
        st.session_state.pop(cache, None)
        st.toast(t("recusal.sent"), icon=":material/send:")
        st.rerun()


def party_panels(db: Database, token: str, digits: str) -> None:
    """The party link page's booking and recusal panels (keys by link, so another link starts fresh)."""
    key = f"trust.party.{token[-8:]}"
    client = client_id()
    booking_panel(
        key,
        lambda: appointments.state_by_party(db, token=token, last4=digits, client=client),
        lambda when, once: appointments.book_by_party(
            db, token=token, last4=digits, slot_start=when, client=client, booking_token=once
        ),
        lambda aid: appointments.cancel_by_party(db, token=token, last4=digits, appointment_id=aid, client=client),
    )
    recusal_panel(
        key,
        lambda: recusal.party_requests(db, token=token, last4=digits, client=client),
        lambda reason: recusal.request_by_party(db, token=token, last4=digits, reason=reason, client=client),
    )


def track_panel(db: Database, code: str, last4: str, *, receipt: bool = False) -> None:
    """/track's booking panel for the case found by code and phone digits; under the intake receipt (`receipt`)
    the state is read without a code check, which only booking and cancelling then spend."""
    key = f"trust.track.{code[-6:]}"
    client = client_id()
    booking_panel(
        key,
        (lambda: appointments.state_after_intake(db, tracking_code=code))
        if receipt
        else (lambda: appointments.state_by_tracking(db, code=code, last4=last4, client=client)),
        lambda when, once: appointments.book_by_tracking(
            db, code=code, last4=last4, slot_start=when, client=client, booking_token=once
        ),
        lambda aid: appointments.cancel_by_tracking(db, code=code, last4=last4, appointment_id=aid, client=client),
    )
