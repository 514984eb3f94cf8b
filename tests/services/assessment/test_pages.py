"""The assessment and dossier review pages render what the services hold (AppTest, signed in as the office)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from models import User
from services.assessment import dossier_review as review_svc
from services.assessment import dossier_sample, schemes, scorecards
from tests.factories import make_actor, make_case, make_tree
from tests.ledger_factories import succeeded_case
from tests.pages.conftest import make_app, page_text

__all__ = ["make_app"]


def _office(db):
    with db.write() as s:
        tree = make_tree(s)
        office = make_actor(s, tree["county"], ["coordinator"])
        user = s.exec(select(User).where(User.id == office.user_id)).one()
    return tree, office, user


def test_show_scorecard_with_formula_and_records(db, make_app):
    tree, office, user = _office(db)
    with db.write() as s:
        case = succeeded_case(s, tree["v1"])
        scheme = schemes.save_scheme(
            s,
            actor=office,
            region_org_id=None,
            name="年度考核",
            period="2026",
            start=case.received_at.date().replace(month=1, day=1),
            end=case.received_at.date().replace(month=12, day=31),
            unit_kinds=["town"],
            indicators=schemes.DEFAULT_INDICATORS,
        )
        card = scorecards.compute_scheme(s, actor=office, scheme_id=scheme.id)[0]
    at = make_app(user=user, query={"card": str(card.id)})
    at.run()
    at.switch_page("pages/staff/assessment.py").run()
    assert not at.exception
    text = page_text(at)
    assert "红桥镇" in text and "调解成功率 = 成功 ÷（成功 + 不成功）；1 ÷ 1 = 100.0%" in text
    assert any("依据记录（1）" in e.label for e in at.expander)


def test_list_sample_and_review_form(db, make_app):
    tree, office, user = _office(db)
    with db.write() as s:
        case = succeeded_case(s, tree["v1"])
        quarter = review_svc.quarter_of(review_svc.clock.today())
        dossier_sample.draw_sample(s, actor=office, org_id=tree["v1"].id, quarter=quarter, seed="甲")
    at = make_app(user=user)
    at.run()
    at.switch_page("pages/staff/dossier_review.py").run()
    at.selectbox(key="dossier_review.org").set_value(tree["v1"].id).run()
    assert not at.exception
    assert "抽样“甲”：1 卷" in page_text(at) and "已评查 0 / 1" in page_text(at)
    at.query_params["case"] = str(case.id)
    at.switch_page("pages/staff/dossier_review.py").run()
    assert not at.exception
    text = page_text(at)
    assert case.case_no in text and "申请书或受理登记表" in text and "封底" in text


def test_hide_pages_from_mediator_and_open_them_to_justice(db, make_app):
    from services.core.i18n import catalogue

    with db.write() as s:
        tree = make_tree(s)
        users = {
            role: s.exec(select(User).where(User.id == make_actor(s, tree[org], [role]).user_id)).one()
            for role, org in (("mediator", "v1"), ("justice", "justice"))
        }
    denied = catalogue()["error.permission_denied"]["zh"]
    for role, user in users.items():
        at = make_app(user=user)
        at.run()
        for page in ("pages/staff/assessment.py", "pages/staff/dossier_review.py"):
            if role == "mediator":  # not in the mediator's navigation at all
                with pytest.raises(ValueError, match="Could not find a navigation page"):
                    at.switch_page(page)
                continue
            at.switch_page(page).run()
            assert not at.exception
            assert denied not in page_text(at), page


def test_save_numbering_pattern_on_page(db, make_app):
    tree, _, user = _office(db)
    at = make_app(user=user)
    at.run()
    at.switch_page("pages/staff/assessment.py").run()
    assert at.selectbox(key="assessment.numbering_kind").value == "case"  # cases first; documents in the list
    assert "人民调解协议书" in at.selectbox(key="assessment.numbering_kind").options
    at.text_input(key="assessment.numbering_pattern.case").set_value("（{year}）江安人调字第{seq:04d}号")
    at.radio(key="assessment.numbering_sc.case").set_value("rule")
    next(b for b in at.button if b.label == "保存编号规则").click().run()
    assert not at.exception
    assert "编号规则已保存" in page_text(at)
    assert f"江安县下一个编号：（{review_svc.clock.today().year}）江安人调字第0001号" in page_text(at)
    with db.write() as s:
        case = make_case(s, tree["v2"])
    assert case.case_no.endswith("江安人调字第0001号")


def test_show_dossier_grade_on_case_page(db, make_app):
    tree, office, user = _office(db)
    with db.write() as s:
        case = succeeded_case(s, tree["v1"])
        _, _, lines = review_svc.draft(s, actor=office, case_id=case.id)
        scores = {x.key: review_svc.ItemScore(present=False, points=0) for x in lines}
        review_svc.save_review(s, actor=office, case_id=case.id, scores=scores, remarks="卷宗材料缺失严重")
    at = make_app(user=user, query={"case": str(case.id)})
    at.run()
    at.switch_page("pages/staff/case.py").run()
    assert not at.exception
    text = page_text(at)
    assert "此等次暂缓发放个案补贴" in text and "卷宗材料缺失严重" in text
