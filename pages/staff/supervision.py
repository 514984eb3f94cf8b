"""督办台账: the supervising office's orders by state with counts, filters, one-tap open and an Excel export."""

from __future__ import annotations

import streamlit as st

from pages.ui.db import get_db
from pages.ui.guard import require_page
from pages.ui.i18n import current_language, t
from pages.ui.supervision_desk import order_card
from services.access.permissions import P
from services.admin.xlsx import XLSX_MIME
from services.lowcode import dictionaries
from services.supervision import desk, orders

actor = require_page(P.SUPERVISE)
db = get_db()
lang = current_language()
st.title(t("supervision.desk_title"), anchor=False)
st.caption(t("supervision.desk_caption", days=desk.NEAR_DAYS))

with db.read() as s:
    counts, _everything = desk.list_desk(s, actor=actor, lang=lang)
    reasons = dictionaries.labels(s, orders.DICTIONARY, lang)

metrics = st.container(horizontal=True, gap="small")
for name in desk.STATES:
    metrics.metric(t(f"supervision.state.{name}"), counts[name], border=True, width="stretch")

state = st.segmented_control(
    t("supervision.filter_state"),
    list(desk.STATES),
    default=None,
    key="supervision.state",
    format_func=lambda x: t(f"supervision.state.{x}"),
)
reason = st.selectbox(
    t("supervision.filter_reason"),
    ["", *reasons],
    key="supervision.reason",
    format_func=lambda c: reasons.get(c, t("supervision.any_reason")),
)
with db.read() as s:
    _counts, rows = desk.list_desk(s, actor=actor, lang=lang, state=state, reason=reason or None)

st.caption(t("supervision.found", n=len(rows)))
if not rows:
    st.info(t("supervision.empty"), icon=":material/flag:")
for row in rows:
    order_card(row, "supervision.open")


def export() -> bytes:
    with db.read() as s:
        return desk.desk_xlsx(s, actor=actor, lang=lang, state=state, reason=reason or None)


st.download_button(
    t("supervision.export"),
    data=export,
    file_name="supervision.xlsx",
    mime=XLSX_MIME,
    key="supervision.export",
    icon=":material/download:",
    width="stretch",
    on_click="ignore",
)
