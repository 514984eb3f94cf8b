"""The action forms of the case page: one per action the services allow right now."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import streamlit as st

from pages.ui.case_ui import flash, write
from pages.ui.db import get_db
from pages.ui.form_token import next_staff_form, staff_token
from pages.ui.i18n import t
from pages.ui.widgets import attempt, upload_files
from services.access.authz import Actor
from services.cases import confirmation, joint, outcomes, referrals, sessions, warnings, workflow
from services.cases.view import CaseDetail
from services.core import clock
from services.lowcode import dictionaries

ICONS = {
    "handover": ":material/move_to_inbox:",
    "rule": ":material/gavel:",
    "grade": ":material/grading:",
    "accept": ":material/task_alt:",
    "reject": ":material/block:",
    "session": ":material/forum:",
    "agreement": ":material/handshake:",
    "fail": ":material/call_split:",
    "withdraw": ":material/undo:",
    "performance": ":material/payments:",
    "confirmation": ":material/account_balance:",
    "follow_up": ":material/phone_in_talk:",
    "archive": ":material/inventory_2:",
    "refer": ":material/send:",
    "joint": ":material/groups:",
    "flag": ":material/warning:",
    "revise": ":material/edit_note:",
}


def _done(result: object, key: str, form: str | None = None) -> None:
    """After a save: the message, and for a form that creates a row a new token for the next one."""
    if result is not None:
        if form is not None:
            next_staff_form(form)
        flash(key)
        st.rerun()


def _token(action: str, d: CaseDetail) -> tuple[str, str]:
    """(name, token) of this case's `action` form: a second tap returns the row the first saved (issue 22)."""
    name = f"case.{action}.{d.case.id or 0}"
    return name, staff_token(name)


def _submit(label_key: str, action: str) -> bool:
    return st.form_submit_button(t(label_key), type="primary", width="stretch", icon=ICONS.get(action))


def render(action: str, d: CaseDetail, actor: Actor, labels: dict[str, dict[str, str]], *, expanded: bool) -> None:
    """One expander holding the form for `action`."""
    form = FORMS.get(action)
    if form is None:
        return
    with st.expander(t(f"action.{action}"), expanded=expanded, icon=ICONS.get(action)):
        form(d, actor, labels)


def _move(action: str, **data: object) -> Callable[[CaseDetail, Actor, dict[str, dict[str, str]]], None]:
    def form(d: CaseDetail, actor: Actor, labels: dict[str, dict[str, str]]) -> None:
        with st.form(f"case.form.{action}", border=False):
            note = st.text_area(t("form.note"), key=f"case.{action}.note", max_chars=2000)
            if _submit(f"action.{action}", action):
                _done(
                    write(
                        lambda s: workflow.transition(
                            s,
                            actor=actor,
                            case_id=d.case.id or 0,
                            action=action,
                            note=note,
                            data=dict(data),
                            expected_version=d.case.version,
                        )
                    ),
                    f"done.{action}",
                )

    return form


def _offered(name: str, labels: dict[str, dict[str, str]]) -> list[str]:
    """The active values of a dictionary: retired ones still read on old cases but are not offered."""
    with get_db().read() as s:
        return [c for c in dictionaries.active_codes(s, name) if c in labels[name]]


def _reject(d: CaseDetail, actor: Actor, labels: dict[str, dict[str, str]]) -> None:
    with st.form("case.form.reject", border=False):
        reason = st.selectbox(
            t("form.reject_reason"),
            _offered("reject_reason", labels),
            key="case.reject.reason",
            format_func=lambda c: labels["reject_reason"][c],
        )
        note = st.text_area(t("form.reject_advice"), key="case.reject.note", max_chars=2000)
        if _submit("action.reject", "reject"):
            _done(
                write(
                    lambda s: workflow.transition(
                        s,
                        actor=actor,
                        case_id=d.case.id or 0,
                        action="reject",
                        note=note,
                        data={"reason": reason},
                        expected_version=d.case.version,
                    )
                ),
                "done.reject",
            )


def _handover(d: CaseDetail, actor: Actor, labels: dict[str, dict[str, str]]) -> None:
    rid = d.incoming_referral_id or 0
    if st.button(
        t("form.handover_accept"),
        key="case.handover.accept",
        type="primary",
        width="stretch",
        icon=":material/task_alt:",
    ):
        _done(write(lambda s: referrals.accept_referral(s, actor=actor, referral_id=rid)), "done.handover_accept")
    with st.form("case.form.handover_return", border=False):
        reason = st.text_input(t("form.return_reason"), key="case.handover.reason", max_chars=500)
        if st.form_submit_button(t("form.handover_return"), width="stretch", icon=":material/undo:"):
            _done(
                write(lambda s: referrals.return_referral(s, actor=actor, referral_id=rid, reason=reason)),
                "done.handover_return",
            )


