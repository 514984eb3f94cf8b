"""卷宗评查 widgets: the sample panel, the review form of one dossier, and the grade line on the case page."""

from __future__ import annotations

from typing import Any

import streamlit as st

from pages.nav import spec_for
from pages.ui.db import get_db
from pages.ui.form_token import next_staff_form, staff_token
from pages.ui.i18n import t
from pages.ui.widgets import BadgeColor, attempt, plain
from services.access.authz import Actor
from services.access.permissions import P
from services.assessment import dossier_review as review_svc
from services.assessment import dossier_sample
from services.core import clock
from services.core.text import escape_markdown as esc

FLASH = "assessment_dossier.flash"
GRADE_ICON = {
    "excellent": ":material/workspace_premium:",
    "pass": ":material/check_circle:",
    "fail": ":material/error:",
}
GRADE_COLOR: dict[str, BadgeColor] = {"excellent": "green", "pass": "blue", "fail": "red"}


def grade_text(grade: str) -> str:
    key = f"assessment.grade.{grade}"
    text = t(key)
    return grade if text == key else text


def flash(key: str, **params: Any) -> None:
    st.session_state[FLASH] = (key, params)
    st.rerun()


def show_flash() -> None:
    item = st.session_state.pop(FLASH, None)
    if item:
        st.success(t(item[0], **item[1]), icon=":material/check_circle:")


def quarters(n: int = 5) -> list[int]:
    """This quarter and the n − 1 before it, as YYYYQ."""
    today = clock.today()
    year, q = today.year, (today.month + 2) // 3
    out = []
    for _ in range(n):
        out.append(year * 10 + q)
        year, q = (year - 1, 4) if q == 1 else (year, q - 1)
    return out


