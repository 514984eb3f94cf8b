"""Factories that build test data through the real services."""

from __future__ import annotations

import itertools
from typing import Any

from sqlmodel import Session

from models import Case, Organisation, User
from services.access.accounts import create_user, load_actor
from services.access.authz import Actor
from services.cases.create import CaseInput, PartyInput, create_case
from services.core.bootstrap import ensure_root_org
from services.roster.orgs import create_org

_seq = itertools.count(1)
PASSWORD = "correct horse battery staple"


def make_tree(session: Session) -> dict[str, Organisation]:
    """A small region: root → county → town → two villages, plus a police room and a court."""
    root = ensure_root_org(session)
    county = create_org(session, code="C1", name="江安县", kind="county", parent=root)
    town = create_org(session, code="T1", name="红桥镇", kind="town", parent=county)
    v1 = create_org(
        session,
        code="V1",
        name="东村调委会",
        kind="village_committee",
        parent=town,
        address="红桥镇东村村委会",
        phone="0831-1234567",
    )
    v2 = create_org(session, code="V2", name="西村调委会", kind="village_committee", parent=town)
    police = create_org(session, code="P1", name="红桥派出所调解室", kind="police_room", parent=town)
    court = create_org(session, code="CT1", name="江安县人民法院", kind="court", parent=county)
    justice = create_org(session, code="J1", name="江安县司法局", kind="justice_office", parent=county)
    return {
        "root": root,
        "county": county,
        "town": town,
        "v1": v1,
        "v2": v2,
        "police": police,
        "court": court,
        "justice": justice,
    }


def make_user(session: Session, org: Organisation, roles: list[str], username: str | None = None) -> User:
    name = username or f"user{next(_seq)}"
    return create_user(session, username=name, display_name=name, password=PASSWORD, org_code=org.code, roles=roles)


def make_actor(session: Session, org: Organisation, roles: list[str]) -> Actor:
    user = make_user(session, org, roles)
    actor = load_actor(session, user.id or 0)
    assert actor is not None
    return actor


def make_case(session: Session, org: Organisation, **overrides: Any) -> Case:
    data = CaseInput(
        org_id=org.id or 0,
        source=overrides.pop("source", "walk_in"),
        category=overrides.pop("category", "neighbour"),
        description=overrides.pop("description", "邻居因排水沟堵塞发生争执"),
        parties=overrides.pop(
            "parties",
            [
                PartyInput(side="applicant", name="张三", phone="13812345678"),
                PartyInput(side="respondent", name="李四"),
            ],
        ),
        **{k: overrides.pop(k) for k in list(overrides) if k in CaseInput.__dataclass_fields__},
    )
    return create_case(session, data=data, actor_id=None, **overrides)
