"""One score card for the office (?rating=<id>): metrics with their evidence, the decision, objections, history."""

from __future__ import annotations

import streamlit as st

from pages.nav import spec_for
from pages.ui import rating_forms, rating_view
from pages.ui.db import get_db
from pages.ui.guard import require_page
from pages.ui.i18n import t
from pages.ui.widgets import show_error
from services.access.permissions import P
from services.core.errors import DomainError
from services.rating import card as rating_card

actor = require_page(P.RATING_PROPOSE)
st.page_link(spec_for("ratings").path, label=t("rating.card_back"), icon=":material/arrow_back:")
raw = st.query_params.get_all("rating")
if len(raw) != 1 or not raw[0].isdigit() or len(raw[0]) > 12:
    st.info(t("rating.card_pick"), icon=":material/star_half:")
    st.stop()
rid = int(raw[0])
db = get_db()
with db.read() as s:
    try:
        card = rating_card.get_card(s, actor=actor, rating_id=rid)
    except DomainError as err:
        show_error(err)
        st.stop()


def load(part: str, after: int) -> rating_card.EvidencePage:
    with db.read() as s:
        return rating_card.evidence(s, actor=actor, rating_id=rid, part=part, after=after)


rating_forms.show_flash()
rating_view.header(card)
rating_view.published(card)
rating_view.changes(card)
st.subheader(t("rating.metrics_title"))
rating_view.lines(card)
rating_view.evidence_section(card, load, "rating_card")
rating_forms.checklist_section(actor, card)
rating_forms.decide_form(actor, card)
if card.objections:
    st.subheader(t("rating.objections_title"))
    rating_view.objections(card)
    rating_forms.answer_forms(actor, card)
rating_forms.complaints_section(actor, card)
rating_view.history(card)
