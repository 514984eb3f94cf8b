"""Workbench: the staff home on a phone — 待办 (only cases with a step of yours, earliest deadline first), the area's
warnings as the dashboard counts them, everything else under 全部, search, 随手调."""

from __future__ import annotations

from functools import partial

import streamlit as st

from pages.ui.case_ui import case_card, show_flash, write
from pages.ui.db import get_db
from pages.ui.duty import render_my_duties
from pages.ui.guard import require_page
from pages.ui.i18n import current_language, t
from pages.ui.inbox_nav import unread_count
from pages.ui.supervision_chip import chips_of
from pages.ui.supervision_desk import workbench_todo
from services.access.permissions import P
from services.cases import warnings, workbench
from services.cases.cards import CaseRow
from services.core.clock import format_local
from services.core.text import escape_markdown as esc
from services.lowcode import dictionaries
from services.notify import inbox as notifications

actor = require_page(P.WORKBENCH)
db = get_db()

st.title(t("workbench.title"), anchor=False)
show_flash()
workbench_todo(actor)  # issue 18: the supervision orders this body must report on, earliest due first
render_my_duties(actor)  # issue 13: the mediator's own desk and on-call shifts this week (nothing when none)
if not actor.can(P.CASE_VIEW):
    st.info(t("workbench.no_cases_role"), icon=":material/admin_panel_settings:")
    st.stop()

if actor.can(P.CASE_CREATE) and actor.can(P.CASE_MEDIATE):
    buttons = st.container(horizontal=True, gap="small")  # side by side even on a phone (columns would stack)
    if buttons.button(
        t("workbench.quick"), key="workbench.quick", type="primary", icon=":material/bolt:", width="stretch"
    ):
        st.switch_page("pages/staff/quick_case.py")
    if buttons.button(t("workbench.new_case"), key="workbench.new_case", icon=":material/note_add:", width="stretch"):
        st.switch_page("pages/staff/new_case.py")

with db.read() as s:
    counts = workbench.count_cases(s, actor=actor)
    categories = dictionaries.labels(s, "category", current_language())
    unread = notifications.list_notifications(s, actor=actor, limit=10)

metrics = st.container(horizontal=True, gap="small")
shown = [("workbench.todo", counts.todo)]
if actor.can(P.CASE_ACCEPT):
    shown.append(("workbench.submitted", counts.submitted))
shown += [("workbench.high_risk", counts.high_risk), ("workbench.overdue", counts.overdue)]
lang = current_language()
rules = {
    "workbench.high_risk": warnings.BY_ID["high_risk"].rule(lang),
    "workbench.overdue": warnings.overdue_rule(lang),
}
for label, value in shown:
    metrics.metric(t(label), value, border=True, width="stretch", help=rules.get(label))
st.caption(t("workbench.warnings_caption", definition=warnings.summary(lang)))

if unread:
    with st.expander(t("workbench.notices", n=unread_count(actor)), icon=":material/notifications:"):
        for n in unread:
            st.caption(esc(format_local(n.created_at, short=True)))
            st.text(t(n.key, **n.params))
            buttons = st.container(horizontal=True, gap="small")
            if n.case_id and buttons.button(
                t("workbench.notice_open"), key=f"workbench.notice.{n.id}", width="stretch"
            ):
                write(partial(notifications.mark_read, actor=actor, notification_id=n.id))
                st.switch_page("pages/staff/case.py", query_params={"case": str(n.case_id)})
            if buttons.button(t("workbench.notice_read"), key=f"workbench.read.{n.id}", width="stretch"):
                write(partial(notifications.mark_read, actor=actor, notification_id=n.id))
                st.rerun()

query = st.text_input(
    t("workbench.search"),
    key="workbench.search",
    max_chars=40,
    label_visibility="collapsed",
    placeholder=t("workbench.search_hint"),
    icon=":material/search:",
)
if query.strip():
    with db.read() as s:
        found = workbench.search_cases(s, actor=actor, query=query)
    st.caption(t("workbench.found", n=len(found)))
    chips = chips_of([row.id for row in found])
    for row in found:
        case_card(row, categories, "workbench.hit", chips)
    st.stop()

view = (
    st.segmented_control(
        t("workbench.filter"),
        options=list(workbench.FILTERS),
        default="todo",
        key="workbench.view",
        format_func=lambda k: t(f"workbench.view_{k}"),
        label_visibility="collapsed",
        width="stretch",
    )
    or "todo"
)
pages_key = f"workbench.pages.{view}"  # how many pages of this tab are shown ("加载更多" adds one)
rows: list[CaseRow] = []
after: workbench.Cursor | None = None
with db.read() as s:
    for _ in range(int(st.session_state.get(pages_key, 1))):  # each page by keyset from the last card above it
        page = workbench.page_cards(s, actor=actor, view=view, after=after)
        rows += page.items
        after = page.after
        if after is None:
            break

if view == "todo":
    st.caption(t("workbench.todo_caption"))
if not rows:
    st.info(t("workbench.todo_empty" if view == "todo" else "workbench.empty"), icon=":material/inbox:")
chips = chips_of([row.id for row in rows])  # the risk colours of every card in one read
for row in rows:
    case_card(row, categories, "workbench.open", chips)
if after is not None and st.button(
    t("workbench.more"), key="workbench.more", width="stretch", icon=":material/expand_more:"
):
    st.session_state[pages_key] = int(st.session_state.get(pages_key, 1)) + 1
    st.rerun()
