"""Inbox (消息): every staff user's notifications, newest first; open the case, mark one or all read."""

from __future__ import annotations

import streamlit as st

from pages.ui.case_ui import flash, show_flash, write
from pages.ui.db import get_db
from pages.ui.guard import require_page
from pages.ui.i18n import t
from pages.ui.inbox_nav import unread_count
from pages.ui.inbox_view import notice_card
from services.access.permissions import P
from services.notify import inbox as notifications

actor = require_page(P.WORKBENCH)
PAGE = 30
LIMIT = "inbox.limit"

st.title(t("inbox.title"), anchor=False)
show_flash()
view = (
    st.segmented_control(
        t("inbox.filter"),
        options=["unread", "all"],
        default="unread",
        key="inbox.view",
        format_func=lambda k: t(f"inbox.view_{k}"),
        label_visibility="collapsed",
        width="stretch",
    )
    or "unread"
)
limit = int(st.session_state.get(LIMIT, PAGE))
unread = unread_count(actor)  # the same number as the menu's 消息 (n) and the workbench's 新提醒
with get_db().read() as s:
    rows = notifications.list_notifications(s, actor=actor, unread_only=view == "unread", limit=limit)

st.metric(t("inbox.unread"), unread, border=True)
if unread and st.button(t("inbox.mark_all"), key="inbox.mark_all", icon=":material/done_all:", width="stretch"):
    done = write(lambda s: notifications.mark_all_read(s, actor=actor))
    if done is not None:
        flash("inbox.marked_all", n=done)
        st.rerun()

if not rows:
    st.info(t("inbox.empty_unread" if view == "unread" else "inbox.empty"), icon=":material/notifications_off:")
for n in rows:
    notice_card(actor, n)
if (
    len(rows) == limit
    and limit < 100
    and st.button(t("inbox.more"), key="inbox.more", icon=":material/expand_more:", width="stretch")
):
    st.session_state[LIMIT] = limit + PAGE
    st.rerun()
