"""A case's risk colour by rule (CaseRisk), re-grading, and the risk rule set as /rules edits it.

The level is graded when the rules change (every open case, with the count that changed), by the background job,
and when a case page finds the stored grade out of date. A change of level restarts the two response clocks (first
contact, handling plan; services/supervision/response.py escalates them when they run out).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import AuditLog, Case, CaseEvent, CaseRisk, Organisation, OrgKind
from models.base import utc_now
from services.access.authz import Actor
from services.cases import states
from services.core import audit
from services.core.db import Database
from services.core.i18n import DEFAULT_LANGUAGE, translate
from services.lowcode import dictionaries
from services.lowcode.rule_sets import RuleSet, append_config
from services.notify.inbox import coordinator_org_ids, notify_case_owner, notify_org
from services.supervision import risk_rules as rr
from services.supervision.person import same_person_pairs

Value = dict[str, Any]
BATCH = 500


def grade(rules: Value, case: Case, repeats: int) -> tuple[str, list[str]]:
    """(level, reasons): the first colour, red to blue, any of whose conditions the case meets; ('none', [])."""
    flags = set(case.risk_flags or [])
    for name in rr.LEVELS:
        lv = rules["levels"][name]
        why = [f"flag:{f}" for f in lv["flags"] if f in flags]
        if lv["group_min"] and case.group_size >= lv["group_min"]:
            why.append(f"group:{case.group_size}")
        why += [f"category:{case.category}" for c in lv["categories"] if c == case.category]
        why += [f"source:{case.source}" for s in lv["sources"] if s == case.source]
        if lv["repeat_min"] and repeats >= lv["repeat_min"]:
            why.append(f"repeat:{repeats}")
        if why:
            return name, why
    return "none", []


def reason_labels(session: Session, lang: str = DEFAULT_LANGUAGE) -> dict[str, dict[str, str]]:
    """The dictionaries a reason may name (read once for a page of cards)."""
    return {n: dictionaries.labels(session, n, lang) for n in ("risk_flag", "category", "source")}


def describe(
    session: Session, reasons: list[str], lang: str = DEFAULT_LANGUAGE, labels: dict[str, dict[str, str]] | None = None
) -> str:
    """The conditions that set a level, in words: '有暴力倾向、群体 35 人'."""
    labels = labels if labels is not None else reason_labels(session, lang)
    words = []
    for r in reasons:
        kind, _, value = r.partition(":")
        if kind == "flag":
            words.append(labels["risk_flag"].get(value) or translate(f"flag.{value}", lang))
        elif kind in ("category", "source"):
            words.append(labels[kind].get(value, value))
        else:
            words.append(translate(f"risk.reason.{kind}", lang, n=value))
    return "、".join(words)


def _store(
    session: Session, case: Case, level: str, why: list[str], rules: Value, version: int, actor_id: int | None
) -> bool:
    """Write the grade; on a new level restart the clocks, log it on the timeline and tell who must act."""
    now = utc_now()
    row = session.exec(select(CaseRisk).where(CaseRisk.case_id == case.id)).first()
    before = row.level if row else "none"
    opened = case.status in states.OPEN
    if not opened:  # a closed case keeps the level it had; its clocks stop
        if row is not None and row.is_open:
            row.is_open = False
            session.add(row)
        return False
    if row is not None and row.level == level and row.reasons == why and row.is_open == opened:
        return False
    row = row or CaseRisk(case_id=case.id or 0, level="none", level_since=now)
    row.reasons, row.rule_version, row.graded_at, row.is_open = why, version, now, opened
    if level != before or row.id is None:
        lv = rules["levels"].get(level)
        row.level, row.level_since = level, now
        row.owner_level = lv["owner"] if lv else ""
        row.contact_due = now + timedelta(hours=lv["contact_hours"]) if lv else None
        row.plan_due = now + timedelta(hours=lv["plan_hours"]) if lv else None
    session.add(row)
    if level == before:
        return False
    session.add(
        CaseEvent(
            case_id=case.id or 0,
            actor_id=actor_id,
            kind=f"risk.graded_{level}",
            data={"why": describe(session, why), "version": version},
        )
    )
    if level in ("red", "orange") and opened:
        _tell_owner(session, case, level, row)
    return True


def _tell_owner(session: Session, case: Case, level: str, row: CaseRisk) -> None:
    dedupe = f"risk:{case.id}:{level}:{row.level_since.isoformat()}"
    params, key = {"case_no": case.case_no}, f"notify.risk_graded_{level}"
    for org_id in level_orgs(session, case, row.owner_level):
        notify_org(session, org_id=org_id, key=key, case_id=case.id, params=params, dedupe_key=f"{dedupe}:{org_id}")
    notify_case_owner(session, case, key=key, params=params, dedupe=dedupe)


def level_orgs(session: Session, case: Case, level: str) -> list[int]:
    """The organisations at an owning or escalation level for this case (county: its coordination office)."""
    if level == "county":
        return coordinator_org_ids(session, case)
    if level == "village":
        return [case.org_id]
    org = session.get(Organisation, case.org_id)
    ancestors = [int(p) for p in (org.path if org else "/").split("/") if p]
    town = session.exec(
        select(Organisation).where(col(Organisation.id).in_(ancestors), Organisation.kind == OrgKind.TOWN)
    ).first()
    if town is None:
        return coordinator_org_ids(session, case)
    if level == "police":
        station = session.exec(
            select(Organisation.id).where(
                Organisation.parent_id == town.id,
                col(Organisation.kind).in_((OrgKind.POLICE_STATION, OrgKind.POLICE_ROOM)),
            )
        ).first()
        return [station] if station else [town.id or 0]
    return [town.id or 0]


def grade_cases(session: Session, cases: list[Case], *, actor_id: int | None) -> int:
    """Grade these cases by the rules in force; returns how many changed level."""
    if not cases:
        return 0
    rules, version = rr.risk_rules(session), rr.rules_version(session)
    pairs = same_person_pairs(session, [c.id or 0 for c in cases], window_days=int(rules["repeat_window_days"]))
    changed = 0
    for case in cases:
        level, why = grade(rules, case, len(pairs.get(case.id or 0, ())))
        changed += _store(session, case, level, why, rules, version, actor_id)
    return changed


def regrade_open(
    session: Session, *, actor_id: int | None, after_id: int = 0, limit: int | None = None
) -> tuple[int, int]:
    """Grade the open cases (ids above `after_id`, at most `limit`); (changed, graded). Cases closed since their
    last grade stop their clocks."""
    stmt = select(Case).where(col(Case.status).in_(states.OPEN), col(Case.id) > after_id).order_by(col(Case.id))
    cases = list(session.exec(stmt.limit(limit) if limit else stmt).all())
    changed = sum(grade_cases(session, cases[i : i + BATCH], actor_id=actor_id) for i in range(0, len(cases), BATCH))
    if after_id == 0:
        _close_clocks(session)
    return changed, len(cases)


def refresh_case(session: Session, case_id: int) -> bool:
    """Grade one case again if its stored grade is missing or out of date (the case page calls this)."""
    case = session.get(Case, case_id)
    if case is None:
        return False
    try:
        with session.begin_nested():
            changed = grade_cases(session, [case], actor_id=None)
            session.flush()
    except IntegrityError:  # a concurrent first grade of the same case won
        return False
    return bool(changed)


def needs_refresh(session: Session, case: Case) -> bool:
    """Whether the stored grade differs from what the rules say now."""
    rules = rr.risk_rules(session)
    row = session.exec(select(CaseRisk).where(CaseRisk.case_id == case.id)).first()
    if case.status not in states.OPEN:
        return row is not None and row.is_open
    pairs = same_person_pairs(session, [case.id or 0], window_days=int(rules["repeat_window_days"]))
    level, why = grade(rules, case, len(pairs[case.id or 0]))
    return row is None or row.level != level or row.reasons != why or not row.is_open


def levels_of(session: Session, case_ids: list[int]) -> dict[int, tuple[str, list[str]]]:
    """case id → (level, reasons) for the graded ones among these (workbench cards, desk rows)."""
    if not case_ids:
        return {}
    rows = session.exec(
        select(CaseRisk.case_id, CaseRisk.level, CaseRisk.reasons).where(col(CaseRisk.case_id).in_(case_ids))
    ).all()
    return {int(c): (lv, list(why or [])) for c, lv, why in rows if lv != "none"}


def grade_open_batches(db: Database) -> None:
    """The background job's grading: every open case, one short write transaction per batch."""
    after = 0
    while True:
        with db.write() as s:
            ids = list(
                s.exec(
                    select(Case.id)
                    .where(col(Case.status).in_(states.OPEN), col(Case.id) > after)
                    .order_by(col(Case.id))
                    .limit(BATCH)
                ).all()
            )
            if not ids:
                break
            grade_cases(s, list(s.exec(select(Case).where(col(Case.id).in_(ids))).all()), actor_id=None)
            after = max(i or 0 for i in ids)
    with db.write() as s:
        _close_clocks(s)


