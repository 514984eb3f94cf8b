"""The inbox in the navigation (its title carries the unread count) and the per-process webhook dispatcher."""

from __future__ import annotations

import streamlit as st

from pages.ui.db import get_db
from pages.ui.i18n import t
from services.access.authz import Actor
from services.core.db import Database
from services.notify import inbox as notifications
from services.notify import outbox, reminders


def _stop(dispatcher: outbox.Dispatcher) -> None:
    dispatcher.stop()


@st.cache_resource(show_spinner=False, on_release=_stop)
def _dispatcher(url: str) -> outbox.Dispatcher:
    return outbox.Dispatcher(get_db(), periodic=reminders.run_reminders).start()


def start_dispatcher() -> outbox.Dispatcher:
    """One webhook dispatcher thread per process and database; it never runs inside a user's request."""
    db: Database = get_db()
    return _dispatcher(db.url)


def inbox_title(actor: Actor | None) -> str:
    """'消息' or '消息 (3)': one indexed COUNT per rerun."""
    if actor is None:
        return t("nav.inbox")
    try:
        with get_db().read() as s:
            unread = notifications.count_unread(s, actor=actor)
    except Exception:  # the menu must render even when the count cannot be read
        return t("nav.inbox")
    return t("nav.inbox_unread", n=unread) if unread else t("nav.inbox")
