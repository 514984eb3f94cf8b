"""The inbox in the navigation (its title carries the unread count, `unread_count`, the one number every unread
badge shows) and the per-process background dispatcher (robot messages and retries, reminders, duty gaps)."""

from __future__ import annotations

import streamlit as st

from pages.ui.db import get_db
from pages.ui.i18n import t
from services.access.authz import Actor
from services.core.db import Database
from services.notify import inbox as notifications
from services.notify import outbox, reminders

FIRST_REMINDERS = 300.0  # seconds after the start: a restart is not slowed, and a short test run writes nothing


def _stop(dispatcher: outbox.Dispatcher) -> None:
    dispatcher.stop()


@st.cache_resource(show_spinner=False, on_release=_stop)
def _dispatcher(url: str) -> outbox.Dispatcher:
    # the reminder jobs (follow-ups, escalations, duty gaps, closed joint cases) first run a few minutes after the
    # process starts, then every quarter of an hour; robot messages and their retries go out every 2 s from the start
    return outbox.Dispatcher(get_db(), periodic=reminders.run_reminders, first_after=FIRST_REMINDERS).start()


def start_dispatcher() -> outbox.Dispatcher:
    """One webhook dispatcher thread per process and database; it never runs inside a user's request.

    serve.py's st.App lifespan calls this when the server starts (and stops the thread when it stops); a page
    calling it afterwards only gets the running one back (a cache hit). Only a process started without
    serve.py (a bare `streamlit run app.py`) starts it at its first page view."""
    db: Database = get_db()
    return _dispatcher(db.url)


def unread_count(actor: Actor) -> int:
    """The actor's unread notifications: the one number the menu badge, the inbox and the workbench's 新提醒 show."""
    with get_db().read() as s:
        return notifications.count_unread(s, actor=actor)


def inbox_title(actor: Actor | None) -> str:
    """'消息' or '消息 (3)': one indexed COUNT per rerun."""
    if actor is None:
        return t("nav.inbox")
    try:
        unread = unread_count(actor)
    except Exception:  # the menu must render even when the count cannot be read
        return t("nav.inbox")
    return t("nav.inbox_unread", n=unread) if unread else t("nav.inbox")
