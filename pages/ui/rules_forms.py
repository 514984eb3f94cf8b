"""The phone-sized editors of /rules: one per rule set; each returns the new value when submitted, else None."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from models.org import OrgKind
from pages.ui.i18n import dl, t
from pages.ui.rules_labels import grade_label, kind_label, part_label
from pages.ui.supervision_rules import risk_editor
from services.access.permissions import P
from services.cases.deadlines import RULE_KEYS
from services.core.text import escape_markdown
from services.ledger import duties
from services.ledger.budget import RATE_GRADES
from services.ledger.policy import RATE_USUAL_FEN, unusual_rate
from services.lowcode.rule_sets import WARNING_LIMITS
from services.rating import schemes as rs

Value = dict[str, Any]
ANY_KIND = "*"  # a general rate, for every organisation kind


def field_key(name: str, *parts: object) -> str:
    return ".".join(["rules.f", name, *(str(p) for p in parts)])


def _ints(name: str, value: Value, keys: tuple[str, ...]) -> Value | None:
    with st.form(field_key(name, "form")):
        out = {
            k: st.number_input(t(f"rules.field.{k}"), min_value=1, value=int(value[k]), step=1, key=field_key(name, k))
            for k in keys
        }
        return out if submit_row(name) else None


def submit_row(name: str) -> bool:
    """The note field and the save button at the foot of an editor form."""
    st.text_input(t("rules.note"), max_chars=200, key=field_key(name, "note"))
    return st.form_submit_button(t("rules.save"), type="primary", icon=":material/save:", width="stretch")


def deadlines_editor(value: Value) -> Value | None:
    return _ints("deadlines", value, RULE_KEYS)


def warning_editor(value: Value) -> Value | None:
    return _ints("early_warning", value, tuple(WARNING_LIMITS))


def _rate_rows(rates: dict[str, int]) -> list[dict[str, Any]]:
    order = {g: n for n, g in enumerate(RATE_GRADES)}
    rows = [
        {"grade": k.partition("@")[0], "yuan": fen / 100, "kind": k.partition("@")[2] or ANY_KIND}
        for k, fen in rates.items()
    ]
    return sorted(rows, key=lambda r: (order.get(r["grade"], 99), r["kind"]))


def rates_editor(value: Value) -> Value | None:
    """Amount first so it stays visible on a phone; an empty organisation kind means every kind."""
    with st.form(field_key("subsidy_rates", "form")):
        st.caption(t("rules.rates_help"))
        edited = st.data_editor(
            pd.DataFrame(_rate_rows(value["rates"]), columns=["grade", "yuan", "kind"]),
            num_rows="dynamic",
            hide_index=True,
            width="stretch",
            key=field_key("subsidy_rates", "table"),
            column_config={
                "grade": st.column_config.SelectboxColumn(
                    t("rules.field.grade"),
                    options=list(RATE_GRADES),
                    format_func=grade_label,
                    required=True,
                    width="small",
                ),
                "yuan": st.column_config.NumberColumn(
                    t("rules.field.yuan"), min_value=0.0, step=0.01, format="%.2f", required=True, width="small"
                ),
                "kind": st.column_config.SelectboxColumn(
                    t("rules.field.org_kind"),
                    default=ANY_KIND,
                    width="medium",
                    options=[ANY_KIND, *map(str, OrgKind)],
                    format_func=kind_label,
                ),
            },
        )
        cap = st.number_input(
            t("rules.field.award_cap_yuan"),
            min_value=0.0,
            step=100.0,
            value=value["award_cap_fen"] / 100,
            key=field_key("subsidy_rates", "cap"),
        )
        confirmed = st.checkbox(t("rules.rates_confirm"), key=field_key("subsidy_rates", "confirm"))
        if not submit_row("subsidy_rates"):
            return None
    rates: dict[str, int] = {}
    for r in edited.to_dict("records"):
        kind = r["kind"] if isinstance(r.get("kind"), str) and r["kind"] != ANY_KIND else ""
        key = f"{r.get('grade') or ''}@{kind}" if kind else str(r.get("grade") or "")
        rates[key] = round(float(r["yuan"]) * 100) if pd.notna(r.get("yuan")) else -1
    if any(fen < 0 for fen in rates.values()):
        st.error(t("rules.rates_missing"), icon=":material/error:")
        return None
    odd = [k for k, fen in rates.items() if unusual_rate(fen) and value["rates"].get(k) != fen]  # new or changed
    if odd and not confirmed:
        st.error(
            t(
                "rules.rates_unusual",
                low=RATE_USUAL_FEN[0] // 100,
                high=f"{RATE_USUAL_FEN[1] // 100:,}",
                rates="、".join(f"{part_label(k, 'rates')} {rates[k] / 100:.2f}" for k in odd),
            ),
            icon=":material/error:",
        )
        return None
    return {"rates": rates, "award_cap_fen": round(float(cap) * 100)}


def duties_editor(value: Value) -> Value | None:
    """Which two steps of a claim one person may both do; none ticked: four different people (the default)."""
    shared = set(value.get("may_share") or [])
    with st.form(field_key("ledger_duties", "form")):
        st.caption(t("rules.duties_help"))
        st.markdown(f"**{t('rules.field.may_share')}**")
        ticked = {
            p: st.checkbox(t(f"rules.field.{p}"), value=p in shared, key=field_key("ledger_duties", p))
            for p in duties.PAIRS
        }
        if not submit_row("ledger_duties"):
            return None
    return {"may_share": [p for p, on in ticked.items() if on]}


def rating_editor(value: Value) -> Value | None:
    subject = (
        st.segmented_control(
            t("rating.subject"),
            list(rs.SUBJECTS),
            default=rs.MEDIATOR,
            key="rules.subject",
            format_func=lambda x: t(f"rating.subject_{x}"),
        )
        or rs.MEDIATOR
    )
    part = value[subject]
    with st.form(field_key("rating_schemes", "form", subject)):
        st.markdown(f"**{t('rules.field.weights')}**")
        weights = {
            m: st.number_input(
                t(f"rating.metric.{m}"),
                min_value=0.0,
                max_value=100.0,
                step=1.0,
                value=float(part["weights"].get(m, 0)),
                key=field_key("rating_schemes", subject, "w", m),
            )
            for m in rs.METRICS[subject]
        }
        st.markdown(f"**{t('rules.field.thresholds')}**")
        with st.container(horizontal=True, gap="small"):
            levels = {
                k: st.number_input(
                    t("rules.field.stars", n=k),
                    min_value=0.0,
                    max_value=100.0,
                    step=1.0,
                    value=float(part["thresholds"][k]),
                    width=150,
                    key=field_key("rating_schemes", subject, "th", k),
                )
                for k in rs.STAR_LEVELS
            }
        least = st.number_input(
            t("rules.field.min_cases"),
            min_value=1,
            step=1,
            value=int(part["min_cases"]),
            key=field_key("rating_schemes", subject, "min"),
        )
        if not submit_row("rating_schemes"):
            return None
    return {**value, subject: {"weights": weights, "thresholds": levels, "min_cases": int(least)}}


def checklist_editor(value: Value) -> Value | None:
    rows = [
        {"code": c, "label_zh": i["label_zh"], "label_en": i["label_en"], "points": i["points"], "active": i["active"]}
        for c, i in value["items"].items()
    ]
    with st.form(field_key("checklist", "form")):
        st.caption(t("rules.checklist_help"))
        edited = st.data_editor(
            pd.DataFrame(rows),
            num_rows="dynamic",
            hide_index=True,
            width="stretch",
            key=field_key("checklist", "table"),
            column_config={
                "code": st.column_config.TextColumn(t("rules.field.code"), required=True, max_chars=40),
                "label_zh": st.column_config.TextColumn(t("rules.field.label_zh"), max_chars=80),
                "label_en": st.column_config.TextColumn(t("rules.field.label_en"), max_chars=80),
                "points": st.column_config.NumberColumn(
                    t("rules.field.points"), min_value=0.0, max_value=100.0, step=0.5
                ),
                "active": st.column_config.CheckboxColumn(t("rules.field.active"), default=True),
            },
        )
        if not submit_row("checklist"):
            return None
    items = {}
    for n, r in enumerate(edited.to_dict("records")):
        code = str(r.get("code") or "").strip()
        items[code] = {
            "label_zh": r.get("label_zh") or "",
            "label_en": r.get("label_en") or "",
            "points": r.get("points") if pd.notna(r.get("points")) else 0,
            "active": bool(r.get("active")),
            "position": n,
        }
    return {"items": items}


def roles_editor(value: Value) -> Value | None:
    roles = value["roles"]
    role = st.selectbox(
        t("rules.field.role"),
        list(roles),
        key="rules.role",
        format_func=lambda c: dl(roles[c]["name_zh"], roles[c]["name_en"]),
    )
    spec = roles[role]
    with st.form(field_key("roles", "form", role)):
        if role == "admin":
            st.caption(t("rules.role_admin_note"))
        held = {
            str(p): st.checkbox(
                t(f"perm.{p.value}"), value=str(p) in spec["permissions"], key=field_key("roles", role, p.value)
            )
            for p in P
        }
        if not submit_row("roles"):
            return None
    return {"roles": {**roles, role: {**spec, "permissions": sorted(p for p, on in held.items() if on)}}}


def roles_matrix(value: Value) -> None:
    """Every role × permission at a glance (read-only; the table scrolls inside itself on a phone)."""
    roles = value["roles"]
    with st.expander(t("rules.matrix"), icon=":material/grid_on:"):
        grid = pd.DataFrame(
            {dl(r["name_zh"], r["name_en"]): [p.value in r["permissions"] for p in P] for r in roles.values()},
            index=[t(f"perm.{p.value}") for p in P],
        )
        st.dataframe(grid, width="stretch", key="rules.matrix")


def new_role_form(value: Value) -> Value | None:
    """A custom role composed of existing permissions; returns the roles with it added when submitted."""
    with st.expander(t("rules.role_new"), icon=":material/person_add:"), st.form(field_key("roles", "new")):
        code = st.text_input(t("rules.field.role_code"), max_chars=40, key=field_key("roles", "new", "code"))
        zh = st.text_input(t("rules.field.role_name_zh"), max_chars=60, key=field_key("roles", "new", "zh"))
        en = st.text_input(t("rules.field.role_name_en"), max_chars=60, key=field_key("roles", "new", "en"))
        perms = st.multiselect(
            t("rules.field.permissions"),
            [p.value for p in P],
            key=field_key("roles", "new", "p"),
            format_func=lambda p: t(f"perm.{p}"),
        )
        st.text_input(t("rules.note"), max_chars=200, key=field_key("roles", "new", "note"))
        if not st.form_submit_button(t("rules.role_add"), icon=":material/add:", width="stretch"):
            return None
    if code.strip() in value["roles"]:
        st.error(t("rules.error.role_exists", code=escape_markdown(code.strip())), icon=":material/error:")
        return None
    return {"roles": {**value["roles"], code.strip(): {"name_zh": zh, "name_en": en, "permissions": perms}}}


EDITORS: dict[str, Callable[[Value], Value | None]] = {
    "subsidy_rates": rates_editor,
    "rating_schemes": rating_editor,
    "deadlines": deadlines_editor,
    "early_warning": warning_editor,
    "checklist": checklist_editor,
    "roles": roles_editor,
    duties.NAME: duties_editor,
    "risk_levels": risk_editor,
}
