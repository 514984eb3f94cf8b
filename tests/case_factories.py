"""Factories for the case-workflow tests: a region with a coordination office, actors per role, cases at each stage."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from models import Case, Organisation
from services.access.authz import Actor
from services.cases import outcomes, referrals, sessions
from services.cases import record as case_record
from services.cases.create import PartyInput
from services.core.db import Database
from services.roster.orgs import create_org
from tests.factories import make_actor, make_case, make_tree


@dataclass
class World:
    orgs: dict[str, Organisation]
    mediator: Actor  # village V1
    mediator2: Actor  # village V2 (the foreign village)
    coordinator: Actor  # the county's coordination office
    police: Actor  # the police-station room P1
    court: Actor  # the county court CT1
    justice: Actor  # the county justice bureau J1
    room_mediator: Actor  # mediator stationed in the police room P1


def make_world(db: Database) -> World:
    with db.write() as s:
        tree = make_tree(s)
        tree["coord"] = create_org(s, code="CO1", name="江安县矛调中心", kind="coordination", parent=tree["county"])
        return World(
            orgs=tree,
            mediator=make_actor(s, tree["v1"], ["mediator"]),
            mediator2=make_actor(s, tree["v2"], ["mediator"]),
            coordinator=make_actor(s, tree["coord"], ["coordinator"]),
            police=make_actor(s, tree["police"], ["police"]),
            court=make_actor(s, tree["court"], ["court"]),
            justice=make_actor(s, tree["justice"], ["justice"]),
            room_mediator=make_actor(s, tree["police"], ["mediator"]),
        )


def new_case(db: Database, org: Organisation, **overrides: Any) -> Case:
    with db.write() as s:
        return make_case(s, s.get(Organisation, org.id), **overrides)


_phones = itertools.count(13800000000)


def staff_input(**overrides: Any) -> case_record.StaffCaseInput:
    """A walk-in neighbour dispute; each call has new phone numbers (so repeat-party warnings stay quiet)."""
    base: dict[str, Any] = {
        "source": "walk_in",
        "category": "neighbour",
        "description": "排水沟堵塞，两家发生争执",
        "parties": [
            PartyInput(side="applicant", name="张三", phone=str(next(_phones))),
            PartyInput(side="respondent", name="李四", phone=str(next(_phones))),
        ],
    }
    base.update(overrides)
    return case_record.StaffCaseInput(**base)


def accepted_case(db: Database, actor: Actor, **overrides: Any) -> Case:
    with db.write() as s:
        return case_record.register_case(s, actor=actor, data=staff_input(**overrides))


def session_input(**overrides: Any) -> sessions.SessionInput:
    from models.base import utc_now

    base: dict[str, Any] = {
        "held_at": utc_now() - timedelta(hours=1),
        "place": "村委会调解室",
        "participants": "张三、李四",
        "notes": "双方陈述事实，初步达成共识",
    }
    base.update(overrides)
    return sessions.SessionInput(**base)


def agreement_input(**overrides: Any) -> outcomes.AgreementInput:
    base: dict[str, Any] = {
        "kind": "written",
        "terms": "李四于月底前疏通排水沟并赔偿500元",
        "grade": "standard",
        "amount_fen": 50_000,
        "obligations": "疏通排水沟，赔偿500元",
    }
    base.update(overrides)
    return outcomes.AgreementInput(**base)


def succeeded_case(db: Database, actor: Actor, **overrides: Any) -> Case:
    case = accepted_case(db, actor, **overrides)
    with db.write() as s:
        sessions.record_session(s, actor=actor, case_id=case.id, data=session_input())
    with db.write() as s:
        outcomes.record_agreement(s, actor=actor, case_id=case.id, data=agreement_input())
    with db.read() as s:
        return s.get(Case, case.id)


def handed_over(db: Database, w: World, to: Organisation | None = None) -> Case:
    with db.write() as s:
        return referrals.handover_case(
            s,
            actor=w.police,
            data=referrals.HandoverInput(
                to_org_id=(to or w.orgs["v1"]).id,
                source="dispatch_110",
                category="neighbour",
                description="110接警：邻里因噪音争吵",
                note="请村调委会调解",
                parties=[
                    PartyInput(side="applicant", name="王五", phone="13712345678"),
                    PartyInput(side="respondent", name="赵六"),
                ],
                send_anyway=True,  # tests hand over the same story several times; the look-alike question is theirs
            ),
        )
