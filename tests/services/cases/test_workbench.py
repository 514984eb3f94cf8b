from __future__ import annotations

from datetime import timedelta

from models import Case
from services.cases import confirmation, joint, outcomes, referrals, sessions, view, workbench, workflow
from services.cases.create import PartyInput
from services.core import clock
from tests.case_factories import (
    accepted_case,
    agreement_input,
    handed_over,
    make_world,
    new_case,
    session_input,
    succeeded_case,
)


def _due(db, case_id, days):
    with db.write() as s:
        c = s.get(Case, case_id)
        c.conclude_due = clock.today() + timedelta(days=days)
        s.add(c)


def test_todo_sorted_oldest_deadline_first(db):
    w = make_world(db)
    late = accepted_case(db, w.mediator)
    soon = accepted_case(db, w.mediator)
    later = accepted_case(db, w.mediator)
    flagged = accepted_case(db, w.mediator, group_size=30)
    both = accepted_case(db, w.mediator, group_size=30)
    _due(db, late.id, -1), _due(db, soon.id, 2), _due(db, later.id, 20), _due(db, flagged.id, 25), _due(db, both.id, -2)
    with db.read() as s:
        cards = workbench.list_cards(s, actor=w.mediator)
        page1 = workbench.page_cards(s, actor=w.mediator, limit=3)
        page2 = workbench.page_cards(s, actor=w.mediator, after=page1.after, limit=3)
    assert [c.id for c in cards] == [both.id, late.id, soon.id, later.id, flagged.id]
    assert [c.id for c in page1.items + page2.items] == [c.id for c in cards] and page2.after is None
    assert cards[0].overdue and cards[0].high_risk and cards[1].overdue and not cards[1].high_risk
    assert cards[4].high_risk and not cards[4].overdue
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
    assert police == {}  # the hand-over it made only offers 查看: it lives under 全部
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


def _hand_over(db, w, to, phone):
    """The police liaison hands a 110 dispute to a village (another party each time: no look-alike refusal)."""
    with db.write() as s:
        return referrals.handover_case(
            s,
            actor=w.police,
            data=referrals.HandoverInput(
                to_org_id=to.id,
                source="dispatch_110",
                category="neighbour",
                description="110接警：邻里因宅基地争吵",
                parties=[
                    PartyInput(side="applicant", name="孙七", phone=phone),
                    PartyInput(side="respondent", name="周八"),
                ],
            ),
        )


def _close(db, actor, case_id):
    """Follow the succeeded case up and archive it, as the mediator does."""
    with db.write() as s:
        outcomes.record_follow_up(s, actor=actor, case_id=case_id, method="phone", satisfaction=5, holds=True)
    with db.write() as s:
        workflow.transition(s, actor=actor, case_id=case_id, action="archive")


def test_police_liaison_todo_shows_the_grade_audit_not_cases_to_view(db):
    w = make_world(db)
    sent = [handed_over(db, w), _hand_over(db, w, w.orgs["v2"], "13700000002")]
    with db.read() as s:
        ref = referrals.list_incoming(s, actor=w.mediator2)[0]
    with db.write() as s:
        referrals.accept_referral(s, actor=w.mediator2, referral_id=ref.id)
    with db.write() as s:
        sessions.record_session(s, actor=w.mediator2, case_id=sent[1].id, data=session_input())
    with db.write() as s:
        outcomes.record_agreement(s, actor=w.mediator2, case_id=sent[1].id, data=agreement_input(grade="simple"))
    audit = succeeded_case(db, w.room_mediator)
    with db.read() as s:
        todo = workbench.list_cards(s, actor=w.police)
        everything = {c.id: c.next_action for c in workbench.list_cards(s, actor=w.police, view="all")}
        counts = workbench.count_cases(s, actor=w.police)
    assert [(c.id, c.next_action) for c in todo] == [(audit.id, "grade")] and counts.todo == 1
    assert everything == {audit.id: "grade", **{c.id: "view" for c in sent}}


def test_village_mediator_todo_holds_only_cases_with_a_next_step(db):
    w = make_world(db)
    waiting = new_case(db, w.orgs["v1"])
    mediating = accepted_case(db, w.mediator)
    done = succeeded_case(db, w.mediator)
    archived = succeeded_case(db, w.mediator)
    _close(db, w.mediator, archived.id)
    rejected = new_case(db, w.orgs["v1"])
    with db.write() as s:
        workflow.transition(s, actor=w.mediator, case_id=rejected.id, action="reject", data={"reason": "duplicate"})
    with db.read() as s:
        todo = {c.id: c.next_action for c in workbench.list_cards(s, actor=w.mediator)}
        everything = {c.id for c in workbench.list_cards(s, actor=w.mediator, view="all")}
        counts = workbench.count_cases(s, actor=w.mediator)
    assert todo == {waiting.id: "accept", mediating.id: "session", done.id: "follow_up"}
    assert everything == {waiting.id, mediating.id, done.id, archived.id, rejected.id}
    assert (counts.todo, counts.submitted, counts.open) == (3, 1, 2)


def test_todo_steps_are_the_case_pages_own_actions(db):
    """For every actor and case: a card is on 待办 exactly when it names a step, and the case page offers that step;
    a case whose page offers a step is on 待办 (rejected cases are done with: states.ACTIVE)."""
    w = make_world(db)
    handed_over(db, w)
    accepted_case(db, w.mediator, group_size=30)
    joint_case = accepted_case(db, w.mediator2)
    with db.write() as s:
        joint.add_participant(s, actor=w.coordinator, case_id=joint_case.id, org_id=w.orgs["v1"].id)
    done = succeeded_case(db, w.mediator)
    with db.write() as s:
        confirmation.apply_confirmation(s, actor=w.mediator, case_id=done.id, court_org_id=w.orgs["court"].id)
    succeeded_case(db, w.room_mediator)
    new_case(db, w.orgs["v2"])
    actors = [w.mediator, w.mediator2, w.coordinator, w.police, w.court, w.justice, w.room_mediator]
    with db.read() as s:
        for actor in actors:
            todo = {c.id: c.next_action for c in workbench.list_cards(s, actor=actor, limit=100)}
            for card in workbench.list_cards(s, actor=actor, view="all", limit=100):
                offered = view.get_case_detail(s, actor=actor, case_id=card.id).actions
                steps = [a for a in offered if a in workbench.STEPS and card.status != "rejected"]
                assert (card.id in todo) == (card.next_action != "view") == bool(steps), (actor.username, card)
                assert card.next_action == "view" or card.next_action in offered, (actor.username, card, offered)
            assert workbench.count_cases(s, actor=actor).todo == len(todo)
