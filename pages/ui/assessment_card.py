"""目标考核 widgets: a scorecard with the formula and records behind each line, its review and publication,
manual scores and overrides, the ranked tables, the Excel export and the scheme editor."""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st

from pages.nav import spec_for
from pages.ui.assessment_dossier import flash
from pages.ui.db import get_db
from pages.ui.i18n import t
from pages.ui.widgets import attempt, plain
from services.access.authz import Actor
from services.access.permissions import P
from services.assessment import card_view, schemes, scorecards
from services.assessment.scorecard_export import export_xlsx
from services.core import clock
from services.core.text import escape_markdown as esc

STATUS_ICON = {
    "computed": ":material/calculate:",
    "reviewed": ":material/fact_check:",
    "published": ":material/verified:",
}


def fmt_value(metric: str, value: float | None) -> str:
    if value is None:
        return t("assessment.no_value")
    if schemes.METRICS.get(metric) == "rate":
        return f"{value * 100:.1f}%"
    return f"{value:g}"


def formula(line: dict[str, Any]) -> str:
    """How the line's value and points were found, in words and numbers."""
    metric, rule = line["metric"], line["rule"]
    parts = []
    if metric != schemes.MANUAL:
        parts.append(t(f"assessment.metric.{metric}.formula"))
        if line.get("den") is not None:
            parts.append(
                t(
                    "assessment.division",
                    num=f"{line['num']:g}",
                    den=f"{line['den']:g}",
                    value=fmt_value(metric, line["value"]),
                )
            )
    target = fmt_value(metric, line["target"]) if metric != schemes.MANUAL else ""
    parts.append(t(f"assessment.rule.{rule}", weight=f"{line['weight']:g}", target=target, per=f"{line['per']:g}"))
    return "；".join(parts)


def status_text(status: str) -> str:
    return t(f"assessment.status.{status}")


def evidence_button(actor: Actor, entry_id: int, name: str) -> None:
    def data() -> bytes:  # read when tapped
        with get_db().read() as s:
            return scorecards.evidence_of(s, actor=actor, entry_id=entry_id)[1]

    st.download_button(name, data=data, file_name=name, icon=":material/attach_file:", key=f"assessment.ev.{entry_id}")


def line_box(actor: Actor, line: dict[str, Any], records: list[card_view.RecordRow], when: dict[int, Any]) -> None:
    with st.container(border=True):
        head = st.columns([3, 1])
        head[0].markdown(f"**{esc(line['label'])}**")
        head[1].markdown(f"**{line['points']:g}** / {line['weight']:g}")
        value = fmt_value(line["metric"], line["value"])
        target = fmt_value(line["metric"], line["target"]) if line["metric"] != schemes.MANUAL else "—"
        st.caption(t("assessment.value_target", value=value, target=target))
        st.caption(formula(line))
        entry = line.get("entry")
        if entry:
            kind = t(f"assessment.entry.{entry['kind']}")
            st.caption(t("assessment.entry_line", kind=kind, at=clock.format_local(when.get(entry["id"]))))
            plain(entry["note"])
            if entry.get("evidence_name"):
                evidence_button(actor, entry["id"], entry["evidence_name"])
        if line["metric"] != schemes.MANUAL:
            with st.expander(t("assessment.records", n=len(records)), icon=":material/list:"):
                case_page = spec_for("case").path
                for r in records:
                    if r.kind == "case":
                        st.page_link(
                            case_page,
                            label=f"{r.label} · {t(f'status.{r.detail}')}",
                            icon=":material/folder_open:",
                            query_params={"case": str(r.id)},
                        )
                    else:
                        st.text(f"{r.on} · {r.label} · {r.detail} · {r.hours:g}h")
                if not records:
                    st.caption(t("assessment.no_records"))


def _records_of(s: Any, actor: Actor, card_id: int, key: str) -> list[card_view.RecordRow]:
    return attempt(lambda: card_view.line_records(s, actor=actor, card_id=card_id, key=key)) or []


def card_page(actor: Actor, card_id: int) -> None:
    """One unit's scorecard."""
    with get_db().read() as s:
        view = attempt(lambda: card_view.card_view(s, actor=actor, card_id=card_id))
        records: dict[str, list[card_view.RecordRow]] = {}
        entries = attempt(lambda: scorecards.entries_of(s, actor=actor, card_id=card_id)) or []
        if view is not None:
            for line in view.card.lines:
                records[line["key"]] = _records_of(s, actor, card_id, str(line["key"]))
    if view is None:
        return
    card = view.card
    st.subheader(esc(view.org_name), anchor=False)
    st.caption(esc(f"{view.scheme.name} · {view.scheme.period}"))
    cols = st.container(horizontal=True, gap="medium")
    cols.metric(t("assessment.total_now"), f"{card.total:g}")
    cols.metric(t("assessment.total_published"), "—" if card.published_total is None else f"{card.published_total:g}")
    st.badge(status_text(card.status), icon=STATUS_ICON.get(card.status), color="blue")
    if card.published_total is not None and card.status != "published":
        st.caption(t("assessment.published_stands"))
    for line in card.lines:
        line_box(actor, line, records.get(line["key"], []), {e.id or 0: e.at for e in entries})
    if actor.can(P.ASSESSMENT_EDIT):
        decide(actor, card)
        entry_form(actor, card)


def decide(actor: Actor, card: Any) -> None:
    step = {"computed": ("review", scorecards.review_card), "reviewed": ("publish", scorecards.publish_card)}
    if card.status not in step:
        return
    name, action = step[card.status]
    if st.button(
        t(f"assessment.{name}"), key=f"assessment.{name}", icon=":material/verified:", type="primary", width="stretch"
    ):
        with get_db().write() as s:
            done = attempt(lambda: action(s, actor=actor, card_id=card.id, version=card.version))
        if done is not None:
            flash(f"assessment.{name}_ok")


