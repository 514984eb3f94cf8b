"""Star rating for a period (星级评定): compute proposals from evidence, review them, approve or open a card."""

from __future__ import annotations

from functools import partial

import streamlit as st

from pages.nav import spec_for
from pages.ui.db import get_db
from pages.ui.guard import require_page
from pages.ui.i18n import t
from pages.ui.rating_view import period_caption, period_options, stars_text
from pages.ui.widgets import attempt
from services.access.permissions import P
from services.core import clock
from services.core.text import escape_markdown as esc
from services.rating import review as rating_review
from services.rating import runs as rating
from services.rating.schemes import parse_period

actor = require_page(P.RATING_PROPOSE)
db = get_db()
today = clock.today()

st.title(t("rating.title"))
st.caption(t("rating.caption"))
subject = (
    st.segmented_control(
        t("rating.subject"),
        ["mediator", "organisation"],
        default="mediator",
        format_func=lambda x: t(f"rating.subject_{x}"),
        key="ratings.subject",
    )
    or "mediator"
)
options = period_options(today)
period = st.selectbox(t("rating.period"), options, index=1, key="ratings.period")
st.caption(period_caption(parse_period(period)))

with db.read() as s:
    run = attempt(lambda: rating.latest_run(s, actor=actor, subject=subject, period=period))
    summary = attempt(lambda: rating_review.period_summary(s, actor=actor, subject=subject, period=period))

with st.container(border=True):
    if run is None:
        st.caption(t("rating.no_run"))
    else:
        st.caption(
            t(
                "rating.run_caption",
                at=clock.format_local(run.computed_at),
                as_of=run.as_of.isoformat(),
                subjects=run.subjects,
                rated=run.rated,
                changed=run.changed,
            )
        )
        st.caption(t("rating.fingerprint", fp=run.fingerprint[:12]))
    if st.button(
        t("rating.recompute" if run else "rating.compute"),
        key="ratings.compute",
        type="primary",
        icon=":material/calculate:",
        width="stretch",
    ):
        with db.write() as s:
            done = attempt(lambda: rating.compute_ratings(s, actor=actor, subject=subject, period=period, today=today))
        if done is not None:
            st.session_state["ratings.flash"] = t("rating.computed", subjects=done.subjects, changed=done.changed)
            st.rerun()
flash = st.session_state.pop("ratings.flash", None)
if flash:
    st.success(flash, icon=":material/check_circle:")

if summary is not None and summary.subjects:
    with st.container(horizontal=True, gap="small"):
        for key, value in (
            ("pending", summary.pending),
            ("decided", summary.decided),
            ("not_rated", summary.not_rated),
            ("objections", summary.objections),
            ("changed", summary.changed),
        ):
            with st.container(border=True, width=100):
                st.metric(t(f"rating.summary_{key}"), value)
    st.caption(" · ".join(f"{stars_text(k)} {v}" for k, v in sorted(summary.by_stars.items(), reverse=True)))
    if summary.republish:
        st.caption(t("rating.republish_caption", n=summary.republish))
    if run is not None and actor.can(P.RATING_APPROVE) and summary.pending > summary.republish:
        with st.popover(t("rating.approve_all"), icon=":material/done_all:", width="stretch"):
            st.caption(t("rating.approve_all_confirm"))
            if st.button(t("rating.approve_all_go"), key="ratings.approve_all", type="primary", width="stretch"):
                with db.write() as s:
                    n = attempt(partial(rating.approve_run, s, actor=actor, run_id=run.id))
                if n is not None:
                    st.session_state["ratings.flash"] = t("rating.approved_n", n=n)
                    st.rerun()

show = (
    st.segmented_control(
        t("rating.show"),
        rating_review.SHOW,
        default="all",
        key="ratings.show",
        format_func=lambda x: t(f"rating.show_{x}"),
    )
    or "all"
)
card_page = spec_for("rating_card").path


def show_row(row: rating_review.RatingRow) -> None:
    """One subject: the published stars while a decision stands (and a newer proposal to decide), else the proposal."""
    with st.container(border=True):
        st.markdown(f"**{esc(row.name)}**")
        if row.org_name:
            st.caption(esc(row.org_name))
        shown = [stars_text(row.shown_stars)]
        if row.proposed is not None and row.score is not None:
            shown.append(t("rating.score_n", score=f"{row.score:.2f}"))
        st.text(" · ".join([*shown, t("rating.cases_n", n=row.cases)]))
        status = row.published_status if row.published_id is not None else row.status
        tags = [t(f"rating.status.{status}")]
        if row.published_id is not None and row.awaits_decision:
            tags.append(t("rating.tag_new_proposal", stars=stars_text(row.proposed)))
        if row.changed:
            tags.append(t("rating.tag_changed"))
        if row.objection_open:
            tags.append(t("rating.tag_objection"))
        st.caption(" · ".join(tags))
        st.page_link(
            card_page, label=t("rating.open_card"), query_params={"rating": str(row.id)}, icon=":material/open_in_new:"
        )


def show_list(show: str, key: str, fold: bool) -> int | None:
    """A page of the review list with its own cursor; returns how many match (None when refused)."""
    cursor_key = f"ratings.after.{subject}.{period}.{show}.{key}"
    with db.read() as s:
        page = attempt(
            lambda: rating_review.list_ratings(
                s,
                actor=actor,
                subject=subject,
                period=period,
                show=show,
                after=st.session_state.get(cursor_key),
                fold=fold,
            )
        )
    if page is None:
        return None
    for row in page.items:
        show_row(row)
    nav1, nav2 = st.columns(2)
    if st.session_state.get(cursor_key) and nav1.button(
        t("rating.first_page"), key=f"ratings.first.{key}", width="stretch", icon=":material/first_page:"
    ):
        st.session_state.pop(cursor_key, None)
        st.rerun()
    if page.after is not None and nav2.button(
        t("rating.next_page"), key=f"ratings.next.{key}", width="stretch", icon=":material/navigate_next:"
    ):
        st.session_state[cursor_key] = page.after
        st.rerun()
    return page.total


fold = show != "not_rated"  # the not rated are folded away below the list unless asked for
head = st.empty()
total = show_list(show, "main", fold)
if total is None:
    st.stop()
head.caption(t("rating.list_total", n=total))
if not total:
    st.info(t("rating.list_empty"), icon=":material/inbox:")
folded = summary.not_rated if show == "all" and summary is not None else 0
if folded:
    with st.expander(t(f"rating.not_rated_folded_{subject}", n=folded), icon=":material/visibility_off:"):
        st.caption(t("rating.not_rated_folded_caption"))
        show_list("not_rated", "folded", False)
st.page_link(spec_for("rating_titles").path, label=t("nav.rating_titles"), icon=":material/military_tech:")
st.page_link(spec_for("rating_setup").path, label=t("nav.rating_setup"), icon=":material/tune:")
