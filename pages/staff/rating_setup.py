"""Rating schemes and the committee checklist: edited by the justice office as new, audited versions."""

from __future__ import annotations

import streamlit as st

from pages.ui import rating_forms
from pages.ui.db import get_db
from pages.ui.guard import require_page
from pages.ui.i18n import t
from pages.ui.rating_view import period_options
from pages.ui.widgets import attempt
from services.access.permissions import P
from services.core import clock
from services.core.text import escape_markdown as esc
from services.rating import schemes as rs

actor = require_page(P.RATING_PROPOSE)
db = get_db()
st.title(t("rating.setup_title"))
st.caption(t("rating.setup_caption"))
flash = st.session_state.pop("rating_setup.flash", None)
if flash:
    st.success(t(flash), icon=":material/check_circle:")
subject = (
    st.segmented_control(
        t("rating.subject"),
        list(rs.SUBJECTS),
        default=rs.MEDIATOR,
        key="rating_setup.subject",
        format_func=lambda x: t(f"rating.subject_{x}"),
    )
    or rs.MEDIATOR
)
period = st.selectbox(
    t("rating.scheme_period"),
    [rs.DEFAULT, *period_options(clock.today())],
    format_func=lambda p: t("rating.scheme_period_default") if p == rs.DEFAULT else p,
    key="rating_setup.period",
)
with db.read() as s:
    scheme = attempt(lambda: rs.current_scheme(s, actor=actor, subject=subject, period=period))
    versions = attempt(lambda: rs.list_schemes(s, actor=actor, subject=subject)) or []
if scheme is None:
    st.stop()

st.subheader(t("rating.scheme_current", code=scheme.code, version=scheme.version))
if scheme.in_use:
    st.warning(t("rating.scheme_in_use"), icon=":material/lock_clock:")
if scheme.note:
    st.caption(esc(scheme.note))

# Every widget key names the subject and the period: switching either loads that scheme's own values, never the
# values left in the form by the other one (a committee once saved the mediator scheme's weights and title).
ns = f"rating_setup.{subject}.{period}"
with st.form(f"{ns}.scheme"):
    st.caption(t("rating.scheme_subject_caption", subject=t(f"rating.subject_{subject}")))
    weights, targets = {}, {}
    for metric in rs.METRICS[subject]:
        st.markdown(f"**{t(f'rating.metric.{metric}')}**")
        direction = "less" if metric in rs.LESS_IS_BETTER else "more"
        with st.container(horizontal=True, gap="small"):
            weights[metric] = st.number_input(
                t("rating.scheme_weight"),
                min_value=0.0,
                max_value=100.0,
                value=float(scheme.weights.get(metric, 0)),
                step=1.0,
                width=150,
                key=f"{ns}.w.{metric}",
            )
            targets[metric] = st.number_input(
                t(f"rating.scheme_target_{direction}"),
                min_value=0.0,
                value=float(scheme.targets[metric]),
                width=150,
                step=0.01 if scheme.targets[metric] < 2 else 1.0,
                key=f"{ns}.t.{metric}",
            )
    st.caption(t("rating.scheme_weights_total", total=f"{sum(weights.values()):g}"))
    st.markdown(f"**{t('rating.scheme_thresholds')}**")
    with st.container(horizontal=True, gap="small"):
        thresholds = {
            k: st.number_input(
                t("rating.scheme_threshold", n=k),
                min_value=0.0,
                max_value=100.0,
                value=float(scheme.thresholds[k]),
                step=1.0,
                width=150,
                key=f"{ns}.th.{k}",
            )
            for k in rs.STAR_LEVELS
        }
    min_cases = st.number_input(
        t("rating.scheme_min_cases"), min_value=1, value=int(scheme.min_cases), step=1, key=f"{ns}.min_cases"
    )
    st.markdown(f"**{t('rating.scheme_title_rule')}**")
    title = st.text_input(
        t("rating.scheme_title"), value=str(scheme.title_rule["title"]), max_chars=40, key=f"{ns}.title"
    )
    with st.container(horizontal=True, gap="small"):
        min_stars = st.number_input(
            t("rating.scheme_title_stars"),
            1,
            5,
            int(scheme.title_rule["min_stars"]),
            width=96,
            key=f"{ns}.title_stars",
        )
        min_score = st.number_input(
            t("rating.scheme_title_score"),
            0.0,
            100.0,
            float(scheme.title_rule.get("min_score", 0)),
            width=110,
            key=f"{ns}.title_score",
        )
        most = st.number_input(
            t("rating.scheme_title_max"),
            1,
            1000,
            int(scheme.title_rule.get("max", 10)),
            width=96,
            key=f"{ns}.title_max",
        )
    note = st.text_area(t("rating.scheme_note"), max_chars=500, key=f"{ns}.note", help=t("rating.scheme_note_help"))
    if st.form_submit_button(
        t("rating.scheme_save"),
        icon=":material/save:",
        type="primary",
        width="stretch",
        disabled=not actor.can(P.RATING_APPROVE),
    ):
        rule = {"title": title, "min_stars": int(min_stars), "min_score": float(min_score), "max": int(most)}
        with db.write() as s:
            done = attempt(
                lambda: rs.save_scheme(
                    s,
                    actor=actor,
                    subject=subject,
                    period=period,
                    weights=weights,
                    thresholds=thresholds,
                    min_cases=int(min_cases),
                    targets=targets,
                    title_rule=rule,
                    note=note,
                )
            )
        if done is not None:
            st.session_state["rating_setup.flash"] = "rating.scheme_saved"
            st.rerun()

with st.expander(t("rating.scheme_versions"), icon=":material/history:"):
    for v in versions:
        used = t("rating.scheme_used") if v.in_use else ""
        st.text(f"{v.code} v{v.version} · {v.period} {used}")
        if v.note:
            st.caption(esc(v.note))

rating_forms.items_editor(actor)
