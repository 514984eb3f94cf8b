"""Publication consent (issue 23): asked on the public and staff intake forms, recorded later on the case page (who,
when, how — audited), withdrawn with the typical case taken down; and a post's drafter cannot approve it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from models import AuditLog, BoardPost, Case, CaseEvent
from models.base import utc_now
from services.board import consent
from services.board import posts as B
from services.cases.create import PartyInput
from services.cases.record import StaffCaseInput, register_case
from services.core.config import Limit
from services.core.db import Database
from services.core.errors import DomainError, PermissionDenied, ValidationFailed
from services.intake.form import IntakeForm, issue_form_token
from services.intake.pipeline import IntakeSettings, submit_intake
from tests.factories import make_actor, make_case, make_tree
from tests.services.board.test_posts import closed_case

OPEN = IntakeSettings(min_seconds=3, client=Limit(1000, 600), org=Limit(1000, 3600))


def _intake(db: Database, *, publish: bool, phone: str, story: str) -> int:
    form = IntakeForm(
        org_code="V1",
        form_token=issue_form_token(utc_now() - timedelta(seconds=30)),
        applicant_name="张三",
        applicant_phone=phone,
        description=story,
        category="neighbour",
        consent=True,
        publication_consent=publish,
    )
    return submit_intake(db, form, client="c", settings=OPEN).case_id


def test_public_intake_tick_makes_case_publishable_later(db: Database):
    with db.write() as s:
        make_tree(s)
    yes = _intake(db, publish=True, phone="13812345678", story="邻居家排水沟堵塞，雨水流进我家院子，希望调解。")
    no = _intake(db, publish=False, phone="13900001111", story="借给朋友三万元，到期不还，希望帮忙调解。")
    assert yes != no
    with db.read() as s:
        case, other = s.get(Case, yes), s.get(Case, no)
        assert case is not None and other is not None
        assert case.publication_consent and case.publication_consent_how == "online"
        assert case.publication_consent_at is not None and case.publication_consent_by is None
        assert not other.publication_consent and other.publication_consent_at is None
        kinds = s.exec(select(CaseEvent.kind).where(CaseEvent.case_id == yes)).all()
        assert "consent.online" in kinds


def test_staff_registration_tick_records_consent_by_the_mediator(db: Database):
    with db.write() as s:
        tree = make_tree(s)
        mediator = make_actor(s, tree["v1"], ["mediator"])
        data = StaffCaseInput(
            source="walk_in",
            category="neighbour",
            description="两家因院墙滴水争执",
            parties=[PartyInput(side="applicant", name="王五"), PartyInput(side="respondent", name="赵六")],
            publication_consent=True,
        )
        case = register_case(s, actor=mediator, data=data)
        assert case.publication_consent and case.publication_consent_how == "intake"
        assert case.publication_consent_by == mediator.user_id
        plain = register_case(s, actor=mediator, data=StaffCaseInput(**{**data.__dict__, "publication_consent": False}))
        assert not plain.publication_consent


def test_record_consent_on_case_page_lets_office_pick_the_case(db: Database):
    with db.write() as s:
        tree = make_tree(s)
        mediator = make_actor(s, tree["v1"], ["mediator"])
        stranger = make_actor(s, tree["v2"], ["mediator"])
        editor = make_actor(s, tree["root"], ["coordinator"])
        case = closed_case(s, tree["v1"], consent=False)
        assert B.pickable_cases(s, actor=editor) == []  # the fault: nothing sets consent, nothing can be chosen
        view = consent.consent_of(s, actor=mediator, case_id=case.id or 0)
        assert not view.given and view.may_change
        with pytest.raises(ValidationFailed):
            consent.record_consent(s, actor=mediator, case_id=case.id or 0, how="telepathy")
        with pytest.raises(DomainError):
            consent.record_consent(s, actor=stranger, case_id=case.id or 0, how="oral")
        consent.record_consent(s, actor=mediator, case_id=case.id or 0, how="oral")
        view = consent.consent_of(s, actor=mediator, case_id=case.id or 0)
        assert view.given and view.how == "oral" and view.at is not None and view.recorded_by
        assert [p.case_id for p in B.pickable_cases(s, actor=editor)] == [case.id]
        row = s.exec(select(AuditLog).where(AuditLog.action == "case.consent_given")).one()
        assert row.actor_id == mediator.user_id and row.entity_id == case.id


def test_record_consent_refused_when_party_asked_for_private_mediation(db: Database):
    with db.write() as s:
        tree = make_tree(s)
        mediator = make_actor(s, tree["v1"], ["mediator"])
        case = closed_case(s, tree["v1"], consent=False, private=True)
        with pytest.raises(ValidationFailed) as err:
            consent.record_consent(s, actor=mediator, case_id=case.id or 0, how="written")
        assert err.value.key == "error.consent_non_public"


def test_withdraw_consent_takes_typical_case_off_the_board(db: Database):
    with db.write() as s:
        tree = make_tree(s)
        editor = make_actor(s, tree["root"], ["coordinator"])
        approver = make_actor(s, tree["root"], ["coordinator"])
        case = closed_case(s, tree["v1"])
        post = B.draft_typical_case(s, actor=editor, case_id=case.id or 0)
        B.review_typical_case(s, actor=editor, post_id=post.id or 0, title=post.title, body=post.body)
        B.approve_typical_case(s, actor=approver, post_id=post.id or 0)
        assert consent.withdraw_consent(s, actor=editor, case_id=case.id or 0) == 1
        assert s.get(BoardPost, post.id).status == "withdrawn"
        assert not s.get(Case, case.id).publication_consent
        assert s.exec(select(AuditLog).where(AuditLog.action == "case.consent_withdrawn")).one().actor_id


def test_drafter_cannot_approve_own_typical_case(db: Database):
    with db.write() as s:
        tree = make_tree(s)
        drafter = make_actor(s, tree["root"], ["coordinator"])
        reviewer = make_actor(s, tree["root"], ["coordinator"])
        third = make_actor(s, tree["root"], ["coordinator"])
        post = B.draft_typical_case(s, actor=drafter, case_id=closed_case(s, tree["v1"]).id or 0)
        B.review_typical_case(s, actor=reviewer, post_id=post.id or 0, title=post.title, body=post.body)
        with pytest.raises(PermissionDenied) as err:
            B.approve_typical_case(s, actor=drafter, post_id=post.id or 0)
        assert err.value.key == "error.board_drafter_approves"
        with pytest.raises(PermissionDenied):
            B.approve_typical_case(s, actor=reviewer, post_id=post.id or 0)
        assert B.approve_typical_case(s, actor=third, post_id=post.id or 0).status == "published"


def test_review_refuses_text_that_names_a_neighbour(db: Database):
    with db.write() as s:
        tree = make_tree(s)
        editor = make_actor(s, tree["root"], ["coordinator"])
        case = make_case(s, tree["v1"], description="邻居王建国说他看见了，微信号zs_2026，车牌川A12345。")
        case.status, case.outcome, case.publication_consent = "succeeded", "succeeded", True
        s.add(case)
        s.flush()
        post = B.draft_typical_case(s, actor=editor, case_id=case.id or 0)
        for secret in ("王建国", "zs_2026", "川A12345"):
            assert secret not in post.body
        preview = B.redaction_preview(s, actor=editor, post_id=post.id or 0)
        assert ("王建国", "王某") in {(c.original, c.replacement) for c in preview.changes}
        assert ("王某", True) in preview.segments(post.body)
        with pytest.raises(ValidationFailed):
            B.review_typical_case(s, actor=editor, post_id=post.id or 0, title=post.title, body="邻居王建国说的")
