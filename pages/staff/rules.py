"""Rules as data: pick a rule set, edit it, see its history with differences and roll back (coordination office)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from pages.ui import rules_forms
from pages.ui.db import get_db
from pages.ui.guard import require_page
from pages.ui.i18n import t
from pages.ui.rules_history import show_history
from pages.ui.rules_labels import show_rule_error
from services.access.permissions import P
from services.core.errors import DomainError
from services.ledger import duties
from services.lowcode import rules

FLASH = "rules.flash"
actor = require_page(P.LOWCODE_EDIT)
db = get_db()
st.title(t("rules.title"))
st.caption(t("rules.caption"))

NAMES = (*rules.rule_names(), duties.NAME)  # the ledger's duty rule is kept beside the others, same versioning
name = st.selectbox(t("rules.pick"), NAMES, key="rules.set", format_func=lambda n: t(f"rules.set.{n}"))
base_key = f"rules.base.{name}"
flash = st.session_state.pop(FLASH, None)
if flash:
    st.success(t(flash[0], version=flash[1]), icon=":material/check_circle:")

try:
    with db.read() as s:
        if name == duties.NAME:
            state, versions = duties.current(s, actor=actor), duties.history(s, actor=actor)
        else:
            state = rules.current(s, actor=actor, name=name)
            versions = rules.history(s, actor=actor, name=name)
except DomainError as err:
    show_rule_error(err)
    st.stop()


def reset() -> None:
    """Forget what this editor holds (its widgets and the version it was opened at)."""
    for key in [k for k in st.session_state if str(k).startswith((f"rules.f.{name}.", base_key))]:
        del st.session_state[key]


def write(action: Any, message: str) -> None:
    """Run one change in a short transaction; on success start the editor afresh from the new version."""
    try:
        with db.write() as s:
            new = action(s)
    except DomainError as err:
        show_rule_error(err)
        return
    reset()
    st.session_state[FLASH] = (message, new.version)
    st.rerun()


base = st.session_state.setdefault(base_key, state.version)
if base != state.version:
    st.warning(t("rules.stale_notice"), icon=":material/sync_problem:")
    if st.button(t("rules.reload"), icon=":material/refresh:", key="rules.reload"):
        reset()
        st.rerun()
st.caption(t("rules.version", version=state.version) if state.version else t("rules.version_none"))

value = rules_forms.EDITORS[name](state.value)
if value is None and name == "roles":
    value = rules_forms.new_role_form(state.value)
    rules_forms.roles_matrix(state.value)
if value is not None:
    note = str(st.session_state.get(f"rules.f.{name}.note") or st.session_state.get("rules.f.roles.new.note") or "")
    if name == duties.NAME:
        write(lambda s: duties.change(s, actor=actor, value=value, base_version=base, note=note), "rules.saved")
    else:
        write(
            lambda s: rules.change(s, actor=actor, name=name, value=value, base_version=base, note=note), "rules.saved"
        )


def roll_back(s: Any, version: int) -> Any:
    if name == duties.NAME:
        return duties.rollback(s, actor=actor, version=version, base_version=base)
    return rules.rollback(s, actor=actor, name=name, version=version, base_version=base)


show_history(name, versions, lambda version: write(lambda s: roll_back(s, version), "rules.rolled_back"))
