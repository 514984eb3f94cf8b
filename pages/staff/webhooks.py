"""Group robots (群机器人): the coordination office gives an organisation a WeCom or DingTalk webhook, sends it a
test message and reads its delivery log (sent, waiting for a retry, failed and why; China times)."""

from __future__ import annotations

import streamlit as st

from pages.ui.case_ui import flash, show_flash, write
from pages.ui.db import get_db
from pages.ui.guard import require_page
from pages.ui.i18n import t
from pages.ui.widgets import attempt
from services.access.permissions import P
from services.core.clock import format_local
from services.notify import robot_log, webhooks

actor = require_page(P.LOWCODE_EDIT)

st.title(t("webhooks.title"), anchor=False)
st.caption(t("webhooks.intro"))
show_flash()
with get_db().read() as s:
    orgs = attempt(lambda: webhooks.list_webhook_orgs(s, actor=actor)) or []
if not orgs:
    st.info(t("webhooks.no_orgs"), icon=":material/info:")
    st.stop()
by_id = {o.org_id: o for o in orgs}
org_id = st.selectbox(t("webhooks.org"), list(by_id), key="webhooks.org", format_func=lambda i: by_id[i].name)
current = by_id[org_id].webhook

if current is not None and current.active:
    st.success(t("webhooks.current", vendor=t(f"webhooks.vendor_{current.vendor}")), icon=":material/smart_toy:")
    st.text(current.masked_url)
else:
    st.info(t("webhooks.none"), icon=":material/notifications_off:")

with st.form("webhooks.form", border=True):
    vendor = st.segmented_control(
        t("webhooks.vendor"),
        options=list(webhooks.VENDORS),
        default="wecom",
        key="webhooks.vendor",
        format_func=lambda v: t(f"webhooks.vendor_{v}"),
        width="stretch",
    )
    url = st.text_input(
        t("webhooks.url"),
        key="webhooks.url",
        max_chars=500,
        placeholder="https://",
        help=t("webhooks.url_help"),
        type="password",
    )
    if st.form_submit_button(
        t("webhooks.save"), key="webhooks.save", icon=":material/save:", type="primary", width="stretch"
    ):
        saved = write(lambda s: webhooks.save_webhook(s, actor=actor, org_id=org_id, vendor=vendor or "", url=url))
        if saved is not None:
            flash("webhooks.saved", name=by_id[org_id].name)
            st.rerun()

off = (
    current is not None
    and current.active
    and st.button(t("webhooks.disable"), key="webhooks.disable", icon=":material/link_off:", width="stretch")
)
if off and write(lambda s: webhooks.disable_webhook(s, actor=actor, org_id=org_id)):
    flash("webhooks.disabled", name=by_id[org_id].name)
    st.rerun()


def _when(row: robot_log.LogRow) -> str:
    if row.status == "sent" and row.sent_at is not None:
        return t("webhooks.sent_at", at=format_local(row.sent_at))
    if row.next_at is not None:
        return t("webhooks.retry_at", at=format_local(row.next_at))
    return ""


def _show_test(row: robot_log.LogRow) -> None:
    if row.status == "sent":
        st.success(t("webhooks.test_sent"), icon=":material/check_circle:")
    else:
        st.error(t("webhooks.test_failed", why=t(row.reason_key, **row.reason_params)), icon=":material/error:")


if (
    current is not None
    and current.active
    and st.button(t("webhooks.test"), key="webhooks.test", icon=":material/send:", width="stretch")
):
    with st.spinner(t("webhooks.testing")):
        tested = attempt(lambda: robot_log.send_test(get_db(), actor=actor, org_id=org_id))
    if tested is not None:
        _show_test(tested)

st.subheader(t("webhooks.log"), anchor=False)
with get_db().read() as s:
    log = attempt(lambda: robot_log.delivery_log(s, actor=actor, org_id=org_id)) or []
if not log:
    st.caption(t("webhooks.log_empty"))
else:
    st.dataframe(
        [
            {
                t("webhooks.col_at"): format_local(r.created_at),
                t("webhooks.col_event"): t(r.event_key),
                t("webhooks.col_case"): r.case_no or "—",
                t("webhooks.col_status"): t(f"webhooks.status_{r.status}"),
                t("webhooks.col_attempts"): r.attempts,
                t("webhooks.col_why"): t(r.reason_key, **r.reason_params) if r.reason_key else "",
                t("webhooks.col_when"): _when(r),
            }
            for r in log
        ],
        hide_index=True,
        width="stretch",
        key="webhooks.log",
    )
