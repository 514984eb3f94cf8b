"""Early warning (预警): group disputes, violence or self-harm, civil-to-criminal risk, repeat parties and addresses.

Thresholds are settings (ConfigVersion "early_warning"; the group size also honours "group_dispute").
A newly flagged case notifies the coordination office at once, and flagged cases top every list.

What counts as a warning now is defined here once (`WARNINGS`, as data with the text the UI shows) and counted
by `count_warnings`, which the workbench and the statistics dashboard both call: for the same actor and area
they show the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, and_, cast, distinct, exists, func, or_, union_all
from sqlmodel import Session, col, select

from models import Case, CaseEvent, CaseStatus, ConfigVersion, FollowUp, Party
from models.stats import stats_followup_org
from services.access.authz import (
    WORK,
    Actor,
    area_org_ids,
    case_in_scope_clause,
    get_case_in_scope,
    require,
    require_any,
)
from services.access.permissions import P
from services.cases import states
from services.core import audit, clock
from services.core.errors import ValidationFailed
from services.notify.inbox import notify_case_owner, notify_coordinators

MANUAL_FLAGS = ("group", "violence", "self_harm", "escalation", "petition_up")
AUTO_FLAGS = ("group", "violence", "self_harm", "escalation", "repeat_party", "repeat_address")
FLAGS = tuple(dict.fromkeys((*MANUAL_FLAGS, *AUTO_FLAGS)))  # every flag a case may carry, in a fixed order
DEFAULTS: dict[str, Any] = {
    "group_min_people": 5,
    "repeat_min_cases": 3,
    "repeat_window_days": 90,
    "keywords": {
        "violence": ["砍", "打死", "动刀", "报复", "拼命", "持刀", "威胁"],
        "self_harm": ["自杀", "跳楼", "喝农药", "寻死", "轻生", "不想活"],
        "escalation": ["民转刑", "要出人命", "纠集", "械斗", "上门打"],
    },
}


def _latest(session: Session, key: str) -> dict[str, Any]:
    row = session.exec(
        select(ConfigVersion).where(ConfigVersion.key == key).order_by(col(ConfigVersion.version).desc())
    ).first()
    return dict(row.value) if row else {}


def warning_settings(session: Session) -> dict[str, Any]:
    """Thresholds in force: N people for a group dispute, N cases within M days for a repeat party or address."""
    value = {**DEFAULTS, **_latest(session, "early_warning")}
    group = _latest(session, "group_dispute")
    if "group_min_people" not in _latest(session, "early_warning") and "min_people" in group:
        value["group_min_people"] = int(group["min_people"])
    return value


def _repeat_count(session: Session, case: Case, column: Any, values: list[str], days: int) -> int:
    """Cases (this one included) received within `days` before this one that share a party value."""
    if not values:
        return 0
    since = case.received_at - timedelta(days=days)
    return int(
        session.exec(
            select(func.count(distinct(col(Party.case_id))))
            .join(Case, col(Case.id) == col(Party.case_id))
            .where(column.in_(values), col(Case.received_at) >= since, col(Case.received_at) <= case.received_at)
        ).one()
    )


def evaluate(session: Session, case: Case) -> set[str]:
    """The flags the rules raise for this case now (manual flags are kept separately by the caller)."""
    cfg = warning_settings(session)
    flags: set[str] = set()
    if case.group_size >= int(cfg["group_min_people"]):
        flags.add("group")
    text = f"{case.title}\n{case.description}\n{case.request}"
    for flag, words in (cfg.get("keywords") or {}).items():
        if flag in AUTO_FLAGS and any(w and w in text for w in words):
            flags.add(flag)
    parties = session.exec(select(Party).where(Party.case_id == case.id)).all()
    n, days = int(cfg["repeat_min_cases"]), int(cfg["repeat_window_days"])
    idx = sorted({v for p in parties for v in (p.phone_index, p.id_number_index) if v})
    phone_hits = _repeat_count(session, case, col(Party.phone_index), idx, days)
    id_hits = _repeat_count(session, case, col(Party.id_number_index), idx, days)
    if max(phone_hits, id_hits) >= n:
        flags.add("repeat_party")
    addresses = sorted({p.address.strip() for p in parties if p.address.strip()})
    if addresses and _repeat_count(session, case, col(Party.address), addresses, days) >= n:
        flags.add("repeat_address")
    return flags


def apply_flags(session: Session, case: Case, flags: set[str], *, actor_id: int | None) -> set[str]:
    """Add flags to the case; newly raised ones go on the timeline and to the coordinator at once."""
    new = flags - set(case.risk_flags)
    if not new:
        return set()
    case.risk_flags = sorted(set(case.risk_flags) | new)
    case.risk_level = "high"
    session.add(case)
    session.add(
        CaseEvent(
            case_id=case.id or 0, actor_id=actor_id, kind="warning.flagged", data={"flags": ",".join(sorted(new))}
        )
    )
    notify_coordinators(
        session,
        case,
        key="notify.warning",
        params={"case_no": case.case_no, "flags": ",".join(sorted(new))},
        dedupe=f"warning:{case.id}:{','.join(sorted(new))}",
    )
    notify_case_owner(
        session,
        case,
        key="notify.warning_owner",
        params={"case_no": case.case_no},
        dedupe=f"warning:{case.id}:{','.join(sorted(new))}",
        actor_id=actor_id,
    )
    audit.record(session, action="case.flag", actor_id=actor_id, entity="case", entity_id=case.id, flags=sorted(new))
    return new


def check_case(session: Session, case: Case, *, actor_id: int | None) -> set[str]:
    """Evaluate the rules for a case just written and apply any new flags."""
    session.flush()
    return apply_flags(session, case, evaluate(session, case), actor_id=actor_id)


def recheck_case(session: Session, *, actor: Actor, case_id: int) -> set[str]:
    """Run the early-warning rules again on a case the actor works on; returns the newly raised flags."""
    require_any(actor, P.CASE_MEDIATE, P.CASE_ACCEPT, P.CASE_ASSIGN)
    case = get_case_in_scope(session, actor, case_id, for_update=True, scope=WORK)
    return check_case(session, case, actor_id=actor.user_id)


def flag_case(session: Session, *, actor: Actor, case_id: int, flags: list[str], note: str = "") -> set[str]:
    """A mediator or coordinator marks a risk seen in person (violence, self-harm, 民转刑, …)."""
    require_any(actor, P.CASE_MEDIATE, P.CASE_ACCEPT, P.CASE_ASSIGN)
    unknown = [f for f in flags if f not in MANUAL_FLAGS]
    if unknown or not flags:
        raise ValidationFailed("error.flag_unknown", flag=",".join(unknown))
    case = get_case_in_scope(session, actor, case_id, for_update=True, scope=WORK)
    new = apply_flags(session, case, set(flags), actor_id=actor.user_id)
    if new and note.strip():
        session.add(CaseEvent(case_id=case.id or 0, actor_id=actor.user_id, kind="note", note=note.strip()[:2000]))
    return new


# ------------------------------------------------------------------------------------------------ what counts


@dataclass(frozen=True)
class WarningKind:
    """One kind of warning: its id, names, the rule the UI shows, and the SQL predicate on a case row."""

    id: str
    name_zh: str
    name_en: str
    rule_zh: str
    rule_en: str
    where: Callable[[date], ColumnElement[bool]]

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_zh

    def rule(self, lang: str) -> str:
        return self.rule_en if lang == "en" else self.rule_zh


def _followup_late(today: date) -> ColumnElement[bool]:
    late = exists().where(
        col(FollowUp.case_id) == col(Case.id), col(FollowUp.done_at).is_(None), col(FollowUp.due) < today
    )
    return and_(col(Case.status) == CaseStatus.SUCCEEDED, late)


WARNINGS: tuple[WarningKind, ...] = (
    WarningKind(
        "high_risk",
        "高风险",
        "High risk",
        "尚未办结（待受理、已受理、调解中）且带有风险标记的纠纷：群体性、暴力倾向、自伤风险、可能民转刑、越级上访、"
        "同一当事人或同一地址多次纠纷",
        "Not yet concluded (waiting, accepted, in mediation) and carrying a risk flag: group, violence, self-harm, "
        "civil-to-criminal, petition upwards, the same party or address in repeated disputes",
        lambda _: and_(col(Case.status).in_(states.OPEN), col(Case.risk_level) == "high"),
    ),
    WarningKind(
        "accept",
        "受理超期",
        "Overdue to accept",
        "超过受理期限仍待受理",
        "Still waiting past the acceptance deadline",
        lambda today: and_(col(Case.status) == CaseStatus.SUBMITTED, col(Case.accept_due) < today),
    ),
    WarningKind(
        "conclude",
        "办结超期",
        "Overdue to conclude",
        "超过办结期限仍在调解",
        "Still in mediation past the conclusion deadline",
        lambda today: and_(col(Case.status).in_(states.MEDIATING), col(Case.conclude_due) < today),
    ),
    WarningKind(
        "follow_up",
        "回访超期",
        "Overdue follow-up",
        "调解成功后超过回访期限仍未回访",
        "Succeeded and not followed up by the due day",
        _followup_late,
    ),
)
BY_ID: dict[str, WarningKind] = {w.id: w for w in WARNINGS}
OVERDUE = ("accept", "conclude", "follow_up")  # the three ways a case is overdue (超期); they never overlap


def warning_parts(today: date) -> dict[str, ColumnElement[bool]]:
    """Each kind of warning as a SQL predicate on a case row."""
    return {w.id: w.where(today) for w in WARNINGS}


def overdue_clause(today: date) -> ColumnElement[bool]:
    """SQL: the case is overdue (超期) in one of the three ways."""
    return or_(*(BY_ID[k].where(today) for k in OVERDUE))


def flagged(flag: str) -> ColumnElement[bool]:
    """The case carries this risk flag (risk_flags is a JSON list of codes)."""
    return and_(col(Case.risk_level) == "high", cast(Case.risk_flags, String).like(f'%"{flag}"%'))


def overdue_rule(lang: str) -> str:
    """What 超期 (any of the three overdue kinds) means, kind by kind."""
    if lang == "en":
        return "; ".join(f"{BY_ID[k].name(lang).lower()}: {BY_ID[k].rule(lang).lower()}" for k in OVERDUE)
    return "；".join(f"{BY_ID[k].name(lang)}：{BY_ID[k].rule(lang)}" for k in OVERDUE)


def definition(lang: str) -> str:
    """The whole definition in one line, as the dashboard captions it."""
    high = BY_ID["high_risk"].rule(lang)
    if lang == "en":
        return f"High risk = {high[:1].lower()}{high[1:]}. Overdue = {overdue_rule(lang)}."
    return f"高风险 = {high}。超期 = {overdue_rule(lang)}。"


SUMMARY = {
    "zh": "高风险 = 尚未办结且带有风险标记（群体性、暴力、自伤、民转刑、越级上访、重复纠纷）；"
    "超期 = 已过受理、办结或回访期限。",
    "en": "High risk = not concluded and flagged (group, violence, self-harm, civil-to-criminal, petition, "
    "repeats); overdue = past the deadline to accept, conclude or follow up.",
}


def summary(lang: str) -> str:
    """The definition in two short clauses, for a phone (the full rules: `definition`, each kind's `rule`)."""
    return SUMMARY["en" if lang == "en" else "zh"]


@dataclass(frozen=True)
class WarningCounts:
    """Cases that are warnings now: high-risk, overdue by kind, and the high-risk ones by flag."""

    high_risk: int
    by_kind: dict[str, int]
    by_flag: dict[str, int]

    @property
    def overdue(self) -> int:
        return sum(self.by_kind[k] for k in OVERDUE)


def count_warnings(
    session: Session,
    *,
    where: Sequence[ColumnElement[bool]],
    today: date,
    open_term: ColumnElement[bool] | None = None,
    hint: Callable[[Any], Any] = lambda stmt: stmt,
    with_late: bool = True,
) -> WarningCounts:
    """The warnings among the cases `where` selects, in two aggregate statements (open cases; follow-ups).

    `open_term` and `hint` let the statistics read the open cases through their partial index (same rows);
    `with_late` False leaves the late follow-ups at 0 for a caller that counts them its own way."""
    parts = warning_parts(today)
    opened = open_term if open_term is not None else col(Case.status).in_(states.OPEN)
    stmt = select(
        func.count().filter(parts["high_risk"]),
        func.count().filter(parts["accept"]),
        func.count().filter(parts["conclude"]),
        *(func.count().filter(parts["high_risk"], flagged(f)) for f in FLAGS),
    ).where(opened, *where)
    row = tuple(int(v or 0) for v in session.exec(hint(stmt)).one())
    late = (
        session.exec(select(func.count()).select_from(Case).where(*where, parts["follow_up"])).one() if with_late else 0
    )
    return WarningCounts(
        high_risk=row[0],
        by_kind={"high_risk": row[0], "accept": row[1], "conclude": row[2], "follow_up": int(late or 0)},
        by_flag=dict(zip(FLAGS, row[3:], strict=True)),
    )


def area_warnings(session: Session, *, actor: Actor, today: date | None = None) -> WarningCounts:
    """The warnings of the actor's area (the cases its organisations own), as the dashboard shows them unfiltered.

    The late follow-ups come from the follow-up summary by organisation and due day (models/stats.py, kept in
    the same transaction as every change): counted case by case they were 0.16 s of the workbench's header for
    a county of 360,000 cases on PostgreSQL."""
    require(actor, P.CASE_VIEW)
    day = today or clock.today()
    opened = count_warnings(session, where=[case_in_scope_clause(actor)], today=day, with_late=False)
    late = session.exec(
        select(func.coalesce(func.sum(stats_followup_org.c.n), 0)).where(
            stats_followup_org.c.org_id.in_(area_org_ids(actor)), stats_followup_org.c.due < day
        )
    ).one()
    return replace(opened, by_kind={**opened.by_kind, "follow_up": int(late or 0)})


def overdue_pairs(where: ColumnElement[bool], today: date) -> Any:
    """SELECT (id, due) of the cases `where` selects that are overdue, kind by kind under UNION ALL, `due` being
    the deadline that passed (the case's `next_due_expr`); each kind reads its own rows, where one OR with the
    follow-up's per-case subquery read every case (the kinds never overlap; a case has one open follow-up)."""
    parts = warning_parts(today)
    return union_all(
        select(col(Case.id).label("id"), col(Case.accept_due).label("due")).where(where, parts["accept"]),
        select(col(Case.id), col(Case.conclude_due)).where(where, parts["conclude"]),
        select(col(FollowUp.case_id), col(FollowUp.due))
        .join(Case, col(Case.id) == col(FollowUp.case_id))
        .where(
            where,
            col(Case.status) == CaseStatus.SUCCEEDED,
            col(FollowUp.done_at).is_(None),
            col(FollowUp.due) < today,
        ),
    )


def area_clause(actor: Actor, kind: str, today: date) -> ColumnElement[bool]:
    """SQL: the actor's area's cases behind one warning kind (超期 as a whole: `overdue_pairs`)."""
    return and_(case_in_scope_clause(actor), BY_ID[kind].where(today))


def high_risk_now(case: Case) -> bool:
    """The `high_risk` rule for one loaded case (the badge on a card agrees with the counts)."""
    return case.risk_level == "high" and case.status in states.OPEN
