"""Budgets and spending (预算与支出): each region's budget lines, spending per month and county, growth, rates."""

from __future__ import annotations

import streamlit as st

from pages.ui.case_ui import flash, show_flash, write
from pages.ui.db import get_db
from pages.ui.guard import require_page
from pages.ui.i18n import current_language, t
from pages.ui.ledger_ui import county_chart, month_chart, org_kind_text
from pages.ui.widgets import attempt
from services.access.permissions import P
from services.core import clock
from services.ledger import budget as ledger_budget
from services.ledger import views as ledger_views
from services.ledger.policy import RATE_USUAL_FEN, format_yuan, parse_yuan, unusual_rate
from services.lowcode import dictionaries

actor = require_page(P.LEDGER_BUDGET)
db = get_db()
today = clock.today()
USUAL = {"low": RATE_USUAL_FEN[0] // 100, "high": f"{RATE_USUAL_FEN[1] // 100:,}"}

st.title(t("budgets.title"), anchor=False)
show_flash()
year = st.selectbox(t("budgets.year"), [today.year - i for i in range(4)], key="budgets.year")
with db.read() as s:
    lines = ledger_budget.budget_status(s, actor=actor, year=year)
    by_month = ledger_views.spending_by_month(s, actor=actor, year=year)
    by_county = ledger_views.spending_by_county(s, actor=actor, year=year)
    growth = ledger_views.growth(s, actor=actor, today=today)
    regions = dict(ledger_views.regions(s, actor=actor))
    rates = ledger_budget.list_rates(s, actor=actor)
    grades = dictionaries.labels(s, "grade", current_language())

rate = growth.rate
st.metric(
    t("budgets.ytd", year=today.year),
    format_yuan(growth.this_fen),
    delta=None if rate is None else t("budgets.vs_last", pct=f"{rate:+.1%}"),
)
st.caption(t("budgets.growth_help", last=format_yuan(growth.last_fen), m=today.month, d=today.day))

st.subheader(t("budgets.lines"), anchor=False)
if not lines:
    st.info(t("budgets.none", year=year), icon=":material/info:")
for b in lines:
    with st.container(border=True):
        st.text(f"{b.region_name} · {t('budgets.line.' + b.line)}")
        with st.container(horizontal=True, gap="medium"):
            st.metric(t("budgets.amount"), format_yuan(b.amount_fen), width="content")
            st.metric(t("budgets.remaining"), format_yuan(b.remaining_fen), width="content")
        st.text(t("budgets.used", spent=format_yuan(b.spent_fen), committed=format_yuan(b.committed_fen)))
        if b.amount_fen and b.line != "salary":
            st.progress(min(1.0, max(0.0, (b.spent_fen + b.committed_fen) / b.amount_fen)))
        if b.remaining_fen < 0:
            st.error(t("budgets.overrun", amount=format_yuan(-b.remaining_fen)), icon=":material/warning:")

with st.expander(t("budgets.set_title"), icon=":material/edit:"):
    with st.form("budgets.set"):
        region = st.selectbox(
            t("budgets.region"), list(regions), format_func=lambda i: regions[i], key="budgets.region"
        )
        line = st.selectbox(
            t("budgets.line_pick"),
            ledger_budget.LINES,
            key="budgets.line",
            format_func=lambda v: t(f"budgets.line.{v}"),
        )
        amount = st.text_input(t("budgets.amount_yuan"), key="budgets.amount", max_chars=14)
        saved = st.form_submit_button(
            t("budgets.save"), key="budgets.save_go", type="primary", width="stretch", icon=":material/save:"
        )
    if saved and (parsed := attempt(lambda: parse_yuan(amount))) is not None:
        budget_fen: int = parsed
        if write(
            lambda s: ledger_budget.set_budget(
                s, actor=actor, region_org_id=region, year=year, line=line, amount_fen=budget_fen
            )
        ):
            flash("budgets.saved", amount=format_yuan(budget_fen))
            st.rerun()

st.subheader(t("budgets.by_month", year=year), anchor=False)
st.altair_chart(month_chart(by_month), width="stretch")
if by_county:
    st.subheader(t("budgets.by_county", year=year), anchor=False)
    st.altair_chart(county_chart(by_county), width="stretch")

st.subheader(t("budgets.rates"), anchor=False)
st.dataframe(
    [
        {
            t("budgets.col_grade"): grades.get(r.grade, r.grade),
            t("budgets.col_kind"): org_kind_text(r.org_kind),
            t("budgets.col_amount"): format_yuan(r.amount_fen),
            t("budgets.col_from"): r.valid_from.isoformat(),
            t("budgets.col_to"): r.valid_to.isoformat() if r.valid_to else "—",
        }
        for r in rates
    ],
    hide_index=True,
    width="stretch",
)
with st.expander(t("budgets.rate_add"), icon=":material/add:"):
    with st.form("budgets.rate"):
        grade = st.selectbox(
            t("budgets.col_grade"),
            ledger_budget.RATE_GRADES,
            key="budgets.rate_grade",
            format_func=lambda g: grades.get(g, g),
        )
        fen_text = st.text_input(t("budgets.amount_yuan"), key="budgets.rate_amount", max_chars=10)
        start = st.date_input(t("budgets.col_from"), value=today, key="budgets.rate_from")
        st.caption(t("budgets.rate_help"))
        odd_ok = st.checkbox(t("budgets.rate_confirm", **USUAL), key="budgets.rate_confirm")
        added = st.form_submit_button(
            t("budgets.rate_save"), key="budgets.rate_go", width="stretch", icon=":material/save:"
        )
    if added and (typed := attempt(lambda: parse_yuan(fen_text))) is not None:
        rate_fen: int = typed
        if unusual_rate(rate_fen) and not odd_ok:
            st.error(t("budgets.rate_unusual", amount=format_yuan(rate_fen), **USUAL), icon=":material/error:")
        elif write(
            lambda s: ledger_budget.add_rate(s, actor=actor, grade=grade, amount_fen=rate_fen, valid_from=start)
        ):
            flash("budgets.rate_saved", amount=format_yuan(rate_fen))
            st.rerun()
