"""Score-card widgets shared by the office's card page and the mediator's own page (phone first: one column)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import streamlit as st

from pages.nav import spec_for
from pages.ui.i18n import dl, t
from pages.ui.widgets import attempt, status_label
from services.core.clock import format_local_date
from services.core.text import escape_markdown as esc
from services.rating.card import Card, CardLine, EvidencePage
from services.rating.schemes import Period, parse_period

UNIT = {
    "cases": "count",
    "success_rate": "pct",
    "performance_rate": "pct",
    "confirmation_rate": "pct",
    "satisfaction": "score",
    "training": "hours",
    "complaints": "count",
    "checklist": "pct",
}
CASE_PARTS = ("mediated", "succeeded", "failed", "due", "fulfilled", "confirmed", "followup", "public")
EvidenceLoader = Callable[[str, int], EvidencePage | None]


def stars_text(stars: int | None) -> str:
    """★★★☆☆, or "not rated"."""
    return t("rating.not_rated") if stars is None else "★" * stars + "☆" * (5 - stars)


def fmt_value(metric: str, value: float | None) -> str:
    if value is None:
        return t("rating.no_value")
    unit = UNIT.get(metric, "count")
    if unit == "pct":
        return f"{value * 100:.1f}%"
    if unit == "score":
        return t("rating.value_score", v=f"{value:.2f}")
    if unit == "hours":
        return t("rating.value_hours", h=f"{value:g}")
    return f"{int(value):,}"


def fmt_target(metric: str, target: float) -> str:
    return fmt_value(metric, target)


def period_options(today: date) -> list[str]:
    """Years back from this one, then the halves of the last two years."""
    years = [str(today.year - i) for i in range(5)]
    halves = [f"{y}-H{h}" for y in (today.year, today.year - 1) for h in (2, 1)]
    return years + [h for h in halves if parse_period(h).start <= today]


def period_caption(period: Period) -> str:
    return t("rating.period_caption", start=period.start.isoformat(), end=period.end.isoformat())


def header(card: Card) -> None:
    """Who, which period, the score and the stars (proposed and, once decided, approved)."""
    st.subheader(esc(card.name))
    if card.org_name:
        st.caption(esc(card.org_name))
    st.caption(t("rating.card_period", period=card.period, status=t(f"rating.status.{card.status}")))
    col1, col2 = st.columns(2)
    col1.metric(t("rating.score"), "—" if card.score is None else f"{card.score:.2f}")
    shown = card.approved if card.status in ("approved", "overridden", "revised") else card.proposed
    col2.metric(
        t("rating.stars_decided") if card.status in ("approved", "overridden") else t("rating.stars_proposed"),
        stars_text(shown),
    )
    if card.status == "overridden":
        st.info(t("rating.overridden_from", proposed=stars_text(card.proposed)), icon=":material/edit_note:")
        st.text(card.override_reason)
    if card.proposed is None:
        st.caption(t("rating.not_rated_caption", n=card.min_cases))
    bits = [t("rating.card_scheme", scheme=card.scheme)]
    if card.as_of:
        bits.append(t("rating.card_as_of", as_of=card.as_of.isoformat()))
    st.caption(" · ".join(bits))
    if card.scheme_outdated:
        st.warning(t("rating.scheme_outdated"), icon=":material/update:")


def published(card: Card) -> None:
    """On a newer proposal: the published rating that stands until decided again, and what changed since."""
    pub = card.published
    if pub is None:
        return
    with st.container(border=True):
        st.markdown(f"**{t('rating.published_title')}**")
        st.text(
            t(
                "rating.published_line",
                stars=stars_text(pub.approved),
                status=t(f"rating.status.{pub.status}"),
                score="—" if pub.score is None else f"{pub.score:.2f}",
                at=format_local_date(pub.decided_at) if pub.decided_at else "—",
            )
        )
        if pub.status == "overridden":
            st.caption(t("rating.overridden_from", proposed=stars_text(pub.proposed)))
            st.text(pub.reason)
        st.caption(t("rating.published_stands"))
        st.markdown(f"**{t('rating.since_publication')}**")
        lines = []
        if "score" in pub.changes:
            old, new = (("—" if v is None else f"{v:.2f}") for v in pub.changes["score"])
            lines.append(t("rating.change_score", old=old, new=new))
        if "stars" in pub.changes:
            old, new = (stars_text(v) for v in pub.changes["stars"])
            lines.append(t("rating.change_stars", old=old, new=new))
        for title, meets in pub.titles:
            lines.append(t("rating.since_title_kept" if meets else "rating.since_title_lost", title=title))
        for line in lines or [t("rating.since_nothing")]:
            st.text(line)


def changes(card: Card) -> None:
    """What differs from the previous computation of the same period."""
    ch = card.changes
    if not ch or ch.get("new"):
        return
    lines = []
    if "score" in ch:
        lines.append(t("rating.change_score", old=ch["score"][0], new=ch["score"][1]))
    if "stars" in ch:
        lines.append(t("rating.change_stars", old=stars_text(ch["stars"][0]), new=stars_text(ch["stars"][1])))
    for metric, (old, new) in (ch.get("lines") or {}).items():
        lines.append(
            t(
                "rating.change_line",
                metric=t(f"rating.metric.{metric}"),
                old=fmt_value(metric, old),
                new=fmt_value(metric, new),
            )
        )
    for part, (old, new) in (ch.get("parts") or {}).items():
        lines.append(t("rating.change_part", part=t(f"rating.part.{part}"), old=old, new=new))
    if lines:
        with st.container(border=True):
            st.markdown(f"**{t('rating.changes_title')}**")
            for line in lines:
                st.text(line)


def line_box(line: CardLine) -> None:
    """One metric: value, points out of its weight, the formula, and what was counted."""
    with st.container(border=True):
        st.markdown(f"**{t(f'rating.metric.{line.metric}')}** · {fmt_value(line.metric, line.value)}")
        if line.value is None:
            st.caption(t("rating.not_applicable", weight=f"{line.weight:g}"))
        else:
            st.progress(
                min(line.points / line.weight, 1.0) if line.weight else 0.0,
                text=t("rating.points", points=f"{line.points:.2f}", weight=f"{line.weight:g}"),
            )
        st.caption(t(f"rating.formula.{line.metric}", target=fmt_target(line.metric, line.target)))
        st.caption(
            " · ".join(
                t("rating.part_count", part=t(f"rating.part.{p}"), n=n)
                for p, n, _ in line.parts
                if p != "checklist_all"
            )
        )


def lines(card: Card) -> None:
    if not card.lines:
        st.caption(t("rating.legacy_caption"))
        for key, value in card.legacy.items():
            st.text(f"{key}: {value}")
        return
    for line in card.lines:
        line_box(line)


def evidence_section(card: Card, load: EvidenceLoader, key: str) -> None:
    """Pick a counted set and list its records, each case linking to its case page."""
    if not card.lines:
        return
    parts = [p for line in card.lines for p, _, _ in line.parts if p != "checklist_all"]
    parts = list(dict.fromkeys(parts))
    st.subheader(t("rating.evidence_title"))
    part = st.selectbox(
        t("rating.evidence_pick"), parts, format_func=lambda p: t(f"rating.part.{p}"), key=f"{key}.part"
    )
    cursor_key = f"{key}.after.{card.id}.{part}"
    page = attempt(lambda: load(part, st.session_state.get(cursor_key, 0)))
    if page is None:
        return
    if not page.matches:
        st.warning(t("rating.evidence_changed"), icon=":material/sync_problem:")
    st.caption(t("rating.evidence_count", n=page.count))
    case_page = spec_for("case").path
    for item in page.items:
        if item.case_id is not None and part in CASE_PARTS:
            extra = f" · {item.value:g}" if item.value is not None else ""
            st.page_link(
                case_page,
                label=f"{item.label} · {status_label(item.detail)} · {item.on}{extra}",
                query_params={"case": str(item.case_id)},
                icon=":material/folder_open:",
            )
        else:
            label = dl(item.label, item.label_en) if item.label_en else item.label
            value = f" · {item.value:g}" if item.value is not None else ""
            st.text(f"{item.on} · {label}{value}")
            if item.detail:
                st.caption(esc(item.detail))
    nav1, nav2 = st.columns(2)
    if st.session_state.get(cursor_key) and nav1.button(
        t("rating.first_page"), key=f"{key}.ev_first", icon=":material/first_page:", width="stretch"
    ):
        st.session_state.pop(cursor_key, None)
        st.rerun()
    if page.after is not None and nav2.button(
        t("rating.next_page"), key=f"{key}.ev_next", icon=":material/navigate_next:", width="stretch"
    ):
        st.session_state[cursor_key] = page.after
        st.rerun()


def objections(card: Card) -> None:
    for o in card.objections:
        with st.container(border=True):
            st.caption(
                t(
                    "rating.objection_at",
                    at=format_local_date(o.lodged_at),
                    status=t(f"rating.objection_status.{o.status}"),
                )
            )
            st.text(o.body)
            if o.status == "answered":
                st.markdown(f"**{t('rating.objection_upheld') if o.upheld else t('rating.objection_dismissed')}**")
                st.text(o.answer)


def history(card: Card) -> None:
    with st.expander(t("rating.history_title"), icon=":material/history:"):
        for h in card.history:
            score = "—" if h.score is None else f"{h.score:.2f}"
            shown = h.approved if h.status in ("approved", "overridden", "revised") else h.proposed
            st.text(
                f"{h.period} · {t(f'rating.status.{h.status}')} · {score} · {stars_text(shown)} · "
                f"{format_local_date(h.at)}"
            )
            if h.reason:
                st.caption(esc(h.reason))
