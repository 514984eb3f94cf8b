"""Bulk audit / approval on the ledger page: the filtered claims, a selection, its count and total, a confirmation.

The confirmation box is keyed by the exact selection (claims, statuses, amounts): when the selection or a claim
in it changes, a fresh unticked box asks again, so what runs is what the office checked. The report of the run
(done, changed meanwhile, refused with the reason) is shown after the page refreshes.
"""

from __future__ import annotations

import hashlib
from typing import Any

import streamlit as st

from pages.ui.i18n import t
from pages.ui.ledger_ui import status_text
from pages.ui.widgets import attempt
from services.access.authz import Actor
from services.core.db import Database
from services.ledger import bulk
from services.ledger.claims import BULK_LIMIT, STEP
from services.ledger.policy import format_yuan

RESULT = "ledger.bulk_result"


def _digest(action: str, picks: list[bulk.Pick]) -> str:
    text = action + ";" + ";".join(f"{p.claim_id}:{p.status}:{p.amount_fen}" for p in picks)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _show_result(result: bulk.BulkResult) -> None:
    action = t(f"ledger.do.{result.action}")
    words = t(
        "ledger.bulk_result",
        action=action,
        done=len(result.done),
        amount=format_yuan(result.done_fen),
        changed=len(result.changed),
        refused=len(result.refused),
    )
    if result.changed or result.refused:
        st.warning(words, icon=":material/rule:")
    else:
        st.success(words, icon=":material/check_circle:")
    lines = [t("ledger.bulk_changed", no=p.case_no) for p in result.changed]
    for r in result.refused:
        text = t(r.key, **r.params)
        lines.append(text if r.pick.case_no in text else f"{r.pick.case_no}：{text}")
    if lines:
        st.text("\n".join(lines))


def _table(selection: bulk.Selection, key: str) -> list[int]:
    rows = [
        {
            t("ledger.col_case"): p.case_no,
            t("ledger.col_mediator"): p.mediator_name,
            t("ledger.col_amount"): format_yuan(p.amount_fen),
            t("ledger.col_status"): status_text(p.status),
            t("ledger.col_org"): p.org_name,
            t("ledger.bulk_col_blocked"): "✗" if p.blocked else "",
        }
        for p in selection.picks
    ]
    event: Any = st.dataframe(
        rows, hide_index=True, width="stretch", on_select="rerun", selection_mode="multi-row", key=key
    )
    picked = event.selection.rows if event is not None else []
    return [i for i in picked if 0 <= i < selection.count]


def bulk_review(db: Database, actor: Actor, *, filters: dict[str, Any]) -> None:
    """The bulk section of the ledger page for the current filters (status, kind, county_id, month)."""
    actions = [str(a) for a in bulk.BULK_ACTIONS if actor.can(STEP[a].permission)]
    if not actions:
        return
    st.subheader(t("ledger.bulk_review_title"), anchor=False)
    if (done := st.session_state.pop(RESULT, None)) is not None:
        _show_result(done)
    action = st.radio(
        t("ledger.bulk_action"),
        actions,
        key="ledger.bulk_action",
        horizontal=True,
        format_func=lambda a: t(f"ledger.do.{a}"),
    )
    verb = t(f"ledger.do.{action}")
    with db.read() as s:
        selection = bulk.candidates(s, actor=actor, action=action, **filters)
    if not selection.count:
        st.info(t("ledger.bulk_none", action=verb), icon=":material/inbox:")
        return
    st.caption(
        t("ledger.bulk_shown", action=verb, count=selection.count, amount=format_yuan(selection.total_fen))
        + " "
        + t("ledger.bulk_pick_help")
    )
    if selection.more:
        st.warning(t("ledger.bulk_more", limit=BULK_LIMIT), icon=":material/filter_alt:")
    whole = st.checkbox(t("ledger.bulk_all", count=selection.count), key="ledger.bulk_all")
    rows = _table(selection, f"ledger.bulk_table.{_digest(action, list(selection.picks))}")
    chosen = list(selection.picks) if whole else [selection.picks[i] for i in rows]
    total = sum(p.amount_fen for p in chosen)
    with st.container(horizontal=True, gap="medium"):
        st.metric(t("ledger.bulk_selected_count"), len(chosen), width="content")
        st.metric(t("ledger.bulk_selected_total"), format_yuan(total), width="content")
    if blocked := sum(p.blocked for p in chosen):
        st.warning(t("ledger.bulk_blocked", count=blocked), icon=":material/group_off:")
    ok = st.checkbox(
        t("ledger.bulk_confirm", action=verb, count=len(chosen), amount=format_yuan(total)),
        key=f"ledger.bulk_ok.{_digest(action, chosen)}",
        disabled=not chosen,
    )
    if not st.button(
        t("ledger.bulk_go"), key="ledger.bulk_review_go", type="primary", width="stretch", icon=":material/done_all:"
    ):
        return
    if not chosen:
        st.warning(t("ledger.bulk_pick_first"), icon=":material/checklist:")
        return
    if not ok:
        st.warning(t("ledger.bulk_confirm_first"), icon=":material/fact_check:")
        return
    with st.spinner(t("ledger.bulk_go")):
        result = attempt(lambda: bulk.review_each(db, actor=actor, action=action, picks=chosen))
    if result is not None:
        st.session_state[RESULT] = result
        st.rerun()
