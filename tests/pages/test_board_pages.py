"""The public board, the big screen and the board editor through AppTest."""

from __future__ import annotations

import re

from sqlmodel import select

from models import Case
from services.board import posts as B
from services.core.db import Database
from services.stats.dashboard import clear_cache
from tests.factories import make_actor, make_tree, make_user
from tests.pages.conftest import page_text
from tests.services.board.test_posts import closed_case

SECRETS = ("张三丰", "三丰", "李四", "13812345678", "13900001111", "511523199001011234", "东村3组")


def _published(db: Database) -> int:
    with db.write() as s:
        tree = make_tree(s)
        editor = make_actor(s, tree["root"], ["coordinator"])
        approver = make_actor(s, tree["root"], ["coordinator"])
        post = B.draft_typical_case(s, actor=editor, case_id=closed_case(s, tree["v1"]).id or 0)
        B.review_typical_case(s, actor=editor, post_id=post.id or 0, title=post.title, body=post.body)
        B.approve_typical_case(s, actor=approver, post_id=post.id or 0)
        return post.id or 0


def test_board_shows_sections_without_party_data(db: Database, make_app):
    _published(db)
    clear_cache()
    at = make_app()
    at.switch_page("pages/public/board.py").run()
    assert not at.exception
    text = page_text(at)
    assert "人民调解公示栏" in text and "12348" in text and "调解成功率" in text and "计算方法" in text
    assert {"调解原则", "法律依据", "调解范围", "调解流程"} <= {e.label for e in at.expander}
    assert "邻里纠纷典型案例" in text and "张某" in text
    for secret in SECRETS:
        assert secret not in text
    assert not re.search(r"1[3-9]\d{9}|\d{17}[\dXx]", text)
    assert len(at.tabs) == 7


def test_board_unpublished_case_gone_next_load(db: Database, make_app):
    post_id = _published(db)
    at = make_app()
    at.switch_page("pages/public/board.py").run()
    assert any("某" in t.value for t in at.text)
    with db.write() as s:
        tree_actor = make_actor(s, s.get(__import__("models").Organisation, 1), ["coordinator"])
        B.unpublish(s, actor=tree_actor, post_id=post_id)
    at.switch_page("pages/public/board.py").run()
    assert "暂无公开的典型案例" in page_text(at)


def test_big_screen_renders(db: Database, make_app):
    _published(db)
    at = make_app()
    at.run()  # before the first run a page is found by file name, not by its url_path
    at.switch_page("pages/public/big_screen.py").run()
    assert not at.exception
    text = page_text(at)
    assert "人民调解工作实时数据" in text and "光荣榜" in text
    for secret in SECRETS:
        assert secret not in text


def test_board_editor_review_then_second_person(db: Database, make_app):
    with db.write() as s:
        tree = make_tree(s)
        closed_case(s, tree["v1"])
        editor = make_user(s, tree["root"], ["coordinator"], username="editor1")
        approver = make_user(s, tree["root"], ["coordinator"], username="approver1")
    at = make_app(user=editor)
    at.run()
    at.switch_page("pages/staff/board_editor.py").run()
    assert not at.exception
    at.button(key="editor.draft").click().run()
    assert not at.error, [e.value for e in at.error]
    review = next(b for b in at.button if b.key and b.key.startswith("editor.review."))
    review.click().run()
    assert "已审阅" in page_text(at) and "待批准" in page_text(at)
    approve = next(b for b in at.button if b.key and b.key.startswith("editor.approve."))
    approve.click().run()
    assert "另一人" in page_text(at)  # the reviewer cannot approve
    at2 = make_app(user=approver)
    at2.run()
    at2.switch_page("pages/staff/board_editor.py").run()
    next(b for b in at2.button if b.key and b.key.startswith("editor.approve.")).click().run()
    assert "已发布" in page_text(at2)


NEIGHBOUR_STORY = (
    "张三丰（13812345678，511523199001011234）与李四因红桥镇东村3组12号的排水沟争执。邻居王建国说亲眼看见，"
    "李四驾驶川AD12345小车堵门，事后张三丰加了李四微信号lisi_2026，赔偿款转入银行卡6222021234567890128。"
)
STORY_SECRETS = (*SECRETS, "王建国", "建国", "lisi_2026", "川AD12345", "6222021234567890128", "红桥镇东村")


