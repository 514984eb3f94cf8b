"""Read-only sections of the case page: header, parties (masked, with audited reveal), record, timeline."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from functools import partial
from string import Formatter

import streamlit as st

from pages.ui.auth import client_id
from pages.ui.case_ui import write, yuan
from pages.ui.custom_form import show as show_custom
from pages.ui.db import get_db
from pages.ui.i18n import t
from pages.ui.supervision_chip import header_chip
from services.access.authz import Actor
from services.cases import sessions
from services.cases.view import CaseDetail
from services.core.clock import format_local, format_local_date
from services.core.text import escape_markdown as esc
from services.privacy import reveal

REVEALED = "case.revealed"
ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")  # isoformat() of a stored moment
# a public application (and the consent ticked on it): no staff actor
BY_APPLICANT = frozenset({"created", "intake.received", "intake.linked", "consent.online"})
BY_PARTY = frozenset({"party.confirmed", "party.declined"})  # through the party's personal link


def header(d: CaseDetail, labels: dict[str, dict[str, str]]) -> None:
    c = d.case
    st.title(t("case.title"), anchor=False)
    st.text(c.case_no)
    badges = st.container(horizontal=True, gap="small")
    badges.badge(t(f"status.{c.status}"), color="blue")
    if c.on_the_spot:
        badges.badge(t("case.on_the_spot"), icon=":material/bolt:", color="violet")
    if d.overdue:
        badges.badge(t("card.overdue"), icon=":material/schedule:", color="orange")
    for flag in c.risk_flags or []:
        badges.badge(labels["risk_flag"].get(flag, t(f"flag.{flag}")), icon=":material/warning:", color="red")
    header_chip(badges, c)  # issue 18: the risk colour with its reason
    lines = [
        (t("case.org"), d.org_name),
        (t("case.category"), labels["category"].get(c.category, c.category)),
        (t("case.source"), labels["source"].get(c.source, c.source)),
        (t("case.received"), format_local(c.received_at)),
        (t("case.due"), d.due.isoformat() if d.due else ""),
        (t("case.amount"), yuan(c.amount_fen) if c.amount_fen else ""),
        (t("case.group_size"), str(c.group_size) if c.group_size else ""),
        (t("case.diversion"), labels["diversion"].get(c.diversion or "", c.diversion or "")),
        (t("case.grade"), " → ".join(labels["grade"].get(g, g) for g in (c.grade_proposed, c.grade_audited) if g)),
    ]
    st.text("\n".join(f"{k}：{v}" for k, v in lines if v))
    show_custom(d.custom)
    if d.meeting:
        st.info(t("case.meeting", at=format_local(d.meeting.at), place=d.meeting.place), icon=":material/groups:")
    with st.expander(t("case.description"), expanded=False, icon=":material/description:"):
        st.text(c.description)
        if c.request:
            st.caption(t("case.request"))
            st.text(c.request)


def parties(d: CaseDetail, actor: Actor) -> None:
    st.subheader(t("case.parties"), anchor=False)
    shown: dict[str, str] = st.session_state.pop(REVEALED, {}) if REVEALED in st.session_state else {}
    for p in d.parties:
        with st.container(border=True):
            st.text(
                f"{t(f'side.{p.side}')} · {p.name}"
                + (f" · {t('party_kind.organisation')}" if p.kind == "organisation" else "")
            )
            for field, masked, has in (("phone", p.phone_masked, p.has_phone), ("id_number", p.id_masked, p.has_id)):
                if not has:
                    continue
                row = st.container(horizontal=True, gap="small", vertical_alignment="center")
                row.text(f"{t(f'party.{field}')}：{shown.get(f'{p.id}.{field}', masked)}")
                if d.can_reveal and row.button(
                    t("case.reveal"), key=f"case.reveal.{p.id}.{field}", icon=":material/visibility:", width="stretch"
                ):
                    value = write(
                        partial(reveal.reveal_party, actor=actor, party_id=p.id, field=field, client=client_id())
                    )
                    if value is not None:
                        st.session_state[REVEALED] = {f"{p.id}.{field}": value}
                        st.rerun()
    if d.can_reveal:
        st.caption(t("case.reveal_note"))


def record(d: CaseDetail, labels: dict[str, dict[str, str]], actor: Actor) -> None:
    """Sessions, attachments, agreement and performance, confirmations, follow-ups, hand-overs, participants."""
    if d.participants:
        st.subheader(t("case.joint"), anchor=False)
        st.text("\n".join(f"{p.name}（{t(f'joint_role.{p.role}')}）" for p in d.participants))
    if d.sessions:
        st.subheader(t("case.sessions", n=len(d.sessions)), anchor=False)
        for i, m in enumerate(d.sessions, start=1):
            with st.expander(t("case.session_title", n=i, at=format_local(m.held_at)), icon=":material/forum:"):
                st.text(f"{t('session.place')}：{m.place}\n{t('session.participants')}：{m.participants}")
                st.text(m.notes)
                _files(d, m.id, actor)
    loose = [a for a in d.attachments if a.session_id is None]
    if loose:
        st.subheader(t("case.attachments"), anchor=False)
        _files(d, None, actor)
    if d.agreement:
        a = d.agreement
        st.subheader(t("case.agreement", v=a.version), anchor=False)
        st.text(f"{t('agreement.kind')}：{t(f'agreement_kind.{a.kind}')}")
        st.text(a.terms)
        facts = [
            (t("agreement.amount"), yuan(a.amount_fen) if a.amount_fen else ""),
            (t("agreement.obligations"), a.obligations),
            (t("agreement.due"), a.performance_due.isoformat() if a.performance_due else ""),
            (
                t("agreement.performance"),
                t(f"performance.{a.performance}")
                + (f" {format_local_date(a.performance_at)}" if a.performance_at else ""),
            ),
        ]
        st.text("\n".join(f"{k}：{v}" for k, v in facts if v))
        if d.certificate_eligible:
            st.success(t("case.certificate"), icon=":material/verified:")
    for conf, court in d.confirmations:
        st.text(t("case.confirmation", court=court, result=t(f"ruling.{conf.result}"), no=conf.ruling_no or "—"))
    for fu in d.followups:
        if fu.done_at:
            st.text(
                t(
                    "case.followup_done",
                    at=format_local_date(fu.done_at),
                    method=t(f"method.{fu.method}"),
                    score=fu.satisfaction or "—",
                    holds=t("yes") if fu.agreement_holds else t("no"),
                )
            )
        elif fu.due:
            st.text(t("case.followup_due", day=fu.due.isoformat()))
    for r, frm, to in d.referrals:
        st.text(
            t("case.referral", frm=frm, to=to, status=t(f"referral.{r.status}")) + (f"：{r.reason}" if r.reason else "")
        )


def _files(d: CaseDetail, session_id: int | None, actor: Actor) -> None:
    for a in [a for a in d.attachments if a.session_id == session_id]:
        row = st.container(horizontal=True, gap="small", vertical_alignment="center")
        row.text(f"{a.filename} · {a.size // 1024 + 1} KB")
        if row.button(t("case.open_file"), key=f"case.file.{a.id}", width="stretch", icon=":material/attach_file:"):
            with get_db().read() as s:
                file = sessions.get_attachment(s, actor=actor, attachment_id=a.id)
            if file.mime.startswith("image/"):
                st.image(file.content, caption=file.filename)
            st.download_button(
                t("case.download"),
                file.content,
                file_name=file.filename,
                mime=file.mime,
                key=f"case.dl.{a.id}",
                width="stretch",
                icon=":material/download:",
            )


def _shown(value: object) -> str:
    """One value of an event's data as a person reads it: yes/no, stored times in China time, lists joined."""
    if isinstance(value, bool):
        return t("yes") if value else t("no")
    if isinstance(value, str) and ISO_MOMENT.match(value):
        try:
            return format_local(datetime.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, list):
        return "、".join(_shown(v) for v in value)
    return str(value)