def quarter_text(quarter: int) -> str:
    return t("assessment.quarter", year=quarter // 10, q=quarter % 10)


def sample_panel(actor: Actor) -> None:
    """Pick an organisation and quarter, draw a sample with a seed, list the samples and their dossiers."""
    with get_db().read() as s:
        orgs = attempt(lambda: dossier_sample.orgs_for_review(s, actor=actor)) or []
    if not orgs:
        st.info(t("assessment.no_orgs"), icon=":material/info:")
        return
    names: dict[int, str] = dict(orgs)
    cols = st.columns(2)
    org_id: int = cols[0].selectbox(
        t("assessment.org"), list(names), format_func=lambda i: names.get(i, ""), key="dossier_review.org"
    ) or next(iter(names))
    quarter = cols[1].selectbox(
        t("assessment.quarter_label"), quarters(), format_func=quarter_text, key="dossier_review.quarter"
    )
    with st.form("dossier_review.draw"):
        seed = st.text_input(
            t("assessment.seed"),
            value=f"{quarter // 10}Q{quarter % 10}",
            max_chars=40,
            help=t("assessment.seed_help"),
            key="dossier_review.seed",
        )
        if st.form_submit_button(t("assessment.draw"), icon=":material/casino:", width="stretch"):
            with get_db().write() as s:
                done = attempt(
                    lambda: dossier_sample.draw_sample(s, actor=actor, org_id=org_id, quarter=quarter, seed=seed)
                )
            if done is not None:
                flash("assessment.drawn", n=done.size)
    with get_db().read() as s:
        samples = attempt(lambda: dossier_sample.samples_of(s, actor=actor, org_id=org_id, quarter=quarter)) or []
        rows: dict[int | None, list[dossier_sample.SampleRow]] = {x.id: _rows(s, actor, x.id or 0) for x in samples}
    if not samples:
        st.caption(t("assessment.no_samples"))
    page = spec_for("dossier_review").path
    for sample in samples:
        reviewed = [r for r in rows[sample.id] if r.grade]
        with st.container(border=True):
            st.markdown(f"**{esc(t('assessment.sample_title', seed=sample.seed, n=sample.size))}**")
            st.caption(t("assessment.sample_progress", done=len(reviewed), n=len(rows[sample.id])))
            for r in rows[sample.id]:
                status = (
                    t("assessment.reviewed_as", grade=grade_text(r.grade), score=f"{r.score:g}")
                    if r.grade
                    else t("assessment.not_reviewed")
                )
                st.page_link(
                    page,
                    label=f"{r.case_no} · {status}",
                    icon=GRADE_ICON.get(r.grade or "", ":material/rule:"),
                    query_params={"case": str(r.case_id), "sample": str(sample.id)},
                )


def _rows(s: Any, actor: Actor, sample_id: int) -> list[dossier_sample.SampleRow]:
    return attempt(lambda: dossier_sample.sample_rows(s, actor=actor, sample_id=sample_id)) or []


def review_form(actor: Actor, case_id: int, sample_id: int | None) -> None:
    """The checklist of one dossier: what the system sees is ticked; the reviewer scores and remarks."""
    with get_db().read() as s:
        got = attempt(lambda: review_svc.draft(s, actor=actor, case_id=case_id))
        last = attempt(lambda: review_svc.review_summary(s, actor=actor, case_id=case_id)) if got else None
    if got is None:
        return
    case, checklist, lines = got
    st.subheader(case.case_no, anchor=False)
    st.caption(
        t("assessment.case_kind", kind=t(f"assessment.kind.{review_svc.case_kind(case)}"), version=checklist.version)
    )
    if last is not None:
        grade_line(last)
    token = staff_token(f"dossier_review.{case_id}")
    with st.form(f"dossier_review.form.{case_id}"):
        scores: dict[str, review_svc.ItemScore] = {}
        for line in lines:
            need = t("assessment.required") if line.required else t("assessment.optional")
            seen = {True: t("assessment.seen_yes"), False: t("assessment.seen_no"), None: t("assessment.seen_manual")}
            st.markdown(f"**{esc(line.label)}** · {need} · {line.max_points:g}{t('assessment.points_unit')}")
            st.caption(seen[line.seen])
            row = st.container(horizontal=True, gap="small", vertical_alignment="center")
            with row:
                present = st.checkbox(
                    t("assessment.present"), value=bool(line.seen), key=f"dossier_review.present.{line.key}"
                )
                points = st.number_input(
                    t("assessment.points"),
                    min_value=0.0,
                    max_value=line.max_points,
                    step=0.5,
                    value=line.max_points if line.seen else 0.0,
                    key=f"dossier_review.points.{line.key}",
                    label_visibility="collapsed",
                    width=150,
                )
            remark = st.text_input(
                t("assessment.remark"),
                max_chars=500,
                key=f"dossier_review.remark.{line.key}",
                label_visibility="collapsed",
                placeholder=t("assessment.remark"),
            )
            scores[line.key] = review_svc.ItemScore(present=present, points=float(points), remark=remark)
        remarks = st.text_area(t("assessment.remarks"), max_chars=500, key="dossier_review.remarks")
        if st.form_submit_button(
            t("assessment.save_review"), icon=":material/fact_check:", type="primary", width="stretch"
        ):
            with get_db().write() as s:
                done = attempt(
                    lambda: review_svc.save_review(
                        s,
                        actor=actor,
                        case_id=case_id,
                        scores=scores,
                        remarks=remarks,
                        sample_id=sample_id,
                        form_token=token,
                    )
                )
            if done is not None:
                next_staff_form(
                    f"dossier_review.{case_id}",
                    "dossier_review.present.",
                    "dossier_review.points.",
                    "dossier_review.remark.",
                    "dossier_review.remarks",
                )
                flash("assessment.review_saved", grade=grade_text(done.grade), score=f"{done.score:g}")


def grade_line(review: Any) -> None:
    st.badge(
        t("assessment.grade_badge", grade=grade_text(review.grade), score=f"{review.score:g}", round=review.round),
        icon=GRADE_ICON.get(review.grade),
        color=GRADE_COLOR.get(review.grade, "blue"),
    )
    if review.holds_subsidy:
        st.caption(t("assessment.holds_subsidy"))
    if review.remarks:
        plain(review.remarks)


def case_grade(detail: Any, actor: Actor) -> None:
    """On the case page: the dossier's newest grade (and a link to review it for a reviewer)."""
    with get_db().read() as s:
        review = attempt(lambda: review_svc.review_summary(s, actor=actor, case_id=detail.case.id))
    if review is None and not actor.can(P.DOSSIER_REVIEW):
        return
    with st.container(border=True):
        st.markdown(f"**{t('assessment.dossier_title')}**")
        if review is not None:
            grade_line(review)
        else:
            st.caption(t("assessment.not_reviewed"))
        if actor.can(P.DOSSIER_REVIEW):
            st.page_link(
                spec_for("dossier_review").path,
                label=t("assessment.review_this"),
                icon=":material/fact_check:",
                query_params={"case": str(detail.case.id)},
            )
