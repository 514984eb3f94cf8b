"""Registers: organisations, mediators, training, expert pools, checklists, users and dictionaries — each an
AdminSpec rendered by the one generic renderer. The chooser lists what the actor's roles may see."""

from __future__ import annotations

import streamlit as st

from pages.ui.admin_table import render_admin
from pages.ui.guard import require_page
from pages.ui.i18n import t
from services.access.permissions import P
from services.admin.specs import REGISTRY, visible_specs

actor = require_page(P.ROSTER_VIEW)
st.title(t("admin.title"))
entities = [s.entity for s in visible_specs(actor.permissions)]
if not entities:
    st.info(t("admin.none_visible"), icon=":material/lock:")
    st.stop()
wanted = st.query_params.get("entity")
entity = st.pills(
    t("admin.choose_entity"),
    entities,
    key="admin.entity",
    required=True,
    default=wanted if wanted in entities else entities[0],
    label_visibility="collapsed",
    format_func=lambda e: f"{REGISTRY[e].icon} {t(REGISTRY[e].title_key)}",
)
if entity:
    if st.query_params.get("entity") != entity:
        st.query_params["entity"] = entity
    render_admin(actor, entity)
