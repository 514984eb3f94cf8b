"""The organisation tree on the admin's organisations view: indented by level, with cases and mediators."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from pages.ui.db import get_db
from pages.ui.i18n import t
from pages.ui.widgets import attempt
from services.access.authz import Actor
from services.roster.org_tree import OrgNode, org_tree

INDENT = "　"  # a full-width space per level: the names line up under their host in Chinese text


def tree_label(node: OrgNode) -> str:
    """The name as the tree shows it: indented by level, a branch mark below the top."""
    return (INDENT * (node.level - 1) + "└ " if node.level else "") + node.name


def show_org_tree(actor: Actor, open_record: Callable[[int], None]) -> None:
    """The actor's area as an indented table; picking a row opens that organisation's record."""

    def read() -> list[OrgNode]:
        with get_db().read() as s:
            return org_tree(s, actor=actor)

    nodes = attempt(read)
    if not nodes:
        return
    st.caption(t("admin.org_tree_help", n=len(nodes)))
    data = [
        {
            t("admin.org_tree_name"): tree_label(n),
            t("admin.field.kind"): t(f"admin.enum.org_kind.{n.kind}"),
            t("admin.org_tree_cases"): n.cases,
            t("admin.org_tree_own_cases"): n.own_cases,
            t("admin.org_tree_mediators"): n.mediators,
            t("admin.org_tree_own_mediators"): n.own_mediators,
            t("admin.field.code"): n.code,
        }
        for n in nodes
    ]
    picked = st.dataframe(
        data,
        hide_index=True,
        width="stretch",
        height=min(36 * (len(data) + 1) + 4, 720),
        on_select="rerun",
        selection_mode="single-row",
        key="admin.organisation.tree_grid",
    )
    rows = picked.selection.rows if picked is not None else []
    if rows:
        open_record(nodes[rows[0]].id)
        st.rerun()
