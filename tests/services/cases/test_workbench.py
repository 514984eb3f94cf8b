from __future__ import annotations

from datetime import timedelta

from models import Case
from services.cases import confirmation, referrals, workbench
from services.cases.create import PartyInput
from services.core import clock
from tests.case_factories import accepted_case, handed_over, make_world, new_case, succeeded_case


def _due(db, case_id, days):
    with db.write() as s:
        c = s.get(Case, case_id)
        c.conclude_due = clock.today() + timedelta(days=days)
        s.add(c)


def test_cards_sorted_flagged_and_overdue_first_then_by_deadline(db):
    w = make_world(db)
    late = accepted_case(db, w.mediator)
    soon = accepted_case(db, w.mediator)
    later = accepted_case(db, w.mediator)
    flagged = accepted_case(db, w.mediator, group_size=30)
    both = accepted_case(db, w.mediator, group_size=30)
    _due(db, late.id, -1), _due(db, soon.id, 2), _due(db, later.id, 20), _due(db, flagged.id, 25), _due(db, both.id, -2)
    with db.read() as s:
        cards = workbench.list_cards(s, actor=w.mediator)
        page2 = workbench.list_cards(s, actor=w.mediator, offset=3, limit=3)
    assert [c.id for c in cards] == [both.id, flagged.id, late.id, soon.id, later.id]
    assert [c.id for c in page2] == [soon.id, later.id]
    assert cards[0].overdue and cards[0].high_risk and cards[1].high_risk and not cards[1].overdue
    assert all(c.parties == "张某 / 李某" and c.next_action == "session" for c in cards)


def test_counts_and_next_actions_per_role(db):
    w = make_world(db)
    sent = handed_over(db, w)
    done = succeeded_case(db, w.mediator)
    with db.write() as s:
        confirmation.apply_confirmation(s, actor=w.mediator, case_id=done.id, court_org_id=w.orgs["court"].id)
    new_case(db, w.orgs["v1"])
    with db.read() as s:
        counts = workbench.count_cases(s, actor=w.mediator)
        mine = {c.id: c.next_action for c in workbench.list_cards(s, actor=w.mediator)}
        court = {c.id: c.next_action for c in workbench.list_cards(s, actor=w.court)}
        police = {c.id: c.next_action for c in workbench.list_cards(s, actor=w.police)}
        justice = {c.id: c.next_action for c in workbench.list_cards(s, actor=w.justice)}
    assert counts.incoming == 1 and counts.submitted == 2 and counts.open == 2
    assert mine[sent.id] == "handover" and mine[done.id] == "follow_up"
    assert court == {done.id: "rule"}
    assert police == {sent.id: "view"}
    assert justice == {done.id: "grade"}


def test_other_village_sees_nothing(db):
    w = make_world(db)
    accepted_case(db, w.mediator)
    with db.read() as s:
        assert workbench.list_cards(s, actor=w.mediator2) == []
        assert workbench.list_cards(s, actor=w.mediator2, view="all") == []
        assert workbench.count_cases(s, actor=w.mediator2).open == 0


def test_search_by_case_no_phone_id_and_name(db):
    w = make_world(db)
    a = accepted_case(
        db,
        w.mediator,
        parties=[
            PartyInput(side="applicant", name="欧阳明", phone="13812345678", id_number="11010519491231002X"),
            PartyInput(side="respondent", name="李四"),
        ],
    )
    b = accepted_case(
        db,
        w.mediator,
        parties=[
            PartyInput(side="applicant", name="欧阳红"),
            PartyInput(side="respondent", name="王五", phone="13900001111"),
        ],
    )
    hidden = accepted_case(db, w.mediator2, parties=[PartyInput(side="applicant", name="欧阳明", phone="13812345678")])

    def ids(q, actor=w.mediator):
        with db.read() as s:
            return [c.id for c in workbench.search_cases(s, actor=actor, query=q)]

    assert ids(a.case_no) == [a.id]
    assert ids(a.case_no[-5:]) == [a.id] and ids(str(int(a.case_no[-5:]))) == [a.id]
    assert ids("138 1234 5678") == [a.id] and ids("139-0000-1111") == [b.id]
    assert ids("11010519491231002x") == [a.id]
    assert ids("欧阳明") == [a.id] and ids("欧阳") == [b.id, a.id] and ids("李") == [a.id]
    assert ids("1381234") == [] and ids("  ") == []
    assert ids("欧阳明", actor=w.mediator2) == [hidden.id]
    with db.read() as s:
        assert workbench.search_cases(s, actor=w.mediator, query="欧阳明")[0].parties == "欧某 / 李某"


def test_referral_inbox_card_becomes_owned_after_accept(db):
    w = make_world(db)
    sent = handed_over(db, w)
    with db.read() as s:
        ref = referrals.list_incoming(s, actor=w.mediator)[0]
    with db.write() as s:
        referrals.accept_referral(s, actor=w.mediator, referral_id=ref.id)
    with db.read() as s:
        card = workbench.list_cards(s, actor=w.mediator)[0]
    assert card.id == sent.id and card.next_action == "session" and card.org_name == "东村调委会"