def _close_clocks(session: Session) -> None:
    rows = session.exec(
        select(CaseRisk).where(
            CaseRisk.is_open == True,  # noqa: E712
            col(CaseRisk.case_id).not_in(select(Case.id).where(col(Case.status).in_(states.OPEN))),
        )
    ).all()
    for row in rows:
        row.is_open = False
        session.add(row)


# ---------------------------------------------------------------------------------------- the rule set on /rules


def _apply(session: Session, before: Value, after: Value, actor: Actor) -> None:
    append_config(session, rr.NAME, after, actor)
    session.flush()
    changed, graded = regrade_open(session, actor_id=actor.user_id)
    audit.record(
        session,
        action="risk.regrade",
        actor_id=actor.user_id,
        entity="configversion",
        version=rr.rules_version(session),
        changed=changed,
        graded=graded,
    )


def last_regrade(session: Session) -> dict[str, Any] | None:
    """The newest re-grading after a rule change: {version, changed, graded, at} or None."""
    row = session.exec(
        select(AuditLog).where(AuditLog.action == "risk.regrade").order_by(col(AuditLog.id).desc())
    ).first()
    return None if row is None else {**row.detail, "at": row.at}


RISK_SET = RuleSet(rr.NAME, rr.read_rules, rr.check_rules, _apply)
