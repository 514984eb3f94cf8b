"""The subsidy ledger (补贴台账) of the justice office: filter and total the claims, review one, bulk-claim a period."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from pages.ui.case_ui import flash, show_flash, write
from pages.ui.db import get_db
from pages.ui.guard import require_page
from pages.ui.i18n import current_language, t
from pages.ui.ledger_bulk import bulk_review
from pages.ui.ledger_ui import hold_reasons, kind_text, status_badge, status_text
from services.access.permissions import P
from services.core import clock
from services.ledger import claims as ledger
from services.ledger import views as ledger_views
from services.ledger.policy import format_yuan
from services.lowcode import dictionaries

actor = require_page(P.LEDGER_AUDIT)
db = get_db()
STATUSES = ("claimed", "held", "audited", "approved", "paid", "rejected", "reversed")
CURSORS = "ledger.cursors"  # the keyset cursor of each page before this one (None = the first page)
today = clock.today()
months = [
    ((today.replace(day=1) - timedelta(days=31 * i)).year, (today.replace(day=1) - timedelta(days=31 * i)).month)
    for i in range(24)
]

st.title(t("ledger.title"), anchor=False)
show_flash()
with db.read() as s:
    counties = dict(ledger_views.counties(s, actor=actor))
    grades = dictionaries.labels(s, "grade", current_language())

with st.expander(t("ledger.filters"), icon=":material/filter_list:"):
    status = st.selectbox(
        t("ledger.f_status"),
        [None, *STATUSES],
        key="ledger.f_status",
        format_func=lambda v: t("ledger.all") if v is None else status_text(v),
    )
    kind = st.selectbox(
        t("ledger.f_kind"),
        [None, "subsidy", "award"],
        key="ledger.f_kind",
        format_func=lambda v: t("ledger.all") if v is None else kind_text(v),
    )
    county = st.selectbox(
        t("ledger.f_county"),
        [None, *counties],
        key="ledger.f_county",
        format_func=lambda v: t("ledger.all") if v is None else counties[v],
    )
    month = st.selectbox(
        t("ledger.f_month"),
        [None, *months],
        key="ledger.f_month",
        format_func=lambda v: t("ledger.all") if v is None else f"{v[0]}-{v[1]:02d}",
    )
filters = (status, kind, county, month)
if st.session_state.get("ledger.filters_were") != filters:
    st.session_state["ledger.filters_were"] = filters
    st.session_state[CURSORS] = []
cursors: list[int] = st.session_state.get(CURSORS) or []
with db.read() as s:
    page = ledger_views.list_claims(
        s, actor=actor, status=status, kind=kind, county_id=county, month=month, after=cursors[-1] if cursors else None
    )

with st.container(horizontal=True, gap="medium"):  # side by side on a phone too, wrapping when narrow
    st.metric(t("ledger.count"), page.count, width="content")
    st.metric(t("ledger.amount"), format_yuan(page.amount_fen), width="content")
    st.metric(t("ledger.paid_net"), format_yuan(page.paid_net_fen), width="content")
st.dataframe(
    [
        {
            t("ledger.col_case"): r.case_no,
            t("ledger.col_mediator"): r.mediator_name,
            t("ledger.col_amount"): format_yuan(r.amount_fen),
            t("ledger.col_status"): status_text(r.status),
            t("ledger.col_kind"): kind_text(r.kind),
            t("ledger.col_org"): r.org_name,
        }
        for r in page.rows
    ],
    hide_index=True,
    width="stretch",
)
nav = st.container(horizontal=True, gap="small")
if cursors and nav.button(t("ledger.first_page"), key="ledger.first", width="stretch", icon=":material/first_page:"):
    st.session_state[CURSORS] = []
    st.rerun()
if cursors and nav.button(t("paging.prev"), key="ledger.prev", width="stretch", icon=":material/navigate_before:"):
    st.session_state[CURSORS] = cursors[:-1]
    st.rerun()
if page.after is not None and nav.button(
    t("ledger.next_page"), key="ledger.next", width="stretch", icon=":material/navigate_next:"
):
    st.session_state[CURSORS] = [*cursors, page.after]
    st.rerun()

with st.expander(t("ledger.bulk_title"), icon=":material/playlist_add:"):
    with st.form("ledger.bulk", clear_on_submit=False):
        start = st.date_input(t("ledger.bulk_from"), value=today.replace(day=1), key="ledger.bulk_from")
        end = st.date_input(t("ledger.bulk_to"), value=today, key="ledger.bulk_to")
        st.caption(t("ledger.bulk_help"))
        bulk = st.form_submit_button(
            t("ledger.bulk_submit"), key="ledger.bulk_go", width="stretch", icon=":material/playlist_add_check:"
        )
    if bulk and (counts := write(lambda s: ledger.bulk_claim(s, actor=actor, start=start, end=end))) is not None:
        flash("ledger.bulk_done", claimed=counts[0], held=counts[1], skipped=counts[2])
        st.rerun()

bulk_review(db, actor, filters={"status": status, "kind": kind, "county_id": county, "month": month})

st.subheader(t("ledger.review_title"), anchor=False)
rows = {r.id: r for r in page.rows}
if not rows:
    st.info(t("ledger.empty"), icon=":material/inbox:")
    st.stop()
claim_id = st.selectbox(
    t("ledger.pick"),
    list(rows),
    key="ledger.pick",
    format_func=lambda i: " · ".join(
        (rows[i].case_no, rows[i].mediator_name, format_yuan(rows[i].amount_fen), status_text(rows[i].status))
    ),
)
row = rows[claim_id]
with st.container(border=True):
    status_badge(row.status)
    st.text(
        f"{row.case_no} · {kind_text(row.kind)} · {grades.get(row.grade, row.grade)} · "
        f"{format_yuan(row.amount_fen)} {t('ledger.yuan')}"
    )
    st.text(f"{row.mediator_name} · {row.org_name}" + (f" · {row.batch_code}" if row.batch_code else ""))
    for text in hold_reasons(row.hold_reason) if row.status == "held" else []:
        st.warning(t("ledger.held_because", reason=text), icon=":material/pause_circle:")
    with st.expander(t("ledger.history"), icon=":material/history:"):
        with db.read() as s:
            history = ledger_views.claim_history(s, actor=actor, claim_id=claim_id)
        for e in history:
            money = f" · {format_yuan(e.amount_fen)}" if e.action in ("pay", "reverse") else ""
            who = (e.actor_name or t("ledger.actor_unknown")) + (f"（{e.org_name}）" if e.org_name else "")
            st.text(f"{clock.format_local(e.at)} · {t('ledger.action.' + e.action)}{money} · {who}")
            if e.note:
                st.text(t("ledger.note", note=e.note))

actions = ledger.allowed_actions(actor, status=row.status)
if actions:
    with st.form(f"ledger.act.{claim_id}", clear_on_submit=True):
        action = st.radio(
            t("ledger.action_pick"),
            actions,
            key="ledger.action",
            horizontal=True,
            format_func=lambda a: t(f"ledger.do.{a}"),
        )
        note = st.text_area(t("ledger.why"), key="ledger.why", max_chars=500, height=80)
        over = (
            st.text_input(t("ledger.override"), key="ledger.override", max_chars=300, help=t("ledger.override_help"))
            if "approve" in actions
            else ""
        )
        go = st.form_submit_button(
            t("ledger.submit"), key="ledger.go", type="primary", width="stretch", icon=":material/check:"
        )
    if (
        go
        and write(
            lambda s: ledger.review_claim(
                s, actor=actor, claim_id=claim_id, action=action, note=note, override_reason=over
            )
        )
        is not None
    ):
        flash("ledger.done", action=t(f"ledger.do.{action}"), no=row.case_no)
        st.rerun()
