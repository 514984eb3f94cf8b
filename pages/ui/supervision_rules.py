"""The risk levels' editor on /rules: one colour at a time; returns the whole rule value when saved, else None.

Above the form: how many open cases the newest rule change re-graded."""

from __future__ import annotations

from typing import Any

import streamlit as st

from pages.ui.db import get_db
from pages.ui.i18n import current_language, t
from services.cases.warnings import FLAGS
from services.core.clock import format_local
from services.lowcode import dictionaries
from services.supervision import risk
from services.supervision import risk_rules as rr

Value = dict[str, Any]
NAME = rr.NAME


def _key(*parts: object) -> str:
    return ".".join(["rules.f", NAME, *(str(p) for p in parts)])


def _last_regrade() -> None:
    with get_db().read() as s:
        last = risk.last_regrade(s)
    if last:
        st.info(
            t(
                "risk.regraded",
                version=last.get("version", "—"),
                changed=last.get("changed", 0),
                graded=last.get("graded", 0),
                at=format_local(last.get("at")),
            ),
            icon=":material/autorenew:",
        )


def risk_editor(value: Value) -> Value | None:
    """Conditions (any one sets the colour), owner, response hours and escalation of one colour."""
    _last_regrade()
    st.caption(t("risk.rules_help"))
    level = (
        st.segmented_control(
            t("risk.level_pick"),
            list(rr.LEVELS),
            default="red",
            key=_key("level"),
            format_func=lambda x: t(f"risk.level.{x}"),
        )
        or "red"
    )
    part = value["levels"][level]
    lang = current_language()
    with get_db().read() as s:
        cats, srcs = dictionaries.labels(s, "category", lang), dictionaries.labels(s, "source", lang)
    with st.form(_key("form", level)):
        flags = st.multiselect(
            t("rules.field.flags"),
            list(FLAGS),
            default=part["flags"],
            key=_key(level, "flags"),
            format_func=lambda f: t(f"flag.{f}"),
        )
        group = st.number_input(
            t("rules.field.group_min"), min_value=0, value=int(part["group_min"]), key=_key(level, "group")
        )
        repeat = st.number_input(
            t("rules.field.repeat_min"), min_value=0, value=int(part["repeat_min"]), key=_key(level, "repeat")
        )
        categories = st.multiselect(
            t("rules.field.categories"),
            list(cats),
            default=part["categories"],
            key=_key(level, "cats"),
            format_func=lambda c: cats.get(c, c),
        )
        sources = st.multiselect(
            t("rules.field.sources"),
            list(srcs),
            default=part["sources"],
            key=_key(level, "srcs"),
            format_func=lambda c: srcs.get(c, c),
        )
        owner = st.selectbox(
            t("rules.field.owner"),
            rr.OWNERS,
            index=rr.OWNERS.index(part["owner"]),
            key=_key(level, "owner"),
            format_func=lambda o: t(f"risk.owner.{o}"),
        )
        contact = st.number_input(
            t("rules.field.contact_hours"), min_value=1, value=int(part["contact_hours"]), key=_key(level, "contact")
        )
        plan = st.number_input(
            t("rules.field.plan_hours"), min_value=1, value=int(part["plan_hours"]), key=_key(level, "plan")
        )
        escalate = st.selectbox(
            t("rules.field.escalate_to"),
            rr.OWNERS,
            index=rr.OWNERS.index(part["escalate_to"]),
            key=_key(level, "escalate"),
            format_func=lambda o: t(f"risk.owner.{o}"),
        )
        window = st.number_input(
            t("rules.field.repeat_window_days"), min_value=1, value=int(value["repeat_window_days"]), key=_key("window")
        )
        st.text_input(t("rules.note"), max_chars=200, key=_key("note"))
        if not st.form_submit_button(t("rules.save"), type="primary", icon=":material/save:", width="stretch"):
            return None
    edited = {
        "flags": flags,
        "group_min": int(group),
        "repeat_min": int(repeat),
        "categories": categories,
        "sources": sources,
        "owner": owner,
        "contact_hours": int(contact),
        "plan_hours": int(plan),
        "escalate_to": escalate,
    }
    return {"repeat_window_days": int(window), "levels": {**value["levels"], level: edited}}