def _session(d: CaseDetail, actor: Actor, labels: dict[str, dict[str, str]]) -> None:
    form, token = _token("session", d)
    with st.form("case.form.session", border=False, clear_on_submit=True):
        row = st.container(horizontal=True, gap="small")
        day = row.date_input(t("session.day"), value=clock.today(), max_value=clock.today(), key="case.session.day")
        at = row.time_input(
            t("session.time"),
            value=clock.local_now().time().replace(second=0, microsecond=0),
            key="case.session.time",
        )
        place = st.text_input(t("session.place"), value=d.org_name, key="case.session.place", max_chars=200)
        who = st.text_input(t("session.participants"), key="case.session.who", max_chars=500)
        notes = st.text_area(t("session.notes"), key="case.session.notes", max_chars=10_000)
        files = upload_files(t("session.files"), types=["jpg", "jpeg", "png", "webp", "pdf"], key="case.session.files")
        if _submit("action.session", "session"):
            raw = [sessions.FileInput(f.name, f.getvalue()) for f in files or []]
            checked = attempt(lambda: sessions.check_files(raw))  # content checks before the transaction
            if checked is not None:
                data = sessions.SessionInput(
                    held_at=datetime.combine(day, at, clock.LOCAL_TZ),
                    place=place,
                    participants=who,
                    notes=notes,
                    form_token=token,
                )
                _done(
                    write(
                        lambda s: sessions.record_session(
                            s,
                            actor=actor,
                            case_id=d.case.id or 0,
                            data=data,
                            checked=checked,
                            expected_version=d.case.version,
                        )
                    ),
                    "done.session",
                    form,
                )


def _agreement(d: CaseDetail, actor: Actor, labels: dict[str, dict[str, str]]) -> None:
    form, token = _token("agreement", d)
    with st.form("case.form.agreement", border=False):
        kind = st.radio(
            t("agreement.kind"),
            outcomes.KINDS,
            horizontal=True,
            key="case.agreement.kind",
            format_func=lambda k: t(f"agreement_kind.{k}"),
        )
        terms = st.text_area(t("agreement.terms"), key="case.agreement.terms", max_chars=5000)
        amount = st.number_input(t("agreement.amount"), min_value=0.0, step=100.0, key="case.agreement.amount")
        obligations = st.text_area(t("agreement.obligations"), key="case.agreement.obligations", max_chars=2000)
        due = st.date_input(t("agreement.due"), value=None, min_value=clock.today(), key="case.agreement.due")
        grades = list(labels["grade"])
        grade = st.selectbox(
            t("agreement.grade"),
            grades,
            index=1 if len(grades) > 1 else 0,
            key="case.agreement.grade",
            format_func=lambda g: labels["grade"][g],
        )
        if _submit("action.agreement", "agreement"):
            data = outcomes.AgreementInput(
                kind=kind or "written",
                terms=terms,
                grade=grade or "",
                amount_fen=round((amount or 0) * 100),
                obligations=obligations,
                performance_due=due,
                form_token=token,
            )
            _done(
                write(
                    lambda s: outcomes.record_agreement(
                        s, actor=actor, case_id=d.case.id or 0, data=data, expected_version=d.case.version
                    )
                ),
                "done.agreement",
                form,
            )


def _revise(d: CaseDetail, actor: Actor, labels: dict[str, dict[str, str]]) -> None:
    """Change the agreement's text or terms; the parties are asked to confirm the new version."""
    a = d.agreement
    if a is None:
        return
    st.caption(t("form.revise_help"))
    with st.form("case.form.revise", border=False):
        terms = st.text_area(t("agreement.terms"), value=a.terms, key="case.revise.terms", max_chars=5000)
        amount = st.number_input(
            t("agreement.amount"), min_value=0.0, step=100.0, value=a.amount_fen / 100, key="case.revise.amount"
        )
        obligations = st.text_area(
            t("agreement.obligations"), value=a.obligations, key="case.revise.obligations", max_chars=2000
        )
        due = st.date_input(t("agreement.due"), value=a.performance_due, key="case.revise.due")
        reason = st.text_input(t("form.revise_reason"), key="case.revise.reason", max_chars=500)
        if _submit("action.revise", "revise"):
            data = outcomes.AgreementInput(
                kind=a.kind,
                terms=terms,
                grade=d.case.grade_proposed or "standard",
                amount_fen=round((amount or 0) * 100),
                obligations=obligations,
                performance_due=due,
            )
            _done(
                write(
                    lambda s: outcomes.revise_agreement(
                        s,
                        actor=actor,
                        case_id=d.case.id or 0,
                        data=data,
                        reason=reason,
                        expected_version=d.case.version,
                    )
                ),
                "done.revise",
            )


