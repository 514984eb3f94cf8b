"""My subsidies (我的补贴): claim the subsidy of a succeeded case, or an award for a major one; follow my claims."""

from __future__ import annotations

import streamlit as st

from pages.ui.case_ui import flash, show_flash, write
from pages.ui.db import get_db
from pages.ui.guard import require_page
from pages.ui.i18n import current_language, t
from pages.ui.ledger_ui import claim_card, hold_reasons, status_text
from pages.ui.widgets import attempt
from services.access.permissions import P
from services.core.clock import format_local
from services.ledger import claims as ledger
from services.ledger import views as ledger_views
from services.ledger.policy import format_yuan, parse_yuan
from services.lowcode import dictionaries

actor = require_page(P.LEDGER_CLAIM)
db = get_db()
OPEN = ("claimed", "held", "audited", "approved")

st.title(t("subsidies.title"), anchor=False)
show_flash()
with db.read() as s:
    claims = ledger_views.my_claims(s, actor=actor)
    claimable = ledger_views.claimable_cases(s, actor=actor)
    categories = dictionaries.labels(s, "category", current_language())
    grades = dictionaries.labels(s, "grade", current_language())

with st.container(horizontal=True, gap="medium"):
    st.metric(
        t("subsidies.pending"), format_yuan(sum(c.amount_fen for c in claims if c.status in OPEN)), width="content"
    )
    st.metric(
        t("subsidies.paid"), format_yuan(sum(c.amount_fen for c in claims if c.status == "paid")), width="content"
    )

st.subheader(t("subsidies.claim_title"), anchor=False)
if not claimable:
    st.info(t("subsidies.none_claimable"), icon=":material/inbox:")
else:
    by_id = {c.case_id: c for c in claimable}
    case_id = st.selectbox(
        t("subsidies.case"),
        list(by_id),
        key="subsidies.case",
        format_func=lambda i: (
            f"{by_id[i].case_no} · {categories.get(by_id[i].category, by_id[i].category)} · "
            f"{grades.get(by_id[i].grade, by_id[i].grade)}"
        ),
    )
    chosen = by_id[case_id]
    st.caption(t("subsidies.concluded", day=chosen.concluded_on.isoformat()))

    def _preview():  # type: ignore[no-untyped-def]
        with db.read() as s:
            return ledger_views.preview_claim(s, actor=actor, case_id=case_id)

    preview = attempt(_preview)
    if preview is not None:
        for text in hold_reasons(preview.hold_reason):
            st.warning(t("subsidies.will_hold", reason=text), icon=":material/pause_circle:")
        if preview.kind == "award":
            st.info(t("subsidies.award_hint", cap=format_yuan(preview.amount_fen)), icon=":material/military_tech:")
            with st.form("subsidies.award_form", clear_on_submit=True):
                amount = st.text_input(t("subsidies.award_amount"), key="subsidies.award_amount", max_chars=12)
                reason = st.text_area(t("subsidies.award_reason"), key="subsidies.award_reason", max_chars=500)
                asked = st.form_submit_button(
                    t("subsidies.award_submit"),
                    key="subsidies.award_go",
                    type="primary",
                    width="stretch",
                    icon=":material/send:",
                )
            if asked and (parsed := attempt(lambda: parse_yuan(amount))) is not None:
                award_fen: int = parsed
                done = write(
                    lambda s: ledger.request_award(s, actor=actor, case_id=case_id, amount_fen=award_fen, reason=reason)
                )
                if done is not None:
                    flash(
                        "subsidies.claimed",
                        no=chosen.case_no,
                        amount=format_yuan(done.amount_fen),
                        status=status_text(done.status),
                    )
                    st.rerun()
        else:
            st.metric(t("subsidies.amount"), format_yuan(preview.amount_fen))
            if st.button(
                t("subsidies.submit"), key="subsidies.submit", type="primary", width="stretch", icon=":material/send:"
            ):
                done = write(lambda s: ledger.claim_case(s, actor=actor, case_id=case_id))
                if done is not None:
                    flash(
                        "subsidies.claimed",
                        no=chosen.case_no,
                        amount=format_yuan(done.amount_fen),
                        status=status_text(done.status),
                    )
                    st.rerun()

st.subheader(t("subsidies.mine_title"), anchor=False)
if not claims:
    st.info(t("subsidies.none_yet"), icon=":material/receipt_long:")
for row in claims:
    claim_card(row, grades)

if claims:
    ids = {c.id: c for c in claims}
    pick = st.selectbox(
        t("subsidies.history_of"),
        list(ids),
        key="subsidies.history",
        format_func=lambda i: f"{ids[i].case_no} · {status_text(ids[i].status)}",
    )
    with db.read() as s:
        history = ledger_views.claim_history(s, actor=actor, claim_id=pick)
    for e in history:
        st.text(
            f"{format_local(e.at)} · {t('ledger.action.' + e.action)} · {e.actor_name or t('ledger.actor_unknown')}"
        )
        if e.note:
            st.text(t("ledger.note", note=e.note))
