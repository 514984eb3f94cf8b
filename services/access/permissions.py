"""Permissions and the built-in roles, as data. An office may compose its own roles from these."""

from __future__ import annotations

from enum import StrEnum


class P(StrEnum):
    """Every permission; a role is a set of these."""

    WORKBENCH = "workbench.view"
    CASE_VIEW = "case.view"
    CASE_CREATE = "case.create"
    CASE_ACCEPT = "case.accept"
    CASE_MEDIATE = "case.mediate"
    CASE_REFER = "case.refer"
    CASE_HANDOVER = "case.handover"
    CASE_ASSIGN = "case.assign"
    CASE_JOINT = "case.joint"
    CASE_REVEAL = "case.reveal_pii"
    GRADE_AUDIT = "grade.audit"
    JUDICIAL_RULE = "judicial.rule"
    INTAKE_QUEUE = "intake.queue"
    LEDGER_CLAIM = "ledger.claim"
    LEDGER_AUDIT = "ledger.audit"
    LEDGER_APPROVE = "ledger.approve"
    LEDGER_PAY = "ledger.pay"
    LEDGER_BUDGET = "ledger.budget"
    STATS_VIEW = "stats.view"
    REPORT_EXPORT = "report.export"
    BOARD_EDIT = "board.edit"
    BOARD_PUBLISH = "board.publish"
    RATING_PROPOSE = "rating.propose"
    RATING_APPROVE = "rating.approve"
    RATING_OWN = "rating.own"  # a mediator sees their own score card and may object to it
    ROSTER_VIEW = "roster.view"
    ROSTER_EDIT = "roster.edit"
    ORG_EDIT = "org.edit"
    USER_ADMIN = "user.admin"
    LOWCODE_EDIT = "lowcode.edit"
    AUDIT_VIEW = "audit.view"
    DUTY_EDIT = "duty.edit"
    ASSESSMENT_VIEW = "assessment.view"  # unit scorecards and rankings (目标考核)
    ASSESSMENT_EDIT = "assessment.edit"  # schemes, numbering rules; compute, review and publish scorecards
    DOSSIER_REVIEW = "dossier.review"  # draw samples and review dossiers (卷宗评查)
    REGISTER_USE = "register.use"  # file and list entries of registers (台账) for one's own organisations
    DOCUMENT_REVOKE = "document.revoke"  # revoke an issued document's verification code (issue 20)
    RECUSAL_DECIDE = "recusal.decide"  # the organisation's head decides a recusal (回避) request (issue 20)
    SUPERVISE = "supervision.open"  # put cases under supervision (督办), decide de-listing and extensions, 会商
    SUPERVISION_REPORT = "supervision.report"  # a handling body reports on its orders, asks to de-list or extend


_MEDIATOR = {
    P.WORKBENCH,
    P.CASE_VIEW,
    P.CASE_CREATE,
    P.CASE_ACCEPT,
    P.CASE_MEDIATE,
    P.CASE_REFER,
    P.INTAKE_QUEUE,
    P.LEDGER_CLAIM,
    P.ROSTER_VIEW,
    P.RATING_OWN,
    P.REGISTER_USE,
    P.SUPERVISION_REPORT,
}
_POLICE = {P.WORKBENCH, P.CASE_VIEW, P.CASE_HANDOVER, P.GRADE_AUDIT, P.ROSTER_VIEW}
_COURT = {P.WORKBENCH, P.CASE_VIEW, P.CASE_HANDOVER, P.JUDICIAL_RULE, P.ROSTER_VIEW}
_JUSTICE = {
    P.DOCUMENT_REVOKE,
    P.RECUSAL_DECIDE,
    P.WORKBENCH,
    P.CASE_VIEW,
    P.GRADE_AUDIT,
    P.LEDGER_AUDIT,
    P.LEDGER_APPROVE,
    P.LEDGER_PAY,
    P.LEDGER_BUDGET,
    P.STATS_VIEW,
    P.REPORT_EXPORT,
    P.RATING_PROPOSE,
    P.RATING_APPROVE,
    P.ASSESSMENT_VIEW,
    P.ASSESSMENT_EDIT,
    P.DOSSIER_REVIEW,
    P.ROSTER_VIEW,
    P.ROSTER_EDIT,
    P.ORG_EDIT,
    P.DUTY_EDIT,
    P.REGISTER_USE,
}
_COORDINATOR = {
    P.DOCUMENT_REVOKE,
    P.RECUSAL_DECIDE,
    P.WORKBENCH,
    P.CASE_VIEW,
    P.CASE_CREATE,
    P.CASE_ACCEPT,
    P.CASE_REFER,
    P.CASE_ASSIGN,
    P.CASE_JOINT,
    P.CASE_REVEAL,
    P.INTAKE_QUEUE,
    P.STATS_VIEW,
    P.REPORT_EXPORT,
    P.BOARD_EDIT,
    P.BOARD_PUBLISH,
    P.ROSTER_VIEW,
    P.ROSTER_EDIT,
    P.ORG_EDIT,
    P.LOWCODE_EDIT,
    P.DUTY_EDIT,
    P.RATING_PROPOSE,
    P.ASSESSMENT_VIEW,
    P.ASSESSMENT_EDIT,
    P.DOSSIER_REVIEW,
    P.AUDIT_VIEW,
    P.REGISTER_USE,
    P.SUPERVISE,
}
_ADMIN = {P.WORKBENCH, P.USER_ADMIN, P.ORG_EDIT, P.ROSTER_VIEW, P.AUDIT_VIEW, P.LOWCODE_EDIT}

BUILTIN_ROLES: dict[str, tuple[str, str, frozenset[P]]] = {
    "mediator": ("调解员", "Mediator", frozenset(_MEDIATOR)),
    "police": ("派出所联络员", "Police liaison", frozenset(_POLICE)),
    "court": ("法庭联络员", "Court liaison", frozenset(_COURT)),
    "justice": ("司法所/司法局", "Justice office", frozenset(_JUSTICE)),
    "coordinator": ("矛调中心", "Coordination office", frozenset(_COORDINATOR)),
    "admin": ("系统管理员", "Administrator", frozenset(_ADMIN)),
}
