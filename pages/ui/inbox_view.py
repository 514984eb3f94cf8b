"""One notification of the inbox: when, the translated message, the case number as a link, mark read."""

from __future__ import annotations

import streamlit as st

from pages.ui.case_ui import open_case, write
from pages.ui.i18n import t
from services.access.authz import Actor
from services.core.clock import format_local
from services.notify import inbox as notifications
from services.notify.inbox import NoticeRow


def notice_card(actor: Actor, n: NoticeRow) -> None:
    """A bordered card; unread ones are marked, and opening the case marks it read."""
    with st.container(border=True, key=f"inbox.card.{n.id}"):
        st.caption(t("inbox.unread_mark" if not n.read else "inbox.read_mark", at=format_local(n.created_at)))
        st.text(t(n.key, **n.params))
        row = st.container(horizontal=True, gap="small")
        case_no = str(n.params.get("case_no") or "")
        if n.case_id and row.button(
            t("inbox.open_case", case_no=case_no) if case_no else t("inbox.open"),
            key=f"inbox.open.{n.id}",
            icon=":material/folder_open:",
            width="stretch",
        ):
            if not n.read:
                write(lambda s: notifications.mark_read(s, actor=actor, notification_id=n.id))
            open_case(n.case_id)
        if not n.read and row.button(
            t("inbox.mark_read"), key=f"inbox.read.{n.id}", icon=":material/done:", width="stretch"
        ):
            write(lambda s: notifications.mark_read(s, actor=actor, notification_id=n.id))
            st.rerun()
