"""/party-links?case=<id>: issue and withdraw parties' personal links; see who confirmed the agreement.

Opened from the case page: "当事人链接", or "在线调解" (`&show=online`, the online sessions first).
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

import streamlit as st
from sqlmodel import Session

from pages.nav import spec_for
from pages.ui.case_ui import write
from pages.ui.db import get_db
from pages.ui.guard import require_page
from pages.ui.i18n import t
from pages.ui.widgets import attempt
from services.access.permissions import P
from services.cases import online as online_sessions
from services.cases import party_links
from services.cases import party_view as party_page
from services.core.clock import LOCAL_TZ, format_local, format_local_date
from services.core.config import get_settings
from services.intake.posters import qr_png

actor = require_page(P.CASE_MEDIATE)
db = get_db()
ISSUED = "party_links.issued"
st.title(t("party_links.title"), anchor=False)
st.caption(t("party_links.help"))

raw = str(st.query_params.get("case", ""))
if not raw.isdigit() or len(raw) > 12:
    st.info(t("party_links.pick_case"), icon=":material/folder_open:")
    st.stop()
case_id = int(raw)


def read():  # type: ignore[no-untyped-def]
    with db.read() as s:
        return (
            party_links.case_for_links(s, actor=actor, case_id=case_id),
            party_links.case_parties(s, actor=actor, case_id=case_id),
            party_links.list_links(s, actor=actor, case_id=case_id),
            party_page.confirmation_status(s, actor=actor, case_id=case_id),
        )


loaded = attempt(read)
if loaded is None:
    st.stop()
case, parties, links, status = loaded
st.page_link(
    spec_for("case").path, label=t("case_links.back"), icon=":material/arrow_back:", query_params={"case": raw}
)
st.text(case.case_no)


def links_section() -> None:
    """Issue a party's link, see who confirmed the agreement, withdraw links."""
    issued = st.session_state.get(ISSUED)
    if issued is not None and issued[0] == case_id:
        st.success(t("party_links.issued", date=format_local_date(issued[1].expires_at)), icon=":material/link:")
        st.code(issued[1].url, language=None, wrap_lines=True)
        st.image(qr_png(issued[1].url, box_size=6), width=220)

    labels = {
        p.party_id: f"{t('party.side_' + p.side)} · {p.masked_name}"
        + ("" if p.has_phone else f" ({t('party_links.no_phone')})")
        for p in parties
    }
    with st.form("party_links.form", border=True):
        party_id = st.selectbox(
            t("party_links.party"), list(labels), format_func=lambda i: labels[i], key="party_links.party"
        )
        days = st.number_input(
            t("party_links.days"),
            min_value=1,
            max_value=90,
            value=get_settings().party_link_days,
            key="party_links.days",
        )
        if st.form_submit_button(
            t("party_links.issue"), type="primary", icon=":material/add_link:", width="stretch", key="party_links.issue"
        ):
            done = write(
                lambda s: party_links.issue_link(
                    s, actor=actor, case_id=case_id, party_id=int(party_id), days=int(days)
                )
            )
            if done is not None:
                st.session_state[ISSUED] = (case_id, done)
                st.rerun()

    if status.version is not None:
        st.subheader(t("party_links.confirmations", version=status.version), anchor=False)
        if status.all_confirmed:
            st.success(t("party_links.all_confirmed"), icon=":material/verified:")
        for row in status.rows:
            with st.container(border=True):
                st.caption(
                    f"{t('party.side_' + row.side)} · {t('party_links.decision_' + (row.decision or 'none'))}"
                    + (f" · {format_local(row.at)}" if row.at else "")
                )
                st.text(row.masked_name + (f"：{row.reason}" if row.reason else ""))

    if links:
        st.subheader(t("party_links.list"), anchor=False)
    for row in links:
        with st.container(border=True):
            st.caption(f"{t('party_links.status_' + row.status)} · {format_local(row.expires_at)}")
            st.text(row.party_label.split(":", 1)[1])
            revoke = row.status in ("active", "locked") and st.button(
                t("party_links.revoke"), icon=":material/link_off:", key=f"party_links.revoke.{row.link_id}"
            )
            if revoke and write(partial(revoke_link, link_id=row.link_id)):
                st.session_state.pop(ISSUED, None)
                st.rerun()


def revoke_link(s: Session, *, link_id: int) -> bool:
    return party_links.revoke_link(s, actor=actor, link_id=link_id)


def read_online():  # type: ignore[no-untyped-def]
    with db.read() as s:
        return online_sessions.list_online(s, actor=actor, case_id=case_id)


def online_section() -> None:
    """Online sessions (issue 13): schedule with a meeting link; afterwards record who attended and how long."""
    st.subheader(t("online.title"), anchor=False)
    with st.form("online.form", border=True):
        day = st.date_input(t("online.when_day"), key="online.day")
        at_time = st.time_input(t("online.when_time"), value=None, step=900, key="online.time")
        url = st.text_input(t("online.url"), key="online.url", max_chars=400, placeholder="https://")
        if st.form_submit_button(
            t("online.schedule"), type="primary", icon=":material/video_call:", width="stretch", key="online.schedule"
        ):
            when = datetime.combine(day, at_time or datetime.min.time(), tzinfo=LOCAL_TZ)
            if write(
                lambda s: online_sessions.schedule_online(
                    s, actor=actor, case_id=case_id, held_at=when, meeting_url=url
                )
            ):
                st.rerun()

    party_names = {p.party_id: f"{t('party.side_' + p.side)} · {p.masked_name}" for p in parties}
    for o in attempt(read_online) or []:
        with st.container(border=True):
            st.caption(
                t(
                    "online.row",
                    at=format_local(o.held_at),
                    n=o.attended,
                    minutes=t("party.minutes", n=o.duration_minutes) if o.duration_minutes else "—",
                )
            )
            st.text(o.meeting_url)
            with (
                st.expander(t("online.record"), icon=":material/how_to_reg:"),
                st.form(f"online.att.{o.session_id}", border=False),
            ):
                who = st.multiselect(t("online.attended"), list(party_names), format_func=lambda i: party_names[i])
                minutes = st.number_input(t("online.minutes"), min_value=1, max_value=1440, value=60)
                saved = st.form_submit_button(t("online.record"), width="stretch") and write(
                    partial(
                        online_sessions.record_attendance,
                        actor=actor,
                        session_id=o.session_id,
                        attended=[int(x) for x in who],
                        duration_minutes=int(minutes),
                    )
                )
                if saved:
                    st.rerun()


# the case page links here for party links, or with ?show=online for its online sessions
if st.query_params.get("show") == "online":
    online_section()
    links_section()
else:
    links_section()
    online_section()