def _fail(d: CaseDetail, actor: Actor, labels: dict[str, dict[str, str]]) -> None:
    with st.form("case.form.fail", border=False):
        diversion = st.selectbox(
            t("form.diversion"),
            _offered("diversion", labels),
            key="case.fail.diversion",
            format_func=lambda c: labels["diversion"][c],
        )
        note = st.text_area(t("form.note"), key="case.fail.note", max_chars=2000)
        if _submit("action.fail", "fail"):
            _done(
                write(
                    lambda s: outcomes.record_failure(
                        s, actor=actor, case_id=d.case.id or 0, diversion=diversion or "", note=note
                    )
                ),
                "done.fail",
            )


def _performance(d: CaseDetail, actor: Actor, labels: dict[str, dict[str, str]]) -> None:
    with st.form("case.form.performance", border=False):
        status = st.radio(
            t("agreement.performance"),
            ("fulfilled", "partly", "breached", "pending"),
            horizontal=True,
            key="case.performance.status",
            format_func=lambda p: t(f"performance.{p}"),
        )
        on = st.date_input(
            t("form.performance_on"), value=clock.today(), max_value=clock.today(), key="case.performance.on"
        )
        if _submit("action.performance", "performance"):
            _done(
                write(
                    lambda s: outcomes.record_performance(
                        s,
                        actor=actor,
                        case_id=d.case.id or 0,
                        status=status or "",
                        on=on,
                        expected_version=d.case.version,
                    )
                ),
                "done.performance",
            )


def _confirmation(d: CaseDetail, actor: Actor, labels: dict[str, dict[str, str]]) -> None:
    with get_db().read() as s:
        courts = {c.id: c.name for c in confirmation.court_choices(s, actor=actor, case_id=d.case.id or 0)}
    with st.form("case.form.confirmation", border=False):
        court = st.selectbox(
            t("form.court"), list(courts), key="case.confirmation.court", format_func=lambda i: courts[i]
        )
        note = st.text_input(t("form.note"), key="case.confirmation.note", max_chars=500)
        if _submit("action.confirmation", "confirmation"):
            _done(
                write(
                    lambda s: confirmation.apply_confirmation(
                        s, actor=actor, case_id=d.case.id or 0, court_org_id=court or 0, note=note
                    )
                ),
                "done.confirmation",
            )


def _rule(d: CaseDetail, actor: Actor, labels: dict[str, dict[str, str]]) -> None:
    with st.form("case.form.rule", border=False):
        result = st.radio(
            t("form.ruling"),
            ("confirmed", "rejected"),
            horizontal=True,
            key="case.rule.result",
            format_func=lambda r: t(f"ruling.{r}"),
        )
        ruling_no = st.text_input(t("form.ruling_no"), key="case.rule.no", max_chars=60)
        on = st.date_input(t("form.ruling_on"), value=clock.today(), max_value=clock.today(), key="case.rule.on")
        note = st.text_input(t("form.note"), key="case.rule.note", max_chars=500)
        if _submit("action.rule", "rule"):
            _done(
                write(
                    lambda s: confirmation.rule_confirmation(
                        s,
                        actor=actor,
                        confirmation_id=d.pending_confirmation_id or 0,
                        confirmed=result == "confirmed",
                        ruling_no=ruling_no,
                        ruled_on=on,
                        note=note,
                    )
                ),
                "done.rule",
            )


def _follow_up(d: CaseDetail, actor: Actor, labels: dict[str, dict[str, str]]) -> None:
    form, token = _token("follow_up", d)
    with st.form("case.form.follow_up", border=False):
        method = st.radio(
            t("form.method"),
            outcomes.METHODS,
            horizontal=True,
            key="case.follow_up.method",
            format_func=lambda m: t(f"method.{m}"),
        )
        score = st.radio(t("form.satisfaction"), (5, 4, 3, 2, 1), horizontal=True, key="case.follow_up.score")
        holds = st.radio(
            t("form.holds"),
            (True, False),
            horizontal=True,
            key="case.follow_up.holds",
            format_func=lambda h: t("yes") if h else t("no"),
        )
        note = st.text_area(t("form.note"), key="case.follow_up.note", max_chars=2000)
        if _submit("action.follow_up", "follow_up"):
            _done(
                write(
                    lambda s: outcomes.record_follow_up(
                        s,
                        actor=actor,
                        case_id=d.case.id or 0,
                        method=method or "",
                        satisfaction=int(score or 0),
                        holds=bool(holds),
                        note=note,
                        expected_version=d.case.version,
                        form_token=token,
                    )
                ),
                "done.follow_up",
                form,
            )


