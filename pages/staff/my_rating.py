"""A mediator's own star rating: the score card with links to the cases counted, and an objection form."""

from __future__ import annotations

import streamlit as st

from pages.ui import rating_view
from pages.ui.db import get_db
from pages.ui.guard import require_page
from pages.ui.i18n import t
from pages.ui.widgets import attempt, show_error
from services.access.permissions import P
from services.core.errors import DomainError
from services.rating import card as rating_card
from services.rating import feedback as rating_feedback
from services.rating import runs as rating

actor = require_page(P.RATING_OWN)
db = get_db()
st.title(t("rating.my_title"))
with db.read() as s:
    mine = rating_card.own_mediator(s, actor)
    ratings = attempt(lambda: rating_card.my_ratings(s, actor=actor)) or []
    stars = rating.current_stars(s, mine.id or 0) if mine else None
    titles = rating.titles_for(s, mine.id) if mine else []
if mine is None:
    st.info(t("rating.my_no_profile"), icon=":material/badge:")
    st.stop()
st.metric(t("rating.my_current_stars"), rating_view.stars_text(stars))
if titles:
    st.caption(t("rating.my_titles", titles="、".join(f"{title}（{period}）" for title, period in titles)))
if not ratings:
    st.info(t("rating.my_none"), icon=":material/hourglass_empty:")
    st.stop()
by_id = {r.id: r for r in ratings}
rid = st.selectbox(
    t("rating.period"),
    list(by_id),
    key="my_rating.pick",
    format_func=lambda i: f"{by_id[i].period} · {t(f'rating.status.{by_id[i].status}')}",
)
with db.read() as s:
    try:
        card = rating_card.get_card(s, actor=actor, rating_id=rid)
    except DomainError as err:
        show_error(err)
        st.stop()


def load(part: str, after: int) -> rating_card.EvidencePage:
    with db.read() as s:
        return rating_card.evidence(s, actor=actor, rating_id=rid, part=part, after=after)


if card.status == "proposed":
    st.info(t("rating.my_proposal_note"), icon=":material/pending:")
flash = st.session_state.pop("my_rating.flash", None)
if flash:
    st.success(t(flash), icon=":material/check_circle:")
rating_view.header(card)
rating_view.published(card)
rating_view.changes(card)
st.subheader(t("rating.metrics_title"))
rating_view.lines(card)
rating_view.evidence_section(card, load, "my_rating")

st.subheader(t("rating.objections_title"))
rating_view.objections(card)
if not any(o.status == "open" for o in card.objections):
    with st.form("my_rating.objection", clear_on_submit=True):
        st.caption(t("rating.objection_hint"))
        body = st.text_area(t("rating.objection_body"), max_chars=1000, key="my_rating.objection_body")
        if st.form_submit_button(t("rating.objection_submit"), icon=":material/send:", width="stretch"):
            with db.write() as s:
                done = attempt(lambda: rating_feedback.lodge_objection(s, actor=actor, rating_id=rid, body=body))
            if done is not None:
                st.session_state["my_rating.flash"] = "rating.objection_sent"
                st.rerun()
rating_view.history(card)
