"""The office's forms on a score card: decide (approve / override with a reason), answer objections, record
complaints, and keep the committee checklist with its evidence. Each submits one short service transaction."""

from __future__ import annotations

from functools import partial

import streamlit as st

from pages.ui.db import get_db
from pages.ui.i18n import dl, t
from pages.ui.rating_view import stars_text
from pages.ui.widgets import attempt, upload_file
from services.access.authz import Actor
from services.access.permissions import P
from services.core import clock
from services.core.text import escape_markdown as esc
from services.rating import checklist as rating_checklist
from services.rating import feedback as rating_feedback
from services.rating import runs as rating
from services.rating.card import Card

FLASH = "rating_card.flash"


def flash(key: str) -> None:
    st.session_state[FLASH] = key
    st.rerun()


def show_flash() -> None:
    key = st.session_state.pop(FLASH, None)
    if key:
        st.success(t(key), icon=":material/check_circle:")


def decide_form(actor: Actor, card: Card) -> None:
    """Approve the proposal, or override the stars; overriding needs a reason."""
    if not actor.can(P.RATING_APPROVE) or card.status not in ("proposed", "approved", "overridden"):
        return
    st.subheader(t("rating.decide_title"))
    if card.proposed is None:
        st.caption(t("rating.decide_not_rated_hint"))
    with st.form("rating_card.decide"):
        options: list[int | None] = [card.proposed] if card.proposed is None else [5, 4, 3, 2, 1]
        stars = st.radio(
            t("rating.decide_stars"),
            options,
            format_func=stars_text,
            horizontal=True,
            index=options.index(
                card.approved if card.status != "proposed" and card.approved in options else card.proposed
            ),
            key="rating_card.stars",
        )
        reason = st.text_area(
            t("rating.decide_reason"), key="rating_card.reason", max_chars=500, help=t("rating.decide_reason_help")
        )
        if st.form_submit_button(t("rating.decide_submit"), icon=":material/gavel:", type="primary", width="stretch"):
            with get_db().write() as s:
                done = attempt(
                    lambda: rating.decide_rating(s, actor=actor, rating_id=card.id, stars=stars, reason=reason)
                )
            if done is not None:
                flash("rating.decided_ok")


def answer_forms(actor: Actor, card: Card) -> None:
    if not actor.can(P.RATING_APPROVE):
        return
    for o in card.objections:
        if o.status != "open":
            continue
        with st.form(f"rating_card.answer.{o.id}"):
            st.markdown(f"**{t('rating.answer_title')}**")
            answer = st.text_area(t("rating.answer_label"), key=f"rating_card.answer_text.{o.id}", max_chars=1000)
            upheld = st.toggle(t("rating.answer_upheld"), key=f"rating_card.upheld.{o.id}")
            if st.form_submit_button(t("rating.answer_submit"), icon=":material/reply:", width="stretch"):
                with get_db().write() as s:
                    done = attempt(
                        partial(
                            rating_feedback.answer_objection,
                            s,
                            actor=actor,
                            objection_id=o.id,
                            answer=answer,
                            upheld=upheld,
                        )
                    )
                if done is not None:
                    flash("rating.answered_ok")


def complaints_section(actor: Actor, card: Card) -> None:
    """A mediator's complaints and the form to record one with the office's finding."""
    if card.subject != "mediator":
        return
    with st.expander(t("rating.complaints_title"), icon=":material/report:"):
        with get_db().read() as s:
            rows = attempt(lambda: rating_feedback.list_complaints(s, actor=actor, mediator_id=card.subject_id)) or []
        for c in rows:
            verdict = t("rating.complaint_substantiated") if c.substantiated else t("rating.complaint_unfounded")
            st.caption(f"{c.received_on.isoformat()} · {t(f'rating.complaint_source.{c.source}')} · {verdict}")
            st.text(c.summary)
            if c.finding:
                st.caption(esc(c.finding))
        with st.form("rating_card.complaint", clear_on_submit=True):
            on = st.date_input(
                t("rating.complaint_received_on"),
                value=clock.today(),
                max_value=clock.today(),
                key="rating_card.complaint_on",
            )
            source = st.selectbox(
                t("rating.complaint_source_label"),
                rating_feedback.COMPLAINT_SOURCES,
                format_func=lambda x: t(f"rating.complaint_source.{x}"),
                key="rating_card.complaint_source",
            )
            summary = st.text_area(t("rating.complaint_summary"), max_chars=1000, key="rating_card.complaint_summary")
            finding = st.text_area(t("rating.complaint_finding"), max_chars=1000, key="rating_card.complaint_finding")
            real = st.toggle(t("rating.complaint_substantiated"), key="rating_card.complaint_real")
            if st.form_submit_button(t("rating.complaint_submit"), icon=":material/add:", width="stretch"):
                with get_db().write() as s:
                    done = attempt(
                        lambda: rating_feedback.record_complaint(
                            s,
                            actor=actor,
                            mediator_id=card.subject_id,
                            received_on=on,
                            source=source,
                            summary=summary,
                            substantiated=real,
                            finding=finding,
                            today=clock.today(),
                        )
                    )
                if done is not None:
                    flash("rating.complaint_recorded")


