"""A few demo entries in the three starter registers, filed through the register service as the demo staff."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlmodel import Session

from models import User
from services.access.accounts import load_actor
from services.lowcode.registers import add_entry

PLACES = ("一组", "二组", "三组", "村委会", "集镇街道", "安置小区")
TOPICS = ("土地承包经营权流转", "农民工工资支付", "邻里相邻关系", "婚姻家庭与赡养", "民法典进农家")
ORGS = ("县司法局", "县人民法院", "派出所", "镇综治中心", "县人社局", "县信访局", "镇政府")


def _screening(rng: random.Random, day: date) -> dict[str, object]:
    risk = rng.random() < 0.3
    values: dict[str, object] = {
        "visit_date": day,
        "places": "、".join(rng.sample(PLACES, 2)),
        "category": rng.sample(["neighbour", "housing_land", "marriage_family", "labour"], 2),
        "disputes_found": rng.randint(0, 4),
        "risk_found": "yes" if risk else "no",
        "disputes_prevented": rng.randint(0, 3),
    }
    if risk:
        values.update(risk_level=rng.choice(["low", "medium"]), risks="宅基地边界争议，双方情绪激动，需持续关注")
    return values


def seed_register_entries(session: Session, users: dict[str, User], rng: random.Random, today: date) -> int:
    """About two dozen entries over the last six months; returns how many were filed."""
    mediator, coordinator = (load_actor(session, users[r].id or 0) for r in ("mediator", "coordinator"))
    if mediator is None or coordinator is None:
        return 0
    made = 0
    for months_back in range(6):
        day = today - timedelta(days=30 * months_back + rng.randint(0, 20))
        for _ in range(2):
            add_entry(session, actor=mediator, code="screening_visit", values=_screening(rng, day))
            made += 1
        add_entry(
            session,
            actor=coordinator,
            code="joint_meeting",
            values={
                "meeting_date": day,
                "organisations": "、".join(rng.sample(ORGS, 4)),
                "topics": rng.choice(TOPICS) + "相关矛盾纠纷研判",
                "decisions": "明确牵头单位，限期化解并回访",
                "follow_up_owners": "县矛调中心、镇综治中心",
                "follow_up_due": day + timedelta(days=15),
            },
        )
        add_entry(
            session,
            actor=mediator,
            code="legal_education",
            values={
                "event_date": day,
                "place": "村委会文化广场",
                "topic": rng.choice(TOPICS),
                "kind": rng.choice(["lecture", "stall", "village_meeting"]),
                "audience": rng.randint(20, 150),
                "organiser": "村人民调解委员会",
            },
        )
        made += 2
    return made
