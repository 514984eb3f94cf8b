"""Shared pieces of the subsidy ledger pages: status and hold-reason texts, a claim card, money charts."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import streamlit as st

from pages.ui.i18n import t
from pages.ui.widgets import BadgeColor
from services.core.clock import format_local_date
from services.core.text import escape_markdown as esc
from services.ledger.policy import format_yuan, parse_hold_reason
from services.ledger.views import ClaimRow

STATUS_ICON = {
    "claimed": ":material/schedule:",
    "held": ":material/pause_circle:",
    "audited": ":material/fact_check:",
    "approved": ":material/task_alt:",
    "paid": ":material/paid:",
    "rejected": ":material/block:",
    "reversed": ":material/undo:",
}
STATUS_COLOR: dict[str, BadgeColor] = {
    "held": "orange",
    "paid": "green",
    "rejected": "red",
    "reversed": "gray",
    "approved": "blue",
}
CHART_HEIGHT = 220


def status_text(status: str) -> str:
    return t(f"ledger.status.{status}")


def kind_text(kind: str) -> str:
    return t(f"ledger.kind.{kind}")


def org_kind_text(kind: str | None) -> str:
    """An organisation kind in words (the organisation register's labels), or a dash for "any"."""
    if not kind:
        return "—"
    key = f"admin.enum.org_kind.{kind}"
    text = t(key)
    return kind if text == key else text


def hold_reasons(stored: str) -> list[str]:
    """The stored hold reason as sentences in the current language (free text is passed through)."""
    out = []
    for code, detail in parse_hold_reason(stored):
        if code == "splitting":
            out.append(t("ledger.hold.splitting", cases=detail.replace(",", "、")))
        elif code == "agreement_broken":
            out.append(t("ledger.hold.agreement_broken"))
        elif code == "dossier":  # 卷宗评查 (issue 19): detail is grade:score:round
            _, score, rnd = [*detail.split(":"), "", "", ""][:3]
            out.append(t("ledger.hold.dossier", score=score, round=rnd))
        else:
            out.append(detail)
    return out


def status_badge(status: str) -> None:
    st.badge(status_text(status), icon=STATUS_ICON.get(status), color=STATUS_COLOR.get(status, "blue"))


def claim_card(row: ClaimRow, grades: dict[str, str]) -> None:
    """One claim on a phone: case number, amount, status, why it is held; data shown as text, never markdown."""
    with st.container(border=True):
        top = st.container(horizontal=True, gap="small", vertical_alignment="center")
        with top:
            st.markdown(f"**{esc(row.case_no)}**")
            status_badge(row.status)
        st.text(
            f"{kind_text(row.kind)} · {grades.get(row.grade, row.grade)} · {format_yuan(row.amount_fen)} "
            f"{t('ledger.yuan')}"
        )
        st.caption(f"{esc(row.mediator_name)} · {esc(row.org_name)} · {format_local_date(row.claimed_at)}")
        for text in hold_reasons(row.hold_reason) if row.status == "held" else []:
            st.text(t("ledger.held_because", reason=text))


def _bars(data: list[dict[str, object]], x: str, x_title: str, *, horizontal: bool) -> alt.Chart:
    height: alt.Step | int = alt.Step(36) if horizontal else CHART_HEIGHT
    amount = (
        alt.Y("yuan:Q", title=t("ledger.chart_yuan"))
        if not horizontal
        else alt.X("yuan:Q", title=t("ledger.chart_yuan"))
    )
    label = (
        alt.X(f"{x}:O", title=x_title, axis=alt.Axis(labelAngle=0))
        if not horizontal
        else alt.Y(f"{x}:N", title=None, sort="-x", axis=alt.Axis(labelLimit=110))
    )
    chart: alt.Chart = (
        alt.Chart(alt.Data(values=data))
        .mark_bar(color="#1f6feb", cornerRadiusEnd=3)
        .encode(
            x=label if not horizontal else amount,
            y=amount if not horizontal else label,
            tooltip=[
                alt.Tooltip(f"{x}:N", title=x_title),
                alt.Tooltip("yuan:Q", title=t("ledger.chart_yuan"), format=","),
            ],
        )
        .properties(height=height)
    )
    return chart


def month_chart(rows: Sequence[tuple[int, int]]) -> alt.Chart:
    """Net paid per month (whole yuan: a chart needs no cents)."""
    return _bars(
        [{"month": m, "yuan": fen // 100} for m, fen in rows], "month", t("ledger.chart_month"), horizontal=False
    )


def county_chart(rows: Sequence[tuple[str, int]]) -> alt.Chart:
    """Net paid per county, largest first."""
    return _bars(
        [{"county": name, "yuan": fen // 100} for name, fen in rows],
        "county",
        t("ledger.chart_county"),
        horizontal=True,
    )