def entry_form(actor: Actor, card: Any) -> None:
    """Score a manual indicator or override a computed one; the note is the reason."""
    with (
        st.expander(t("assessment.entry_title"), icon=":material/edit_note:"),
        st.form("assessment.entry", clear_on_submit=True),
    ):
        labels: dict[str, str] = {str(line["key"]): str(line["label"]) for line in card.lines}
        key = str(
            st.selectbox(
                t("assessment.indicator"),
                list(labels),
                format_func=lambda k: labels.get(k, k),
                key="assessment.entry_indicator",
            )
        )
        points = st.number_input(
            t("assessment.points"), min_value=0.0, max_value=100.0, step=0.5, key="assessment.entry_points"
        )
        note = st.text_area(t("assessment.entry_note"), max_chars=500, key="assessment.entry_note")
        upload = st.file_uploader(t("assessment.evidence"), key="assessment.entry_file")
        if st.form_submit_button(t("assessment.entry_save"), icon=":material/save:", width="stretch"):
            data = upload.getvalue() if upload is not None else None
            with get_db().write() as s:
                done = attempt(
                    lambda: scorecards.set_entry(
                        s,
                        actor=actor,
                        card_id=card.id,
                        indicator=key,
                        points=float(points),
                        note=note,
                        evidence_name=upload.name if upload is not None else "",
                        evidence=data,
                    )
                )
            if done is not None:
                flash("assessment.entry_ok")


def scheme_panel(actor: Actor, scheme: Any) -> None:
    """The ranked tables of a scheme, with compute and export."""
    if actor.can(P.ASSESSMENT_EDIT) and st.button(
        t("assessment.compute"), key="assessment.compute", icon=":material/calculate:", width="stretch"
    ):
        with get_db().write() as s:
            done = attempt(lambda: scorecards.compute_scheme(s, actor=actor, scheme_id=scheme.id))
        if done is not None:
            flash("assessment.computed", n=len(done))
    with get_db().read() as s:
        table = attempt(lambda: scorecards.ranking(s, actor=actor, scheme_id=scheme.id)) or {}
        mine = {c.id for c, _ in attempt(lambda: card_view.cards_of(s, actor=actor, scheme_id=scheme.id)) or []}
    page = spec_for("assessment").path
    for kind, rows in table.items():
        st.markdown(f"**{t('assessment.ranking_title', kind=t(f'admin.enum.org_kind.{kind}'))}**")
        if not rows:
            st.caption(t("assessment.no_cards"))
        for r in rows:
            if r.rank is not None and r.total is not None:
                label = t("assessment.ranked", rank=r.rank, unit=r.org_name, total=f"{r.total:g}")
                if r.status != "published":
                    label += " · " + t("assessment.recomputed", latest=f"{r.latest:g}")
            else:
                label = t("assessment.unranked", unit=r.org_name, latest=f"{r.latest:g}", status=status_text(r.status))
            if r.card_id in mine:
                st.page_link(page, label=label, icon=STATUS_ICON.get(r.status), query_params={"card": str(r.card_id)})
            else:
                st.text(label)

    def data() -> bytes:  # made when tapped (on another thread), not on every run
        with get_db().read() as s:
            return export_xlsx(s, actor=actor, scheme_id=scheme.id)

    if table:
        st.download_button(
            t("assessment.export"),
            data=data,
            file_name=f"assessment-{scheme.period}.xlsx",
            icon=":material/download:",
            key="assessment.export",
            width="stretch",
        )


def scheme_editor(actor: Actor) -> None:
    """A new scheme (or a new version of one): period, unit kinds and the indicators as a table."""
    if not actor.can(P.ASSESSMENT_EDIT):
        return
    with st.expander(t("assessment.new_scheme"), icon=":material/add:"), st.form("assessment.scheme"):
        year = clock.today().year
        name = st.text_input(
            t("assessment.scheme_name"),
            value=t("assessment.scheme_default", year=year),
            max_chars=80,
            key="assessment.scheme_name",
        )
        period = st.text_input(t("assessment.period"), value=str(year), max_chars=12, key="assessment.period")
        cols = st.columns(2)
        start = cols[0].date_input(t("assessment.start"), value=date(year, 1, 1), key="assessment.start")
        end = cols[1].date_input(t("assessment.end"), value=date(year, 12, 31), key="assessment.end")
        kinds = st.multiselect(
            t("assessment.unit_kinds"),
            ["town", "police_station", "justice_office", "court", "village_committee", "coordination"],
            default=["town"],
            format_func=lambda k: t(f"admin.enum.org_kind.{k}"),
            key="assessment.kinds",
        )
        rows = st.data_editor(
            schemes.DEFAULT_INDICATORS, num_rows="dynamic", key="assessment.indicators", width="stretch"
        )
        st.caption(t("assessment.indicators_help"))
        if st.form_submit_button(t("assessment.save_scheme"), icon=":material/save:", width="stretch"):
            with get_db().write() as s:
                done = attempt(
                    lambda: schemes.save_scheme(
                        s,
                        actor=actor,
                        region_org_id=None,
                        name=name,
                        period=period,
                        start=start,
                        end=end,
                        unit_kinds=kinds,
                        indicators=[dict(r) for r in rows],
                    )
                )
            if done is not None:
                flash("assessment.scheme_saved", version=done.version)


def _records(rows: Any) -> list[dict[str, Any]]:
    """The data editor's rows as plain dicts (it may hand back a DataFrame)."""
    items = rows.to_dict("records") if hasattr(rows, "to_dict") else list(rows)
    return [{k: v for k, v in dict(r).items() if v is not None and v == v} for r in items]  # v == v drops NaN
