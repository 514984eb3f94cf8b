"""Office settings of issue 19 as data: the case number pattern of the region and the dossier checklist."""

from __future__ import annotations

from typing import Any

import streamlit as st

from pages.ui.assessment_dossier import flash, grade_text
from pages.ui.db import get_db
from pages.ui.i18n import t
from pages.ui.widgets import attempt
from services.access.authz import Actor
from services.access.permissions import P
from services.assessment import dossier_review as review_svc
from services.assessment import numbering
from services.core import clock
from services.documents.layouts import LAYOUTS


def numbering_editor(actor: Actor) -> None:
    """The region's case number pattern, its next number, and a form for a new pattern."""
    if not actor.can(P.ASSESSMENT_EDIT):
        return
    with st.expander(t("assessment.numbering_title"), icon=":material/tag:"):
        kind = st.selectbox(
            t("assessment.numbering_kind"),
            [k for k in numbering.RULE_KINDS if k == "case" or "{{doc_no}}" in str(LAYOUTS.get(k, ""))],  # printed
            format_func=lambda k: t("assessment.numbering_kind_case") if k == "case" else t(f"documents.kind.{k}"),
            key="assessment.numbering_kind",
        )
        with get_db().read() as s:
            got = attempt(lambda: numbering.rule_in_area(s, actor=actor, year=clock.today().year, kind=kind))
        if got is None:
            return
        area, rule, preview = got
        st.caption(t("assessment.numbering_now", pattern=rule.pattern if rule else t("assessment.numbering_builtin")))
        if preview:
            st.caption(t("assessment.numbering_next", org=area.name, number=preview))
        with st.form(f"assessment.numbering.{kind}"):
            pattern = st.text_input(
                t("assessment.numbering_pattern"),
                value=rule.pattern if rule else numbering.DEFAULT_PATTERN,
                max_chars=80,
                help=t("assessment.numbering_help"),
                key=f"assessment.numbering_pattern.{kind}",
            )
            short = st.text_input(
                t("assessment.numbering_short"),
                value=rule.short if rule else "",
                max_chars=20,
                key=f"assessment.numbering_short.{kind}",
            )
            scope = st.radio(
                t("assessment.numbering_scope"),
                ["org", "rule"],
                horizontal=True,
                index=1 if rule and rule.scope == "rule" else 0,
                format_func=lambda x: t(f"assessment.numbering_scope.{x}"),
                key=f"assessment.numbering_sc.{kind}",
            )
            if st.form_submit_button(t("assessment.numbering_save"), icon=":material/save:", width="stretch"):
                with get_db().write() as s:
                    done = attempt(
                        lambda: numbering.set_rule(
                            s, actor=actor, org_id=area.id or 0, pattern=pattern, short=short, scope=scope, kind=kind
                        )
                    )
                if done is not None:
                    flash("assessment.numbering_saved")


def checklist_editor(actor: Actor) -> None:
    """The dossier checklist in force (items, bands, sample size); an editor saves a new version."""
    with get_db().read() as s:
        got = attempt(lambda: review_svc.checklist_in_area(s, actor=actor))
    if got is None:
        return
    area, checklist = got
    with st.expander(t("assessment.checklist_title", version=checklist.version), icon=":material/checklist:"):
        bands = "；".join(f"{grade_text(b['grade'])} ≥ {b['min']:g}" for b in checklist.bands)
        st.caption(t("assessment.checklist_bands", bands=bands, size=checklist.sample_size))
        if not actor.can(P.ASSESSMENT_EDIT):
            st.dataframe(_rows(checklist.items), hide_index=True)
            return
        with st.form("dossier_review.checklist"):
            items = st.data_editor(
                _rows(checklist.items), num_rows="dynamic", key="dossier_review.items", width="stretch"
            )
            size = st.number_input(
                t("assessment.sample_size"),
                min_value=1,
                max_value=200,
                value=checklist.sample_size,
                key="dossier_review.size",
            )
            st.caption(t("assessment.checklist_help"))
            if st.form_submit_button(t("assessment.checklist_save"), icon=":material/save:", width="stretch"):
                with get_db().write() as s:
                    done = attempt(
                        lambda: review_svc.save_checklist(
                            s,
                            actor=actor,
                            region_org_id=area.id or 0,
                            items=_items(items),
                            bands=checklist.bands,
                            sample_size=int(size),
                        )
                    )
                if done is not None:
                    flash("assessment.checklist_saved", version=done.version)


def _rows(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Items as editable rows: required_for as space-separated kinds."""
    return [{**i, "required_for": " ".join(i.get("required_for", []))} for i in items]


def _items(rows: Any) -> list[dict[str, Any]]:
    records = rows.to_dict("records") if hasattr(rows, "to_dict") else list(rows)
    out = []
    for r in records:
        item = {k: v for k, v in dict(r).items() if v is not None and v == v}
        item["required_for"] = str(item.get("required_for", "")).split()
        item["auto"] = str(item.get("auto", "") or "")
        out.append(item)
    return out
