"""The 信息报送 layout editor: the layout in force as JSON, saved (JSON or TOML) as a new checked version."""

from __future__ import annotations

import json

import streamlit as st

from pages.ui.i18n import t
from pages.ui.widgets import attempt
from services.access.authz import Actor
from services.core.db import Database
from services.stats import report_layout


def layout_editor(db: Database, actor: Actor) -> None:
    """An expander for lowcode.edit: the layout text, save as a new version, or back to the shipped default."""
    with st.expander(t("report.layout_title"), icon=":material/tune:"):
        st.caption(t("report.layout_help"))
        with db.read() as s:
            version, value = report_layout.stored_value(s)
        st.caption(t("report.layout_version", version=version))
        text = st.text_area(
            t("report.layout_text"),
            json.dumps(value, ensure_ascii=False, indent=2),
            height=360,
            key=f"reports.layout_text_{version}",
        )
        c1, c2 = st.columns(2)
        if c1.button(t("report.layout_save"), key="reports.layout_save", icon=":material/save:"):
            parsed = attempt(lambda: report_layout.parse_layout(text))
            if parsed is not None:
                _save(db, actor, parsed)
        if c2.button(t("report.layout_reset"), key="reports.layout_reset", icon=":material/restart_alt:"):
            _save(db, actor, report_layout.default_value())


def _save(db: Database, actor: Actor, value: dict[str, object]) -> None:
    def save() -> int:
        with db.write() as s:
            return report_layout.save_layout(s, actor=actor, value=value)

    version = attempt(save)
    if version is not None:
        st.session_state["reports.layout_saved"] = version
        st.rerun()
