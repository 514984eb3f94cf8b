"""Intake queue: public submissions waiting for a decision — accept, reject, mark as spam, merge a duplicate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from pages.ui.db import get_db
from pages.ui.guard import require_page
from pages.ui.i18n import current_language, t
from pages.ui.widgets import attempt
from services.access.permissions import P
from services.core.clock import format_local
from services.core.text import escape_markdown as esc
from services.intake import pipeline as intake
from services.intake import queue as intake_queue
from services.lowcode import dictionaries
from services.lowcode.custom_fields import display

actor = require_page(P.INTAKE_QUEUE)
db = get_db()
SEL, FLASH, VIEW, ORG = "intake_queue.selected", "intake_queue.flash", "intake_queue.view", "intake_queue.org"
lang = current_language()


def write(action: Callable[[Any], object]) -> object | None:
    """One short write transaction; a domain error rolls it back and is shown after."""

    def run() -> object:
        with db.write() as s:
            return action(s)

    return attempt(run)


def done(message_key: str) -> None:
    st.session_state[FLASH] = message_key
    show_case(None)


def show_case(case_id: int | None) -> None:
    """Open a submission (or go back to the list) with a fresh assignment form: no choice carried over."""
    st.session_state.pop(ORG, None)
    if case_id is None:
        st.session_state.pop(SEL, None)
    else:
        st.session_state[SEL] = case_id
    st.rerun()


with db.read() as s:
    counts = intake_queue.count_queue(s, actor=actor)
    unread = intake_queue.unread_notifications(s, actor=actor)
    categories = dictionaries.labels(s, "category", lang)
    reasons = dictionaries.labels(s, "reject_reason", lang)
if unread:
    write(lambda s: intake_queue.mark_notifications_read(s, actor=actor))

st.title(t("queue.title"), anchor=False)
if flash := st.session_state.pop(FLASH, None):
    st.success(t(flash), icon=":material/check_circle:")
if unread:
    st.info(t("queue.unread", n=unread), icon=":material/notifications:")


def detail(case_id: int) -> None:
    with db.read() as s:
        d = attempt(lambda: intake_queue.queue_detail(s, actor=actor, case_id=case_id))
        options = intake_queue.assign_options(s, actor=actor, case_id=case_id) if d else []
        custom_labels = {f.key: f.label(lang) for f in intake.intake_fields(s)[1]}
    if st.button(t("queue.back"), key="intake_queue.back", icon=":material/arrow_back:", width="stretch"):
        show_case(None)
    if d is None:
        return
    r = d.row
    st.subheader(esc(r.case_no), anchor=False)
    st.caption(esc(f"{r.org_name} · {format_local(r.received_at)} · {categories.get(r.category, r.category)}"))
    if r.signals:
        st.warning(
            t("queue.suspected", signals=", ".join(t(f"queue.signal_{x}") for x in r.signals)), icon=":material/report:"
        )
    for label_key, value in (
        ("queue.applicant", f"{r.applicant} {r.phone}"),
        ("intake.description", d.description),
        ("intake.place", d.place),
        ("intake.request", d.request),
        ("queue.respondent", f"{d.respondent} {d.respondent_phone}".strip()),
    ):
        if value.strip():
            st.caption(t(label_key))
            st.text(value)
    for key, value in d.custom.items():
        st.caption(esc(custom_labels.get(key, key)))
        st.text(display("", value, (), lang))
    if d.photos:
        st.image(d.photos, width=160)
    for at, note in d.additions:
        st.caption(t("queue.addition", at=format_local(at)))
        st.text(note)
    accept_tab, reject_tab, spam_tab, merge_tab = st.tabs(
        [t("queue.accept"), t("queue.reject"), t("queue.spam"), t("queue.merge")]
    )
    with accept_tab:
        names = {o.org_id: o for o in options}  # the case's own organisation first: the default never moves it
        org_id = st.selectbox(
            t("queue.assign_org"),
            list(names),
            format_func=lambda i: " · ".join(x for x in (names[i].name, names[i].place) if x),  # plain text
            key=ORG,
            help=t("triage.org_help"),
        )
        option = names.get(org_id) if org_id is not None else None
        people = dict(option.mediators) if option else {}
        mediator = st.selectbox(
            t("queue.assign_mediator"),
            list(people),
            index=None,
            key=f"intake_queue.mediator.{org_id}",  # a new list for each organisation, never a stale pick
            format_func=lambda i: (
                t("triage.specialist", name=people[i]) if option and i in option.specialists else people[i]
            ),
            placeholder=t("queue.mediator_later"),
        )
        if st.button(
            t("queue.accept"), key="intake_queue.do_accept", type="primary", icon=":material/task_alt:", width="stretch"
        ) and write(
            lambda s: intake_queue.accept(
                s, actor=actor, case_id=r.id, org_id=org_id, mediator_id=mediator, version=r.version
            )
        ):
            done("queue.accepted")
    with reject_tab:
        reason = st.selectbox(
            t("queue.reason"), list(reasons), format_func=lambda c: reasons[c], key="intake_queue.reason"
        )
        advice = st.text_area(t("queue.advice"), key="intake_queue.advice", help=t("queue.advice_help"))
        if st.button(
            t("queue.reject"), key="intake_queue.do_reject", icon=":material/block:", width="stretch"
        ) and write(
            lambda s: intake_queue.reject(s, actor=actor, case_id=r.id, reason=reason, advice=advice, version=r.version)
        ):
            done("queue.rejected")
    with spam_tab:
        st.caption(t("queue.spam_help"))
        if st.button(t("queue.spam"), key="intake_queue.do_spam", icon=":material/report:", width="stretch") and write(
            lambda s: intake_queue.mark_spam(s, actor=actor, case_id=r.id, version=r.version)
        ):
            done("queue.marked_spam")
    with merge_tab:
        st.caption(t("queue.merge_help"))
        for case_no, status in d.same_phone:
            st.text(f"{case_no} · {t('status.' + status)}")
        into = st.text_input(
            t("queue.merge_into"),
            key="intake_queue.into",
            placeholder="2026-V001-00001",
            value=d.same_phone[0][0] if d.same_phone else "",
        )
        if st.button(t("queue.merge"), key="intake_queue.do_merge", icon=":material/merge:", width="stretch") and write(
            lambda s: intake_queue.merge(s, actor=actor, case_id=r.id, into_case_no=into, version=r.version)
        ):
            done("queue.merged")


if (selected := st.session_state.get(SEL)) is not None:
    detail(int(selected))
    st.stop()

view = (
    st.segmented_control(
        t("queue.view"),
        options=list(intake_queue.VIEWS),
        default="new",
        key=VIEW,
        format_func=lambda v: t(f"queue.view_{v}", n=counts[v]),
    )
    or "new"
)
cursor_key = f"intake_queue.cursor.{view}"
cursor = st.session_state.get(cursor_key)
with db.read() as s:
    rows = intake_queue.list_queue(s, actor=actor, view=view, before_id=cursor)
if not rows:
    st.info(t("queue.empty"), icon=":material/inbox:")
for row in rows:
    with st.container(border=True):
        st.markdown(f"**{esc(row.case_no)}** · {esc(categories.get(row.category, row.category))}")
        st.caption(esc(f"{row.org_name} · {format_local(row.received_at, short=True)} · {row.applicant} {row.phone}"))
        st.text(row.excerpt)
        flags = [t("queue.flag_photos", n=row.photos)] if row.photos else []
        flags += [t("queue.flag_additions", n=row.additions)] if row.additions else []
        flags += [t("queue.flag_risk")] if row.high_risk else []
        if flags:
            st.caption(" · ".join(flags))
        if st.button(
            t("queue.open"), key=f"intake_queue.open.{row.id}", icon=":material/open_in_new:", width="stretch"
        ):
            show_case(row.id)
c1, c2 = st.columns(2)
if cursor is not None and c1.button(
    t("workbench.first_page"), key="intake_queue.first", width="stretch", icon=":material/first_page:"
):
    st.session_state.pop(cursor_key, None)
    st.rerun()
if len(rows) == intake_queue.PAGE_SIZE and c2.button(
    t("workbench.next_page"), key="intake_queue.next", width="stretch", icon=":material/navigate_next:"
):
    st.session_state[cursor_key] = rows[-1].id
    st.rerun()