def _refer(d: CaseDetail, actor: Actor, labels: dict[str, dict[str, str]]) -> None:
    with get_db().read() as s:
        targets = {o.id: o.name for o in referrals.handover_targets(s, actor=actor) if o.id != d.case.org_id}
    with st.form("case.form.refer", border=False):
        to = st.selectbox(t("form.refer_to"), list(targets), key="case.refer.to", format_func=lambda i: targets[i])
        note = st.text_area(t("form.refer_note"), key="case.refer.note", max_chars=2000)
        if _submit("action.refer", "refer"):
            _done(
                write(
                    lambda s: referrals.send_referral(
                        s, actor=actor, case_id=d.case.id or 0, to_org_id=to or 0, note=note
                    )
                ),
                "done.refer",
            )


def _joint(d: CaseDetail, actor: Actor, labels: dict[str, dict[str, str]]) -> None:
    from services.core.text import escape_markdown as esc  # here: the rest of this module is another helper's

    with get_db().read() as s:
        choices = joint.org_choices(s, actor=actor, case_id=d.case.id or 0)
    unstaffed = {o.org_id: o.name for o in choices if not o.has_users}
    orgs = {o.org_id: o.name if o.has_users else o.name + t("joint.no_users_tag") for o in choices}
    cid = d.case.id or 0

    for p in d.participants:  # invited, but nobody there can sign in to see it
        if not p.has_users:
            st.warning(t("joint.no_users", org=esc(p.name)), icon=":material/person_off:")
    with st.form("case.form.joint_add", border=False):
        org = st.selectbox(t("form.joint_add"), list(orgs), key="case.joint.org", format_func=lambda i: orgs[i])
        row = st.container(horizontal=True, gap="small")
        if row.form_submit_button(t("form.joint_coordinating"), width="stretch", icon=":material/group_add:"):
            added = write(lambda s: joint.add_participant(s, actor=actor, case_id=cid, org_id=org or 0))
            if added is not None and org in unstaffed:  # invited, and told at once that nobody there will see it
                flash("joint.added_nobody", org=esc(unstaffed[org]))
                st.rerun()
            _done(added, "done.joint")
        if row.form_submit_button(t("form.joint_lead"), width="stretch", icon=":material/star:"):
            _done(write(lambda s: joint.set_lead(s, actor=actor, case_id=cid, org_id=org or 0)), "done.joint")
    if d.participants:
        with st.form("case.form.joint_meeting", border=False):
            row = st.container(horizontal=True, gap="small")
            day = row.date_input(t("session.day"), min_value=clock.today(), key="case.joint.day")
            at = row.time_input(t("session.time"), key="case.joint.time")
            place = st.text_input(t("session.place"), key="case.joint.place", max_chars=200)
            if _submit("form.joint_schedule", "joint"):
                _done(
                    write(
                        lambda s: joint.schedule_meeting(
                            s,
                            actor=actor,
                            case_id=cid,
                            place=place,
                            at=datetime.combine(day, at or datetime.min.time(), clock.LOCAL_TZ),
                        )
                    ),
                    "done.joint_meeting",
                )


def _grade(d: CaseDetail, actor: Actor, labels: dict[str, dict[str, str]]) -> None:
    grades = list(labels["grade"])
    with st.form("case.form.grade", border=False):
        grade = st.selectbox(
            t("form.grade"),
            grades,
            key="case.grade.value",
            format_func=lambda g: labels["grade"][g],
            index=grades.index(d.case.grade_proposed) if d.case.grade_proposed in grades else 0,
        )
        note = st.text_input(t("form.note"), key="case.grade.note", max_chars=500)
        if _submit("action.grade", "grade"):
            _done(
                write(
                    lambda s: outcomes.audit_grade(s, actor=actor, case_id=d.case.id or 0, grade=grade or "", note=note)
                ),
                "done.grade",
            )


def _flag(d: CaseDetail, actor: Actor, labels: dict[str, dict[str, str]]) -> None:
    with st.form("case.form.flag", border=False):
        flags = st.multiselect(
            t("form.flags"),
            warnings.MANUAL_FLAGS,
            key="case.flag.flags",
            format_func=lambda f: labels["risk_flag"].get(f, t(f"flag.{f}")),
        )
        note = st.text_area(t("form.note"), key="case.flag.note", max_chars=2000)
        if _submit("action.flag", "flag"):
            _done(
                write(
                    lambda s: warnings.flag_case(s, actor=actor, case_id=d.case.id or 0, flags=list(flags), note=note)
                ),
                "done.flag",
            )


FORMS: dict[str, Callable[[CaseDetail, Actor, dict[str, dict[str, str]]], None]] = {
    "handover": _handover,
    "rule": _rule,
    "grade": _grade,
    "accept": _move("accept"),
    "reject": _reject,
    "session": _session,
    "agreement": _agreement,
    "fail": _fail,
    "withdraw": _move("withdraw"),
    "performance": _performance,
    "confirmation": _confirmation,
    "follow_up": _follow_up,
    "archive": _move("archive"),
    "refer": _refer,
    "joint": _joint,
    "flag": _flag,
    "revise": _revise,
}
