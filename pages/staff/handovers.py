"""Hand-overs: police and courts hand a dispute to a mediation organisation and follow it to its outcome;
receivers accept or return what was handed to them."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from pages.ui.case_ui import open_case, party_count_buttons, party_rows, show_flash
from pages.ui.db import get_db
from pages.ui.duty import render_liaison_on_call
from pages.ui.form_token import next_staff_form, staff_token
from pages.ui.guard import require_page
from pages.ui.i18n import current_language, t
from pages.ui.widgets import BadgeColor, attempt
from services.access.permissions import P
from services.cases import record as case_record
from services.cases import referrals, warnings
from services.core.clock import format_local
from services.lowcode import dictionaries

actor = require_page(P.CASE_VIEW)
PREFIX = "handovers.party"
REFERRAL_COLOR: dict[str, BadgeColor] = {"pending": "orange", "accepted": "green"}
TWIN = "handovers.twin"  # (the refused input, the look-alike case) until the sender decides
SOURCES = {"police": ("dispatch_110", "police_referral"), "court": ("court_entrust",)}
lang = current_language()

st.title(t("handovers.title"), anchor=False)
show_flash()
with get_db().read() as s:
    labels = {n: dictionaries.labels(s, n, lang) for n in ("source", "category", "risk_flag")}
    incoming = referrals.list_incoming(s, actor=actor) if actor.can(P.CASE_ACCEPT) else []
    sent = referrals.list_sent(s, actor=actor)
    choices = referrals.handover_targets(s, actor=actor) if actor.can(P.CASE_HANDOVER) else []
    targets = {o.id: o.name for o in choices}  # the liaison's own stationed room first, then the same town's
    token = staff_token("handover")
    saved = case_record.find_saved_case(s, actor=actor, token=token)


def send(data: referrals.HandoverInput) -> None:
    """File the hand-over; a look-alike of a recent case is held back for the sender to decide."""
    st.session_state.pop(TWIN, None)

    def run() -> object:
        try:
            with get_db().write() as s:
                return referrals.handover_case(s, actor=actor, data=data)
        except referrals.LooksLikeEarlier as err:  # nothing was written: ask the sender
            return err

    result = attempt(run)
    if isinstance(result, referrals.LooksLikeEarlier):
        st.session_state[TWIN] = (data, result.twin)
    if result is not None:
        st.rerun()  # the next run asks about the look-alike, or finds the saved case by the token and shows it


def ask_about_twin() -> None:
    """ "This looks like case X — send anyway?" above the form, which keeps what was typed (edit and send again)."""
    pending = st.session_state.get(TWIN)
    if pending is None or pending[0].form_token != token:
        return
    data, twin = pending
    st.warning(
        t("handovers.twin", no=twin.case_no, at=format_local(twin.received_at, short=True)), icon=":material/warning:"
    )
    row = st.container(horizontal=True, gap="small")
    if row.button(t("handovers.send_anyway"), key="handovers.send_anyway", type="primary", width="stretch"):
        send(replace(data, send_anyway=True))
    if row.button(t("handovers.open_twin"), key="handovers.open_twin", width="stretch"):
        st.session_state.pop(TWIN, None)
        open_case(twin.case_id)


def show_saved(no: str, case_id: int) -> None:
    """What the form saved, instead of the form (a late second tap reaches nothing)."""
    st.success(t("handovers.sent", no=no), icon=":material/check_circle:")
    row = st.container(horizontal=True, gap="small")
    if row.button(t("handovers.open"), key="handovers.saved_open", width="stretch", icon=":material/folder_open:"):
        next_staff_form("handover", "handovers.")
        open_case(case_id)
    if row.button(t("handovers.next"), key="handovers.next", type="primary", width="stretch", icon=":material/add:"):
        next_staff_form("handover", "handovers.")
        st.rerun()


def new_handover() -> None:
    sources = [c for role, codes in SOURCES.items() if role in actor.roles for c in codes] or [
        "dispatch_110",
        "police_referral",
        "court_entrust",
        "petition",
    ]
    render_liaison_on_call(actor)  # issue 13: the stationed mediator on duty now, with a call button
    if saved is not None:
        show_saved(saved.case_no, saved.id)
        return
    ask_about_twin()
    party_count_buttons(PREFIX)
    with st.form("handovers.form", border=False):
        source = st.selectbox(
            t("new_case.source"), sources, key="handovers.source", format_func=lambda c: labels["source"].get(c, c)
        )
        to = st.selectbox(
            t("handovers.to"),
            list(targets),
            index=0 if choices and choices[0].own else None,
            key="handovers.to",
            format_func=lambda i: targets[i],
            placeholder=t("handovers.to_hint"),
        )
        parties = party_rows(PREFIX, ids=False)
        category = st.selectbox(
            t("new_case.category"),
            list(labels["category"]),
            key="handovers.category",
            format_func=lambda c: labels["category"][c],
        )
        description = st.text_area(t("new_case.description"), key="handovers.description", max_chars=5000)
        note = st.text_area(t("handovers.note"), key="handovers.note", max_chars=2000)
        row = st.container(horizontal=True, gap="small")
        amount = row.number_input(t("new_case.amount"), min_value=0.0, step=100.0, key="handovers.amount")
        group = row.number_input(t("new_case.group_size"), min_value=0, step=1, key="handovers.group")
        risk = st.multiselect(
            t("new_case.flags"),
            warnings.MANUAL_FLAGS,
            key="handovers.flags",
            format_func=lambda f: labels["risk_flag"].get(f, t(f"flag.{f}")),
        )
        sent_now = st.form_submit_button(t("handovers.submit"), type="primary", width="stretch", icon=":material/send:")
    if sent_now:
        data = referrals.HandoverInput(
            to_org_id=to or 0,
            source=source or "",
            category=category or "",
            description=description,
            parties=parties,
            note=note,
            amount_fen=round((amount or 0) * 100),
            group_size=int(group or 0),
            risk_flags=list(risk),
            form_token=token,
        )
        send(data)


def card(r: referrals.ReferralRow, key: str, *, inbox: bool) -> None:
    with st.container(border=True):
        st.text(r.case_no)
        badges = st.container(horizontal=True, gap="small")
        badges.badge(t(f"referral.{r.status}"), color=REFERRAL_COLOR.get(r.status, "red"))
        badges.badge(t(f"status.{r.case_status}"), color="blue")
        st.text(f"{labels['category'].get(r.category, r.category)} · {r.parties}")
        st.text(t("handovers.route", frm=r.from_org, to=r.to_org, at=format_local(r.sent_at, short=True)))
        if r.reason:
            st.text(t("handovers.reason", reason=r.reason))
        if st.button(
            t("next.handover") if inbox else t("handovers.open"),
            key=f"{key}.{r.id}",
            width="stretch",
            type="primary" if inbox else "secondary",
            icon=":material/arrow_forward:",
        ):
            open_case(r.case_id, "handover" if inbox else None)


tabs = [k for k, ok in (("new", bool(targets)), ("incoming", actor.can(P.CASE_ACCEPT)), ("sent", True)) if ok]
for name, tab in zip(tabs, st.tabs([t(f"handovers.tab_{k}", n=len(incoming)) for k in tabs]), strict=True):
    with tab:
        if name == "new":
            new_handover()
        rows = incoming if name == "incoming" else sent if name == "sent" else []
        if name != "new" and not rows:
            st.info(t("handovers.none"), icon=":material/inbox:")
        for r in rows:
            card(r, f"handovers.{name}", inbox=name == "incoming")
