"""The public board, the big screen and the board editor through AppTest."""

from __future__ import annotations

import re

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
