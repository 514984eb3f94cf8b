"""Ledger test data: a small county with mediators and justice staff, and succeeded cases with an audited grade.

The case workflow is another part of the system; here a case is brought to "succeeded with an audited
grade" by setting its fields directly (and writing the GradeAudit row), as the workflow would.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session

from models import Budget, Case, CaseStatus, GradeAudit, Mediator, Organisation
from services.access.authz import Actor
from services.cases.create import PartyInput
from services.core import clock
from tests.factories import make_actor, make_case, make_tree

_phones = itertools.count(10_000_000)


@dataclass
class World:
    tree: dict[str, Organisation]
    mediator: Actor  # 调解员 at V1, with a Mediator record
    mediator_id: int
    mediator2: Actor  # 调解员 at V2
    mediator2_id: int
    auditor: Actor  # 司法局 J1 staff
    approver: Actor  # another 司法局 J1 staff
    town_justice: Actor  # a town-level 司法所 (not the bureau)
    outsider: Actor  # a justice office in another county
    payer: Actor  # a third 司法局 J1 staff: claimant, auditor, approver and payer are four people by default


def add_mediator(session: Session, actor: Actor, name: str) -> int:
    m = Mediator(user_id=actor.user_id, org_id=actor.org_id, name=name)
    session.add(m)
    session.flush()
    return m.id or 0


def make_world(session: Session, *, budget_fen: int | None = 100_000_000) -> World:
    """The factories' tree plus ledger staff; a generous budget for this year unless told otherwise."""
    from services.roster.orgs import create_org

    tree = make_tree(session)
    town_office = create_org(session, code="TJ1", name="红桥镇司法所", kind="justice_office", parent=tree["town"])
    other = create_org(session, code="C2", name="长宁县", kind="county", parent=tree["root"])
    other_j = create_org(session, code="J2", name="长宁县司法局", kind="justice_office", parent=other)
    tree.update(town_office=town_office, county2=other, justice2=other_j)
    mediator = make_actor(session, tree["v1"], ["mediator"])
    mediator2 = make_actor(session, tree["v2"], ["mediator"])
    world = World(
        tree,
        mediator,
        add_mediator(session, mediator, "王调解"),
        mediator2,
        add_mediator(session, mediator2, "赵调解"),
        make_actor(session, tree["justice"], ["justice"]),
        make_actor(session, tree["justice"], ["justice"]),
        make_actor(session, town_office, ["justice"]),
        make_actor(session, other_j, ["justice"]),
        make_actor(session, tree["justice"], ["justice"]),
    )
    if budget_fen is not None:
        for line in ("case_subsidy", "award"):
            session.add(
                Budget(
                    region_org_id=tree["county"].id or 0, year=clock.local_now().year, line=line, amount_fen=budget_fen
                )
            )
    return world


def unique_parties(n: int = 2) -> list[PartyInput]:
    return [
        PartyInput(side="applicant" if i == 0 else "respondent", name=f"当事人{i}", phone=f"139{next(_phones):08d}")
        for i in range(n)
    ]


def succeeded_case(
    session: Session,
    org: Organisation,
    *,
    grade: str = "standard",
    mediator_id: int | None = None,
    concluded: datetime | None = None,
    parties: list[PartyInput] | None = None,
    status: str = CaseStatus.SUCCEEDED,
    auditor: Actor | None = None,
    **fields: Any,
) -> Case:
    """A case mediated to success whose grade an auditor has confirmed."""
    received = fields.pop("received_at", None) or datetime.now(UTC) - timedelta(days=10)
    case = make_case(
        session,
        org,
        parties=parties or unique_parties(),
        received_at=received,
        status=CaseStatus.ACCEPTED,
        **{k: fields.pop(k) for k in list(fields) if k in ("category",)},
    )
    case.status = status
    case.mediator_id = mediator_id
    case.grade_proposed = grade
    case.grade_audited = grade
    case.concluded_at = concluded or datetime.now(UTC) - timedelta(days=2)
    for k, v in fields.items():
        setattr(case, k, v)
    session.add(case)
    session.flush()
    if grade and auditor is not None:
        session.add(
            GradeAudit(
                case_id=case.id or 0,
                proposed=grade,
                audited=grade,
                auditor_id=auditor.user_id,
                auditor_org_id=auditor.org_id,
            )
        )
    return case
