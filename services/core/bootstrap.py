"""Idempotent reference data for a new database: roles, dictionaries, rates, rules, checklist, root org."""

from __future__ import annotations

from sqlmodel import Session, select

from models import (
    ChecklistItem,
    ConfigVersion,
    DictionaryEntry,
    FormSpec,
    Organisation,
    RatingScheme,
    Role,
    RolePermission,
    SubsidyRate,
)
from services.access.permissions import BUILTIN_ROLES
from services.core import reference as ref
from services.lowcode.register_seed import ensure_registers

ROOT_ORG_CODE = "ROOT"


def ensure_roles(session: Session) -> None:
    for code, (zh, en, perms) in BUILTIN_ROLES.items():
        role = session.exec(select(Role).where(Role.code == code)).first()
        if role is None:
            role = Role(code=code, name_zh=zh, name_en=en, builtin=True)
            session.add(role)
            session.flush()
            for p in sorted(perms):
                session.add(RolePermission(role_id=role.id or 0, permission=str(p)))


def ensure_dictionaries(session: Session) -> None:
    existing = {(d, c) for d, c in session.exec(select(DictionaryEntry.dictionary, DictionaryEntry.code)).all()}
    for name, values in ref.DICTIONARIES.items():
        for pos, (code, zh, en) in enumerate(values):
            if (name, code) not in existing:
                meta = {"sector": ref.SECTOR_OF[code]} if name == "category" and code in ref.SECTOR_OF else {}
                session.add(
                    DictionaryEntry(dictionary=name, code=code, label_zh=zh, label_en=en, position=pos, meta=meta)
                )


def ensure_rules(session: Session) -> None:
    if session.exec(select(SubsidyRate.id)).first() is None:
        for grade, kind, fen in ref.SUBSIDY_RATES:
            session.add(SubsidyRate(grade=grade, org_kind=kind, amount_fen=fen, valid_from=ref.RATES_FROM))
    defaults = {
        "deadlines": ref.DEADLINES,
        "award_cap": {"fen": ref.AWARD_CAP_FEN},
        "group_dispute": {"min_people": ref.GROUP_DISPUTE_MIN_PEOPLE},
        "retention": {"years_after_close": 3},
    }
    have = set(session.exec(select(ConfigVersion.key)).all())
    for key, value in defaults.items():
        if key not in have:
            session.add(ConfigVersion(key=key, version=1, value=dict(value), note="default"))
    if session.exec(select(RatingScheme.id)).first() is None:
        session.add(
            RatingScheme(
                code="mediator-default",
                period="default",
                weights=dict(ref.RATING_WEIGHTS),
                thresholds=dict(ref.RATING_THRESHOLDS),
                min_cases=ref.RATING_MIN_CASES,
            )
        )
    if session.exec(select(ChecklistItem.id)).first() is None:
        for pos, (code, zh, en) in enumerate(ref.CHECKLIST):
            session.add(ChecklistItem(code=code, label_zh=zh, label_en=en, position=pos))
    for code, zh, en in (("intake", "扫码申请表", "Public intake form"), ("staff_intake", "登记表", "Staff intake")):
        if session.exec(select(FormSpec.id).where(FormSpec.code == code)).first() is None:
            session.add(FormSpec(code=code, version=1, title_zh=zh, title_en=en, fields=[]))


def ensure_root_org(session: Session) -> Organisation:
    root = session.exec(select(Organisation).where(Organisation.code == ROOT_ORG_CODE)).first()
    if root is None:
        root = Organisation(code=ROOT_ORG_CODE, name="市矛盾纠纷多元化解中心", kind="coordination", depth=0)
        session.add(root)
        session.flush()
        root.path = f"/{root.id}/"
        session.add(root)
    return root


def ensure_reference_data(session: Session) -> None:
    """Everything a fresh database needs before the first sign-in; safe to run again."""
    ensure_roles(session)
    ensure_dictionaries(session)
    ensure_rules(session)
    ensure_registers(session, ensure_root_org(session))