def checklist_section(actor: Actor, card: Card) -> None:
    """Each standardisation item of the committee for the period: met or not, with a note or a photo."""
    if card.subject != "organisation":
        return
    st.subheader(t("rating.checklist_title"))
    st.caption(t("rating.checklist_caption"))
    with get_db().read() as s:
        rows = (
            attempt(lambda: rating_checklist.org_checklist(s, actor=actor, org_id=card.subject_id, period=card.period))
            or []
        )
    for row in rows:
        state = {True: "rating.checklist_met", False: "rating.checklist_not_met", None: "rating.checklist_unchecked"}
        icon = {True: ":material/check_circle:", False: ":material/cancel:", None: ":material/radio_button_unchecked:"}
        with st.expander(f"{dl(row.item.label_zh, row.item.label_en)} · {t(state[row.met])}", icon=icon[row.met]):
            if row.note:
                st.text(row.note)
            if row.has_photo and row.state_id is not None:
                with get_db().read() as s:
                    photo = attempt(partial(rating_checklist.evidence_photo, s, actor=actor, state_id=row.state_id))
                if photo:
                    st.image(photo, width=240)
            if not actor.can(P.RATING_PROPOSE):
                continue
            with st.form(f"rating_card.check.{row.item.id}"):
                met = st.toggle(t("rating.checklist_met"), value=bool(row.met), key=f"rating_card.met.{row.item.id}")
                note = st.text_input(
                    t("rating.checklist_note"), value=row.note, max_chars=500, key=f"rating_card.note.{row.item.id}"
                )
                upload = upload_file(
                    t("rating.checklist_photo"),
                    types=["jpg", "jpeg", "png", "webp"],
                    key=f"rating_card.photo.{row.item.id}",
                    max_mb=rating_checklist.MAX_PHOTO // (1024 * 1024),
                )
                if st.form_submit_button(t("rating.checklist_save"), icon=":material/save:", width="stretch"):
                    data = upload.getvalue() if upload is not None else None
                    with get_db().write() as s:
                        done = attempt(
                            partial(
                                rating_checklist.set_state,
                                s,
                                actor=actor,
                                org_id=card.subject_id,
                                item_id=row.item.id,
                                period=card.period,
                                met=met,
                                note=note,
                                photo=data,
                            )
                        )
                    if done is not None:
                        flash("rating.checklist_saved")


def _item_fields(
    prefix: str, code: str = "", zh: str = "", en: str = "", points: float = 1.0, active: bool = True
) -> tuple[str, str, str, float, bool]:
    new_code = st.text_input(t("rating.item_code"), value=code, max_chars=40, key=f"{prefix}.code")
    new_zh = st.text_input(t("rating.item_label_zh"), value=zh, max_chars=80, key=f"{prefix}.zh")
    new_en = st.text_input(t("rating.item_label_en"), value=en, max_chars=80, key=f"{prefix}.en")
    new_points = st.number_input(
        t("rating.item_points"), min_value=0.5, max_value=100.0, value=points, step=0.5, key=f"{prefix}.points"
    )
    new_active = st.toggle(t("rating.item_active"), value=active, key=f"{prefix}.active")
    return new_code, new_zh, new_en, float(new_points), new_active


def items_editor(actor: Actor) -> None:
    """The standardisation checklist items: change one (labels, points, whether it counts) or add one."""
    st.subheader(t("rating.items_title"))
    st.caption(t("rating.items_caption"))
    with get_db().read() as s:
        items = attempt(lambda: rating_checklist.list_items(s, actor=actor, include_inactive=True)) or []
    can = actor.can(P.RATING_APPROVE)
    for item in items:
        off = "" if item.active else f" · {t('rating.item_inactive')}"
        with (
            st.expander(f"{dl(item.label_zh, item.label_en)} · {item.points:g}{off}", icon=":material/checklist:"),
            st.form(f"rating_setup.item.{item.id}"),
        ):
            fields = _item_fields(
                f"rating_setup.item.{item.id}", item.code, item.label_zh, item.label_en, item.points, item.active
            )
            if st.form_submit_button(t("rating.item_save"), icon=":material/save:", width="stretch", disabled=not can):
                _save_item(actor, fields, item.id)
    with (
        st.expander(t("rating.item_add"), icon=":material/add:"),
        st.form("rating_setup.item_new", clear_on_submit=True),
    ):
        fields = _item_fields("rating_setup.item_new")
        if st.form_submit_button(t("rating.item_add"), icon=":material/add:", width="stretch", disabled=not can):
            _save_item(actor, fields, None)


def _save_item(actor: Actor, fields: tuple[str, str, str, float, bool], item_id: int | None) -> None:
    code, zh, en, points, active = fields
    with get_db().write() as s:
        done = attempt(
            lambda: rating_checklist.save_item(
                s, actor=actor, code=code, label_zh=zh, label_en=en, points=points, active=active, item_id=item_id
            )
        )
    if done is not None:
        st.session_state["rating_setup.flash"] = "rating.item_saved"
        st.rerun()
