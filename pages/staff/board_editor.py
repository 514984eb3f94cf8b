"""公示栏编辑: typical cases (pick → de-identified draft → review with the exact preview → a second person
approves → published; unpublish any time) and the board's own texts."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import streamlit as st
from sqlmodel import Session

from pages.ui import board_view as V
from pages.ui.db import get_db
from pages.ui.guard import require_page
from pages.ui.i18n import t
from pages.ui.widgets import attempt
from services.access.permissions import P
from services.board import posts as B
from services.board import publicity as PUB
from services.core.text import escape_markdown as esc

actor = require_page(P.BOARD_EDIT)
st.title(t("editor.title"), anchor=False)
db = get_db()
with db.write() as s:
    B.seed_board_texts(s)


def done(action: Callable[[Session], object], message: str) -> None:
    """Run a service call in its own transaction; on success rerun (outside it) and say so on the next run."""
    with db.write() as s:
        ok = attempt(lambda: action(s))
    if ok:
        st.session_state["editor.flash"] = message
        st.rerun()


if flash := st.session_state.pop("editor.flash", None):
    st.success(t(flash), icon=":material/check_circle:")


def status_of(post: object) -> str:
    status = getattr(post, "status", "draft")
    if status == "draft" and getattr(post, "reviewed_by", None) is not None:
        status = "reviewed"
    return t(f"editor.status_{status}")


def show_changes(post_id: int, title: str, body: str) -> None:
    """What de-identification replaced (原文片段 → 替换为) and the text with those spans highlighted."""
    with db.read() as s:
        found = attempt(lambda: B.redaction_preview(s, actor=actor, post_id=post_id))
    if found is None:
        return
    st.caption(t("editor.highlight_help"))
    with st.container(border=True, key=f"editor.marked.{post_id}"):
        V.render_marked(title, found.segments(body))
    st.markdown(f"**{t('editor.changes')}**")
    for change in found.changes:
        st.text(t("editor.change_row", original=change.original, replacement=change.replacement))
    if not found.changes:
        st.caption(t("editor.no_changes"))


def render_post(post_id: int) -> None:
    with db.read() as s:
        post = next((p for p in B.list_typical(s, actor=actor) if p.id == post_id), None)
    if post is None:
        return
    st.caption(t("editor.status", status=status_of(post)))
    if post.status == "draft":
        title = st.text_input(t("editor.post_title"), post.title, key=f"editor.title.{post_id}", max_chars=120)
        body = st.text_area(t("editor.post_body"), post.body, key=f"editor.body.{post_id}", height=220)
        st.markdown(f"**{t('editor.preview')}**")
        with st.container(border=True):
            V.render_text(title, body)  # the same widget the board uses
        show_changes(post_id, title, body)
        if st.button(t("editor.review"), key=f"editor.review.{post_id}", icon=":material/fact_check:"):
            done(
                lambda s: B.review_typical_case(s, actor=actor, post_id=post_id, title=title, body=body),
                "editor.reviewed",
            )
        if (
            post.reviewed_by is not None
            and actor.can(P.BOARD_PUBLISH)
            and st.button(
                t("editor.approve"), key=f"editor.approve.{post_id}", type="primary", icon=":material/publish:"
            )
        ):
            done(lambda s: B.approve_typical_case(s, actor=actor, post_id=post_id), "editor.approved")
    else:
        with st.container(border=True):
            shown = PUB.preview(post)
            V.render_text(shown.title, shown.body)
    if post.status != "withdrawn" and st.button(
        t("editor.unpublish"), key=f"editor.unpublish.{post_id}", icon=":material/unpublished:"
    ):
        done(lambda s: B.unpublish(s, actor=actor, post_id=post_id), "editor.unpublished")


cases_tab, texts_tab = st.tabs([t("editor.tab_cases"), t("editor.tab_texts")])
with cases_tab:
    with db.read() as s:
        pickable = B.pickable_cases(s, actor=actor)
        posts = B.list_typical(s, actor=actor)
    st.caption(t("editor.pick_help"))
    if pickable:
        chosen = st.selectbox(
            t("editor.pick"), pickable, format_func=lambda c: f"{c.case_no} · {c.month}", key="editor.pick"
        )
        if st.button(t("editor.draft"), key="editor.draft", icon=":material/auto_fix_high:"):
            with db.write() as s:
                drafted = attempt(lambda: B.draft_typical_case(s, actor=actor, case_id=chosen.case_id))
            if drafted:
                st.rerun()  # outside the transaction: a rerun inside it would roll the draft back
    else:
        st.info(t("editor.none_pickable"), icon=":material/info:")
    for post in posts:
        with st.expander(f"{esc(post.title)} · {status_of(post)}", expanded=post.status == "draft"):
            render_post(post.id or 0)

with texts_tab:
    with db.read() as s:
        texts = B.list_texts(s)
    for text in texts:
        with st.expander(esc(text.title), icon=":material/edit_note:"), st.form(f"editor.text.{text.slug}"):
            title = st.text_input(t("editor.post_title"), text.title, max_chars=120)
            body = st.text_area(t("editor.post_body"), text.body, height=200)
            if st.form_submit_button(t("editor.save_text"), icon=":material/save:"):
                done(partial(B.update_text, actor=actor, slug=text.slug or "", title=title, body=body), "editor.saved")