def test_typical_case_goes_from_consent_to_public_board(db: Database, make_app):
    """The office month's path (issue 23): the mediator records consent on the case page → the editor drafts →
    the preview highlights every replacement → the drafter may not approve → another person approves → the public
    board shows it with no party or neighbour name, phone, ID, address, plate, WeChat or card number."""
    with db.write() as s:
        tree = make_tree(s)
        case = closed_case(s, tree["v1"], consent=False)
        case.description = NEIGHBOUR_STORY
        s.add(case)
        case_id = case.id or 0
        mediator = make_user(s, tree["v1"], ["mediator"], username="mediator23")
        editor = make_user(s, tree["root"], ["coordinator"], username="editor23")
        approver = make_user(s, tree["root"], ["coordinator"], username="approver23")
    office = make_app(user=editor)
    office.run()
    office.switch_page("pages/staff/board_editor.py").run()
    assert not [b for b in office.button if b.key == "editor.draft"]  # nothing consented yet: nothing to choose

    at = make_app(user=mediator)
    at.run()
    at.query_params["case"] = str(case_id)
    at.switch_page("pages/staff/case.py").run()
    assert "尚未取得当事人同意" in page_text(at)
    at.radio(key="case.consent.how").set_value("oral")
    next(b for b in at.button if b.label == "记录当事人同意").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "已记录当事人同意公开" in page_text(at) and "口头同意" in page_text(at) and "mediator23" in page_text(at)

    at = office
    at.switch_page("pages/staff/board_editor.py").run()
    at.button(key="editor.draft").click().run()
    assert not at.error, [e.value for e in at.error]
    text = page_text(at)
    assert "原文片段 → 替换为" in text and "王建国 → 王某" in text and "（银行卡号已隐去）" in text
    assert "6222021234567890128" not in text and "13812345678" not in text  # numbers masked for staff too
    assert ":orange-background[王某]" in text and ":orange-background[（车牌已隐去）]" in text
    next(b for b in at.button if b.key and b.key.startswith("editor.review.")).click().run()
    next(b for b in at.button if b.key and b.key.startswith("editor.approve.")).click().run()
    assert "不能自己批准" in page_text(at)

    at = make_app(user=approver)
    at.run()
    at.switch_page("pages/staff/board_editor.py").run()
    next(b for b in at.button if b.key and b.key.startswith("editor.approve.")).click().run()
    assert "已发布" in page_text(at)

    clear_cache()
    board = make_app()
    board.switch_page("pages/public/board.py").run()
    assert not board.exception
    text = page_text(board)
    assert "邻里纠纷典型案例" in text and "邻居王某说" in text and "（微信号已隐去）" in text
    for secret in STORY_SECRETS:
        assert secret not in text
    assert not re.search(r"1[3-9]\d{9}|\d{17}[\dXx]|\d{16,19}", text)


def test_public_form_asks_consent_and_the_case_becomes_pickable(db: Database, make_app, monkeypatch):
    """The public intake form's optional tick 同意在隐去个人信息后作为典型案例公开 reaches the board editor's list."""
    monkeypatch.setenv("MEDIATION_INTAKE_MIN_SECONDS", "0")
    with db.write() as s:
        tree = make_tree(s)
    at = make_app(query={"org": "V1"})
    at.run()
    at.switch_page("pages/public/intake.py").run()
    assert "同意在隐去个人信息后作为典型案例公开" in at.checkbox(key="intake.publication_consent").label
    at.text_input(key="intake.applicant_name").input("张三")
    at.text_input(key="intake.applicant_phone").input("13812345678")
    at.text_area(key="intake.description").input("邻居家排水沟堵塞，雨水流进我家院子。")
    at.checkbox(key="intake.consent").check()
    at.checkbox(key="intake.publication_consent").check()
    at.button(key="intake.submit").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with db.write() as s:
        case = s.exec(select(Case).where(Case.org_id == tree["v1"].id)).one()
        assert case.publication_consent and case.publication_consent_how == "online"
        case.status, case.outcome = "succeeded", "succeeded"
        s.add(case)
        editor = make_actor(s, tree["root"], ["coordinator"])
        assert [p.case_id for p in B.pickable_cases(s, actor=editor)] == [case.id]
