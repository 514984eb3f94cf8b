"""Typical cases: pick (consent, no privacy request) → de-identified draft → review → second-person approval."""

from __future__ import annotations

import pytest
from sqlmodel import select

from models import AuditLog, BoardPost, Case
from services.board import posts as B
from services.cases.create import PartyInput
from services.core.db import Database
from services.core.errors import PermissionDenied, ValidationFailed
from tests.factories import make_actor, make_case, make_tree

NARRATIVE = "张三丰（13812345678，511523199001011234）与李四因红桥镇东村3组12号的排水沟争执，三丰另留电话13900001111。"


def closed_case(session, org, *, consent=True, private=False) -> Case:
    case = make_case(
        session,
        org,
        description=NARRATIVE,
        parties=[
            PartyInput(side="applicant", name="张三丰", phone="13812345678", address="红桥镇东村3组12号"),
            PartyInput(side="respondent", name="李四"),
        ],
    )
    case.status, case.outcome, case.publication_consent, case.non_public = "succeeded", "succeeded", consent, private
    session.add(case)
    session.flush()
    return case


def test_seed_board_texts_idempotent(db: Database):
    with db.write() as s:
        assert B.seed_board_texts(s) == 6
        assert B.seed_board_texts(s) == 0
        assert {p.slug for p in B.list_texts(s)} >= {
            "rules",
            "legal_basis",
            "scope",
            "principles",
            "process",
            "supervision",
        }


def test_update_text_keeps_office_edit(db: Database):
    with db.write() as s:
        tree = make_tree(s)
        B.seed_board_texts(s)
        editor = make_actor(s, tree["root"], ["coordinator"])
        B.update_text(s, actor=editor, slug="scope", title="范围", body="新的范围")
        B.seed_board_texts(s)
        assert next(p for p in B.list_texts(s) if p.slug == "scope").body == "新的范围"


def test_typical_case_flow_needs_second_person(db: Database):
    with db.write() as s:
        tree = make_tree(s)
        editor = make_actor(s, tree["root"], ["coordinator"])
        approver = make_actor(s, tree["root"], ["coordinator"])
        case = closed_case(s, tree["v1"])
        assert [p.case_id for p in B.pickable_cases(s, actor=editor)] == [case.id]
        post = B.draft_typical_case(s, actor=editor, case_id=case.id or 0)
        for bad in ("张三丰", "三丰", "李四", "13812345678", "13900001111", "511523199001011234", "东村"):
            assert bad not in post.body
        with pytest.raises(ValidationFailed):
            B.approve_typical_case(s, actor=approver, post_id=post.id or 0)  # not reviewed yet
        with pytest.raises(ValidationFailed):
            B.review_typical_case(s, actor=editor, post_id=post.id or 0, title=post.title, body=post.body + "李四")
        B.review_typical_case(s, actor=editor, post_id=post.id or 0, title=post.title, body=post.body)
        with pytest.raises(PermissionDenied):
            B.approve_typical_case(s, actor=editor, post_id=post.id or 0)
        B.approve_typical_case(s, actor=approver, post_id=post.id or 0)
        assert s.get(BoardPost, post.id).status == "published"
        B.unpublish(s, actor=editor, post_id=post.id or 0)
        assert s.get(BoardPost, post.id).status == "withdrawn"
        actions = set(s.exec(select(AuditLog.action).where(AuditLog.entity == "boardpost")).all())
        assert actions == {"board.draft", "board.review", "board.publish", "board.unpublish"}


@pytest.mark.parametrize(("consent", "private"), [(False, False), (True, True)])
def test_draft_typical_case_refuses_private(db: Database, consent: bool, private: bool):
    with db.write() as s:
        tree = make_tree(s)
        editor = make_actor(s, tree["root"], ["coordinator"])
        case = closed_case(s, tree["v1"], consent=consent, private=private)
        assert B.pickable_cases(s, actor=editor) == []
        with pytest.raises(ValidationFailed):
            B.draft_typical_case(s, actor=editor, case_id=case.id or 0)


def test_draft_typical_case_refuses_mediator(db: Database):
    with db.write() as s:
        tree = make_tree(s)
        mediator = make_actor(s, tree["v1"], ["mediator"])
        case = closed_case(s, tree["v1"])
        with pytest.raises(PermissionDenied):
            B.draft_typical_case(s, actor=mediator, case_id=case.id or 0)
