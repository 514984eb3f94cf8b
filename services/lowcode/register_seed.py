"""The three registers every office starts with, made through the form builder's own service functions.

Screening visits (排查), joint meetings (联席会议) and legal-education events (法治宣传); an office edits
them like any form it built (a new version per change).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from models import Organisation
from services.access.authz import Actor
from services.access.permissions import P
from services.lowcode.forms import FormDraft, create_form, current_form


def _f(key: str, kind: str, zh: str, en: str, required: bool = False, **extra: Any) -> dict[str, Any]:
    return {"key": key, "type": kind, "label_zh": zh, "label_en": en, "required": required, **extra}


def _opts(*items: tuple[str, str, str]) -> list[dict[str, str]]:
    return [{"code": c, "label_zh": zh, "label_en": en} for c, zh, en in items]


RISK_SHOWN = {"field": "risk_found", "equals": "yes"}
SCREENING = FormDraft(
    "screening_visit",
    "矛盾纠纷排查登记",
    "Dispute screening visits",
    [
        _f("visit_date", "date", "排查日期", "Date of the visit", True),
        _f(
            "places",
            "text",
            "排查地点",
            "Places visited",
            True,
            help_zh="村组、小区、企业等，多个用顿号隔开",
            help_en="Villages, estates, firms…; separate several with commas",
        ),
        _f("category", "multi_choice", "涉及纠纷类型", "Kinds of dispute", dictionary="category"),
        _f("disputes_found", "number", "发现纠纷数", "Disputes found", True, integer=True),
        _f("risk_found", "yes_no", "是否发现风险隐患", "Any risks found?", True),
        _f(
            "risk_level",
            "choice",
            "风险等级",
            "Risk level",
            True,
            condition=RISK_SHOWN,
            options=_opts(("low", "一般", "Low"), ("medium", "较大", "Medium"), ("high", "重大", "High")),
        ),
        _f("risks", "long_text", "风险隐患情况", "Risks found", True, condition=RISK_SHOWN),
        _f("disputes_prevented", "number", "预防化解纠纷数", "Disputes prevented", integer=True),
    ],
    is_register=True,
)
JOINT = FormDraft(
    "joint_meeting",
    "联席会议记录",
    "Joint meetings",
    [
        _f("meeting_date", "date", "会议日期", "Date of the meeting", True),
        _f("organisations", "long_text", "参会单位", "Organisations present", True),
        _f("topics", "long_text", "议题", "Topics", True),
        _f("decisions", "long_text", "议定事项", "Decisions"),
        _f("follow_up_owners", "text", "跟进责任人", "Follow-up owners"),
        _f("follow_up_due", "date", "跟进期限", "Follow-up due"),
    ],
    is_register=True,
)
LEGAL_EDUCATION = FormDraft(
    "legal_education",
    "法治宣传活动登记",
    "Legal-education events",
    [
        _f("event_date", "date", "活动日期", "Date of the event", True),
        _f("place", "text", "活动地点", "Place", True),
        _f("topic", "text", "宣传主题", "Topic", True),
        _f(
            "kind",
            "choice",
            "活动形式",
            "Kind of event",
            True,
            options=_opts(
                ("lecture", "法治讲座", "Lecture"),
                ("stall", "街头咨询摊点", "Street stall"),
                ("village_meeting", "院坝会", "Village meeting"),
                ("online", "线上宣传", "Online"),
            ),
        ),
        _f("audience", "number", "受众人数", "Audience", True, integer=True),
        _f("organiser", "text", "组织单位", "Organiser", True),
        _f("photos", "photo", "活动照片", "Photos", help_zh="最多3张", help_en="Up to 3"),
    ],
    is_register=True,
    public=True,
)
STARTER_REGISTERS = (SCREENING, JOINT, LEGAL_EDUCATION)


def system_actor(root: Organisation) -> Actor:
    """The set-up itself, acting with the form builder's permission (no user: created_by stays empty)."""
    return Actor(
        user_id=0,
        username="system",
        display_name="system",
        org_id=root.id or 0,
        org_path=root.path,
        permissions=frozenset({str(P.LOWCODE_EDIT)}),
    )


def ensure_registers(session: Session, root: Organisation) -> int:
    """Create the starter registers that do not exist yet (never touches an office's later versions)."""
    made = 0
    for draft in STARTER_REGISTERS:
        if current_form(session, draft.code) is None:
            create_form(
                session, actor=system_actor(root), draft=FormDraft(**{**draft.__dict__, "fields": list(draft.fields)})
            )
            made += 1
    return made
