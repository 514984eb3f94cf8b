"""回避: a party's request through their link reaches the head, is decided, and the reassignment and reason are in
the timeline; a mediator cannot decide their own; one pending request per case; counts per mediator."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlmodel import col, select

from models import AuditLog, Case, CaseEvent, Mediator, Notification, Party
from services.access.authz import Actor
from services.cases import party_links
from services.core.errors import Conflict, PermissionDenied, ValidationFailed
from services.trust import recusal
from tests.case_factories import accepted_case, make_world
from tests.factories import make_actor


@dataclass
class Setup:
    case_id: int
    mediator: Actor
    other: Actor
    head: Actor
    justice: Actor
    first_id: int
    second_id: int
    token: str
    last4: str


def setup_case(db) -> Setup:
    w = make_world(db)
    with db.write() as s:
        other = make_actor(s, w.orgs["v1"], ["mediator"])
        first = Mediator(user_id=w.mediator.user_id, org_id=w.orgs["v1"].id or 0, name="王明")
        second = Mediator(user_id=other.user_id, org_id=w.orgs["v1"].id or 0, name="赵丽")
        s.add_all([first, second])
    case = accepted_case(db, w.mediator)
    with db.write() as s:
        row = s.get(Case, case.id)
        row.mediator_id = first.id
        s.add(row)
        party = s.exec(select(Party).where(Party.case_id == case.id).order_by(col(Party.id))).first()
        link = party_links.issue_link(s, actor=w.mediator, case_id=case.id or 0, party_id=party.id or 0)
    return Setup(
        case_id=case.id or 0,
        mediator=w.mediator,
        other=other,
        head=w.coordinator,
        justice=w.justice,
        first_id=first.id or 0,
        second_id=second.id or 0,
        token=link.url.split("t=", 1)[1],
        last4=party.phone[-4:],
    )


def test_party_request_is_decided_by_the_head_and_reassigns(db):
    x = setup_case(db)
    rid = recusal.request_by_party(db, token=x.token, last4=x.last4, reason="调解员与对方是亲戚，不公正", client="c1")
    with pytest.raises(Conflict):  # one pending request per case
        recusal.request_by_party(db, token=x.token, last4=x.last4, reason="再次申请回避", client="c1")
    assert [r.id for r in recusal.pending_requests(db, actor=x.head)] == [rid]
    assert recusal.candidates(db, actor=x.head, request_id=rid) == [(x.second_id, "赵丽")]
    with pytest.raises(PermissionDenied):  # the mediator concerned holds no decision right
        recusal.decide(db, actor=x.mediator, request_id=rid, grant=False)
    recusal.decide(db, actor=x.head, request_id=rid, grant=True, new_mediator_id=x.second_id, note="同意回避")
    with pytest.raises(Conflict):
        recusal.decide(db, actor=x.head, request_id=rid, grant=False)
    with db.read() as s:
        case = s.get(Case, x.case_id)
        events = s.exec(
            select(CaseEvent).where(CaseEvent.case_id == x.case_id, col(CaseEvent.kind).startswith("recusal"))
        ).all()
        told = s.exec(select(Notification).where(Notification.user_id == x.other.user_id)).all()
        logged = s.exec(select(AuditLog.action).where(col(AuditLog.action).startswith("recusal"))).all()
    assert case.mediator_id == x.second_id
    assert [e.kind for e in events] == ["recusal.requested", "recusal.granted"]
    assert events[1].note == "调解员与对方是亲戚，不公正"
    assert events[1].data["from"] == "王明" and events[1].data["to"] == "赵丽"
    assert [n.key for n in told] == ["notify.assigned"]
    assert sorted(logged) == ["recusal.granted", "recusal.request"]
    [mine] = recusal.party_requests(db, token=x.token, last4=x.last4, client="c1")
    assert mine.status == "granted" and mine.decided_at is not None
    [count] = recusal.recusal_counts(db, actor=x.justice)
    assert (count.name, count.requested, count.granted) == ("王明", 1, 1)


def test_mediator_declares_a_conflict_and_cannot_decide_it(db):
    x = setup_case(db)
    with pytest.raises(PermissionDenied):  # only the case's own mediator declares
        recusal.request_by_mediator(db, actor=x.other, case_id=x.case_id, reason="与当事人有利害关系")
    with db.write() as s:  # a mediator who also holds the head's right: the case is put in their hands
        both = make_actor(s, _org(s, x), ["mediator", "coordinator"])
        m = Mediator(user_id=both.user_id, org_id=_org(s, x).id or 0, name="钱进")
        s.add(m)
        s.flush()
        case = s.get(Case, x.case_id)
        case.mediator_id = m.id
        s.add(case)
    rid = recusal.request_by_mediator(db, actor=both, case_id=x.case_id, reason="与当事人有利害关系")
    assert recusal.pending_requests(db, actor=both) == []  # their own request is not in their queue
    with pytest.raises(PermissionDenied) as refused:
        recusal.decide(db, actor=both, request_id=rid, grant=True, new_mediator_id=x.second_id)
    assert refused.value.key == "error.recusal_own"
    with pytest.raises(ValidationFailed):  # granting needs another mediator of the organisation
        recusal.decide(db, actor=x.head, request_id=rid, grant=True, new_mediator_id=m.id)
    recusal.decide(db, actor=x.head, request_id=rid, grant=False, note="理由不充分")
    with db.read() as s:
        assert s.get(Case, x.case_id).mediator_id == m.id
        assert s.exec(select(CaseEvent.kind).where(CaseEvent.kind == "recusal.refused")).one()


def test_reason_is_required_and_closed_cases_refuse(db):
    x = setup_case(db)
    with pytest.raises(ValidationFailed):
        recusal.request_by_party(db, token=x.token, last4=x.last4, reason=" ", client="c1")
    with db.write() as s:
        case = s.get(Case, x.case_id)
        case.status = "succeeded"
        s.add(case)
    with pytest.raises(Conflict):
        recusal.request_by_mediator(db, actor=x.mediator, case_id=x.case_id, reason="与当事人有利害关系")


def _org(s, x):
    from models import Organisation

    case = s.get(Case, x.case_id)
    return s.get(Organisation, case.org_id)
