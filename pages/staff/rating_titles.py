"""Titles for a period (调解能手, 优秀调解室): the candidates the rule names, awarded by the justice office."""

from __future__ import annotations

from functools import partial

import streamlit as st

from pages.nav import spec_for
from pages.ui.db import get_db
from pages.ui.guard import require_page
from pages.ui.i18n import t
from pages.ui.rating_view import period_options, stars_text
from pages.ui.widgets import attempt
from services.access.permissions import P
from services.core import clock
from services.core.text import escape_markdown as esc
from services.rating import titles as rating_titles
from services.rating.schemes import check_title_kind

actor = require_page(P.RATING_PROPOSE)
db = get_db()
st.title(t("rating.titles_title"))
subject = (
    st.segmented_control(
        t("rating.subject"),
        ["mediator", "organisation"],
        default="mediator",
        format_func=lambda x: t(f"rating.subject_{x}"),
        key="rating_titles.subject",
    )
    or "mediator"
)
period = st.selectbox(t("rating.period"), period_options(clock.today()), index=1, key="rating_titles.period")
flash = st.session_state.pop("rating_titles.flash", None)
if flash:
    st.success(t(flash), icon=":material/check_circle:")

with db.read() as s:
    found = attempt(lambda: rating_titles.title_candidates(s, actor=actor, subject=subject, period=period))
    awards = attempt(lambda: rating_titles.list_awards(s, actor=actor, period=period)) or []
if found is None:
    st.stop()
rule, candidates = found
st.info(
    t(
        "rating.titles_rule",
        title=rule["title"],
        stars=rule["min_stars"],
        score=rule.get("min_score", 0),
        max=rule.get("max", 10),
    ),
    icon=":material/rule:",
)
with db.read() as s:  # a scheme saved before titles had a kind may name the other kind's title: say so up front
    attempt(partial(check_title_kind, s, subject, str(rule["title"])))

st.subheader(t("rating.titles_candidates"))
if not candidates:
    st.caption(t("rating.titles_none"))
for c in candidates:
    with st.container(border=True):
        st.markdown(f"**{esc(c.name)}**")
        st.text(f"{stars_text(c.stars)} · {c.score:.2f}" if c.score is not None else stars_text(c.stars))
        st.page_link(
            spec_for("rating_card").path,
            label=t("rating.open_card"),
            query_params={"rating": str(c.rating_id)},
            icon=":material/open_in_new:",
        )
        if c.award_id is not None:
            st.caption(t("rating.titles_awarded", title=rule["title"]))
        elif actor.can(P.RATING_APPROVE) and st.button(
            t("rating.titles_award", title=rule["title"]),
            key=f"rating_titles.award.{c.subject_id}",
            icon=":material/military_tech:",
            width="stretch",
        ):
            with db.write() as s:
                done = attempt(
                    partial(
                        rating_titles.award_title,
                        s,
                        actor=actor,
                        subject=subject,
                        period=period,
                        subject_id=c.subject_id,
                    )
                )
            if done is not None:
                st.session_state["rating_titles.flash"] = "rating.titles_award_ok"
                st.rerun()

st.subheader(t("rating.titles_awarded_list"))
if not awards:
    st.caption(t("rating.titles_none_awarded"))
for a in awards:
    with st.container(border=True):
        st.markdown(f"**{esc(a.title)}** · {esc(a.name)}")
        st.caption(clock.format_local_date(a.at))
        if actor.can(P.RATING_APPROVE):
            with st.popover(t("rating.titles_revoke"), icon=":material/remove_circle:"):
                reason = st.text_input(t("rating.titles_revoke_reason"), key=f"rating_titles.reason.{a.id}")
                if st.button(t("rating.titles_revoke"), key=f"rating_titles.revoke.{a.id}", type="primary"):
                    with db.write() as s:
                        revoked = attempt(
                            partial(rating_titles.revoke_title, s, actor=actor, award_id=a.id, reason=reason)
                        )
                    if revoked is not None:
                        st.session_state["rating_titles.flash"] = "rating.titles_revoked"
                        st.rerun()
