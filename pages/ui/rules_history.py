"""The history of a rule set on /rules: each version's differences, and a confirmed rollback to any of them."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from pages.ui.i18n import t
from pages.ui.rules_labels import change_line
from services.core.clock import format_local
from services.lowcode.rules import RuleVersion

PENDING = "rules.pending_rollback"


def _confirm(name: str, version: int, on_rollback: Callable[[int], None]) -> None:
    st.warning(t("rules.rollback_confirm", version=version), icon=":material/history:")
    with st.container(horizontal=True, gap="small"):
        if st.button(
            t("rules.rollback_yes"), type="primary", icon=":material/undo:", key=f"rules.rollback_yes.{name}.{version}"
        ):
            st.session_state.pop(PENDING, None)
            on_rollback(version)
        if st.button(t("rules.cancel"), key=f"rules.rollback_no.{name}.{version}"):
            st.session_state.pop(PENDING, None)
            st.rerun()


def _rollback_button(name: str, version: int, latest: int, on_rollback: Callable[[int], None]) -> None:
    if version == latest:
        return
    if st.session_state.get(PENDING) == (name, version):
        _confirm(name, version, on_rollback)
    elif st.button(t("rules.rollback"), icon=":material/undo:", key=f"rules.rollback.{name}.{version}"):
        st.session_state[PENDING] = (name, version)
        st.rerun()


def _entry(name: str, v: RuleVersion, latest: int, on_rollback: Callable[[int], None]) -> None:
    with st.container(border=True):
        when = format_local(v.created_at)
        st.text(t("rules.history_head", version=v.version, when=when, who=v.created_by or "—"))
        if v.action == "rollback":
            st.caption(t("rules.history_rollback_of", version=v.from_version))
        if v.note:
            st.text(v.note)
        lines = [change_line(name, c) for c in v.changes] or [t("rules.history_nochange")]
        st.text("\n".join(lines))
        _rollback_button(name, v.version, latest, on_rollback)


def show_history(name: str, versions: list[RuleVersion], on_rollback: Callable[[int], None]) -> None:
    """Newest first; the settings before the first change can be restored as "version 0"."""
    st.subheader(t("rules.history"))
    if not versions:
        st.caption(t("rules.history_empty"))
        return
    latest = versions[0].version
    for v in versions:
        _entry(name, v, latest, on_rollback)
    if versions[-1].version == 1:
        with st.container(border=True):
            st.text(t("rules.initial"))
            _rollback_button(name, 0, latest, on_rollback)