def _readable(data: dict[str, object], labels: dict[str, dict[str, str]]) -> dict[str, str]:
    """Codes in an event's data, in words (flags, performance, diversion, grades, reasons, fields)."""
    out = {k: _shown(v) for k, v in data.items()}
    words: dict[str, Callable[[str], str]] = {
        "performance": lambda v: t(f"performance.{v}"),
        "diversion": lambda v: labels["diversion"].get(v, v),
        "reason": lambda v: labels["reject_reason"].get(v, v),
        "field": lambda v: t(f"party.{v}"),
        "proposed": lambda v: labels["grade"].get(v, v),
        "audited": lambda v: labels["grade"].get(v, v),
        "flags": lambda v: "、".join(labels["risk_flag"].get(f, t(f"flag.{f}")) for f in re.split("[,、]", v) if f),
        "signals": lambda v: "、".join(t(f"queue.signal_{x}") for x in v.split("、") if x),
    }
    for key, word in words.items():
        if key in out:
            out[key] = word(out[key])
    return out


def event_label(kind: str, data: dict[str, object], labels: dict[str, dict[str, str]]) -> str:
    """The entry in words: its catalogue text with the data filled in ("—" for what an older entry lacks)."""
    template = t(f"event.{kind}")
    if template == f"event.{kind}":
        return t("event.other")
    wanted = {name: "—" for _, name, _, _ in Formatter().parse(template) if name}
    return t(f"event.{kind}", **(wanted | _readable(data, labels)))


def event_actor(kind: str, actor: str) -> str:
    """Who did it: the staff member, else the applicant or a party (public pages), else the system."""
    if actor:
        return actor
    if kind in BY_APPLICANT:
        return t("event.by_applicant")
    return t("event.by_party") if kind in BY_PARTY else t("event.by_system")


def timeline(d: CaseDetail, labels: dict[str, dict[str, str]]) -> None:
    st.subheader(t("case.timeline"), anchor=False)
    for e in reversed(d.events):
        st.caption(esc(f"{format_local(e.at)} · {event_actor(e.kind, e.actor)}"))
        st.text(event_label(e.kind, e.data, labels))
        if e.note:
            st.text(e.note)
