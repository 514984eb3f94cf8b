"""Payouts (补贴发放): gather approved claims into a numbered batch, export the sheet, mark it paid, publish it."""

from __future__ import annotations

import streamlit as st

from pages.ui.case_ui import flash, show_flash, write
from pages.ui.db import get_db
from pages.ui.guard import require_page
from pages.ui.i18n import t
from pages.ui.ledger_ui import status_text
from pages.ui.widgets import attempt
from services.access.permissions import P
from services.core.clock import format_local_date
from services.ledger import payout as ledger_payout
from services.ledger import sheet as ledger_sheet
from services.ledger import views as ledger_views
from services.ledger.policy import format_yuan

actor = require_page(P.LEDGER_PAY)
db = get_db()

st.title(t("payouts.title"), anchor=False)
show_flash()
with db.read() as s:
    regions = dict(ledger_views.regions(s, actor=actor))
    waiting = ledger_views.list_claims(s, actor=actor, status="approved")
    batches = ledger_views.list_batches(s, actor=actor)

st.metric(t("payouts.waiting"), t("payouts.waiting_value", n=waiting.count, amount=format_yuan(waiting.amount_fen)))
with st.form("payouts.create"):
    region = st.selectbox(t("payouts.region"), list(regions), format_func=lambda i: regions[i], key="payouts.region")
    st.caption(t("payouts.create_help"))
    create = st.form_submit_button(
        t("payouts.create"), key="payouts.create_go", type="primary", width="stretch", icon=":material/add_card:"
    )
if create and (batch := write(lambda s: ledger_payout.create_batch(s, actor=actor, region_org_id=region))):
    flash("payouts.created", code=batch.code, amount=format_yuan(batch.total_fen))
    st.session_state["payouts.batch"] = batch.id
    st.rerun()

st.subheader(t("payouts.batches"), anchor=False)
if not batches:
    st.info(t("payouts.none"), icon=":material/inbox:")
    st.stop()
by_id = {b.id: b for b in batches}
if st.session_state.get("payouts.batch") not in by_id:
    st.session_state["payouts.batch"] = batches[0].id
batch_id = st.selectbox(
    t("payouts.pick"),
    list(by_id),
    key="payouts.batch",
    format_func=lambda i: (
        f"{by_id[i].code} · {t('payouts.status.' + by_id[i].status)} · {format_yuan(by_id[i].total_fen)}"
    ),
)
with db.read() as s:
    summary = ledger_payout.batch_summary(s, actor=actor, batch_id=batch_id)

with st.container(horizontal=True, gap="medium"):
    st.metric(t("payouts.total"), format_yuan(summary.total_fen), width="content")
    st.metric(t("payouts.claims"), len(summary.lines), width="content")
st.text(
    t("payouts.made", region=summary.region_name, day=format_local_date(summary.created_at))
    + (" · " + t("payouts.paid_on", day=format_local_date(summary.paid_at)) if summary.paid_at else "")
)
if summary.notice_until:
    st.text(t("payouts.notice_until", day=summary.notice_until.isoformat()))
st.dataframe(
    [
        {
            t("payouts.col_mediator"): p.mediator_name,
            t("payouts.col_org"): p.org_name,
            t("payouts.col_cases"): p.cases,
            t("payouts.col_total"): format_yuan(p.total_fen),
        }
        for p in summary.payees()
    ],
    hide_index=True,
    width="stretch",
)
with st.expander(t("payouts.lines"), icon=":material/list:"):
    st.dataframe(
        [
            {
                t("ledger.col_case"): ln.case_no,
                t("payouts.col_mediator"): ln.mediator_name,
                t("ledger.col_amount"): format_yuan(ln.amount_fen),
                t("ledger.col_status"): status_text(ln.status),
            }
            for ln in summary.lines
        ],
        hide_index=True,
        width="stretch",
    )


def _sheet() -> bytes:
    with db.read() as s:
        return ledger_sheet.payout_workbook(s, actor=actor, batch_id=batch_id)


if (data := attempt(_sheet)) is not None:
    st.download_button(
        t("payouts.download"),
        data=data,
        file_name=f"{summary.code}.xlsx",
        key="payouts.download",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        width="stretch",
        icon=":material/download:",
    )

if summary.status == "open":
    with st.form("payouts.pay"):
        sure = st.checkbox(
            t("payouts.confirm", code=summary.code, amount=format_yuan(summary.total_fen)), key="payouts.confirm"
        )
        pay = st.form_submit_button(
            t("payouts.mark_paid"), key="payouts.pay_go", type="primary", width="stretch", icon=":material/paid:"
        )
    if pay and not sure:
        st.warning(t("payouts.confirm_first"), icon=":material/warning:")
    elif pay and (result := write(lambda s: ledger_payout.mark_batch_paid(s, actor=actor, batch_id=batch_id))):
        flash(
            "payouts.replayed" if result.replayed else "payouts.paid",
            code=result.code,
            n=result.paid_claims,
            amount=format_yuan(result.paid_fen),
        )
        st.rerun()
    if st.button(t("payouts.cancel"), key="payouts.cancel", width="stretch", icon=":material/cancel:") and write(
        lambda s: ledger_payout.cancel_batch(s, actor=actor, batch_id=batch_id)
    ):
        flash("payouts.cancelled", code=summary.code)
        st.rerun()
elif summary.status == "paid":
    with st.form("payouts.publish"):
        days = st.number_input(t("payouts.notice_days"), min_value=1, max_value=30, value=7, step=1, key="payouts.days")
        st.caption(t("payouts.notice_help"))
        publish = st.form_submit_button(
            t("payouts.publish"), key="payouts.publish_go", width="stretch", icon=":material/campaign:"
        )
    if publish and write(lambda s: ledger_payout.publish_notice(s, actor=actor, batch_id=batch_id, days=int(days))):
        flash("payouts.published", code=summary.code)
        st.rerun()
