"""Star-rating pages (AppTest): compute and review, the score card's links to the exact cases counted, the
override that needs a reason, the mediator's own card with an objection, titles and schemes."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
from sqlmodel import col, select

from models import ChecklistState, Mediator, Rating, User
from models.rating import RatingObjection
from services.rating import runs as rating
from services.rating.checklist import list_items
from tests.pages.conftest import page_text
from tests.services.rating.data import TODAY, make_world


@pytest.fixture
def world(db):
    w = make_world(db)
    with db.read() as s:
        w.users = {
            name: s.get(User, a.user_id)
            for name, a in (("justice", w.justice), ("mediator", w.mediator_actor), ("coordinator", w.coordinator))  # type: ignore[attr-defined]
        }
    return w


def _compute(db, w):
    with db.write() as s:
        rating.compute_ratings(s, actor=w.justice, subject="mediator", period="2025", today=TODAY)
    with db.read() as s:
        return s.exec(select(Rating.id).where(Rating.mediator_id == w.ids["A"]).order_by(col(Rating.id).desc())).first()


def _open(make_app, user, page, query=None, at=None):
    """The page signed in as `user` (in the same browser session `at` when given)."""
    if at is None:
        at = make_app(user=user, query=query)
        at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _case_links(at) -> set[int]:
    return {
        int(parse_qs(p.proto.query_string)["case"][0])
        for p in at.get("page_link")
        if "case" in p.proto.page and "case=" in p.proto.query_string
    }


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def test_compute_and_review_list(db, make_app, world):
    at = _open(make_app, world.users["justice"], "pages/staff/ratings.py")
    assert "本期尚未计算" in page_text(at)
    at.selectbox(key="ratings.period").set_value("2025").run()
    at.button(key="ratings.compute").click().run()
    assert not at.exception, at.exception
    text = page_text(at)
    assert "已计算 3 个对象" in text
    assert all(name in text for name in ("甲调解员", "乙调解员", "丙调解员")) and "外县调解员" not in text
    assert "未参评" in text  # B: 4 cases
    cards = [
        parse_qs(p.proto.query_string)["rating"][0] for p in at.get("page_link") if "rating=" in p.proto.query_string
    ]
    assert len(cards) == 3


def test_card_links_to_counted_cases_and_override_needs_reason(db, make_app, world):
    rid = _compute(db, world)
    at = _open(make_app, world.users["justice"], "pages/staff/rating_card.py", {"rating": str(rid)})
    text = page_text(at)
    assert "调解成功率" in text and "59.58" in text and "调解成功数 ÷（调解成功数 + 调解不成功数）" in text
    assert _case_links(at) == world.sets["mediated"]
    at.selectbox(key="rating_card.part").set_value("due").run()
    assert _case_links(at) == world.sets["due"]
    at.radio(key="rating_card.stars").set_value(3)
    _button(at, "确认并公布").click().run()
    assert "调整建议星级必须填写理由" in page_text(at)
    with db.read() as s:
        assert s.get(Rating, rid).status == "proposed"
    at.radio(key="rating_card.stars").set_value(3)
    at.text_area(key="rating_card.reason").input("群众口碑好，年度考核优秀")
    _button(at, "确认并公布").click().run()
    assert not at.exception, at.exception
    assert "评定已公布" in page_text(at)
    with db.read() as s:
        assert s.get(Mediator, world.ids["A"]).stars == 3


def test_my_rating_links_and_objection(db, make_app, world):
    _compute(db, world)
    at = _open(make_app, world.users["mediator"], "pages/staff/my_rating.py")
    text = page_text(at)
    assert "我的星级评定" in text and "待审核" in text
    assert _case_links(at) == world.sets["mediated"]
    at.selectbox(key="my_rating.part").set_value("followup").run()
    assert _case_links(at) == world.sets["followup"]
    at.text_area(key="my_rating.objection_body").input("培训学时少计了4小时")
    _button(at, "提出异议").click().run()
    assert not at.exception, at.exception
    assert "异议已提交" in page_text(at) and "培训学时少计了4小时" in page_text(at)
    with db.read() as s:
        assert [o.body for o in s.exec(select(RatingObjection)).all()] == ["培训学时少计了4小时"]


def test_other_roles_see_no_rating_of_others(db, make_app, world):
    rid = _compute(db, world)
    at = _open(make_app, world.users["coordinator"], "pages/staff/rating_card.py", {"rating": str(rid + 999)})
    assert "找不到该评定" in page_text(at)
    assert not [b for b in at.button if b.label == "确认并公布"]  # the coordinator proposes but cannot decide


def test_titles_and_setup_pages(db, make_app, world):
    _compute(db, world)
    at = _open(make_app, world.users["justice"], "pages/staff/rating_titles.py")
    assert "调解能手" in page_text(at)
    at = _open(make_app, world.users["justice"], "pages/staff/rating_setup.py", at=at)
    assert "mediator-default" in page_text(at)
    at.number_input(key="rating_setup.mediator.default.min_cases").set_value(6)
    _button(at, "保存为新版本").click().run()
    assert "修改须填写修改说明" in page_text(at)  # the default scheme is in use
    at.number_input(key="rating_setup.mediator.default.min_cases").set_value(6)
    at.text_area(key="rating_setup.mediator.default.note").input("提高参评门槛")
    _button(at, "保存为新版本").click().run()
    assert not at.exception, at.exception
    assert "已保存新版本" in page_text(at)


def test_committee_card_checklist_form(db, make_app, world):
    with db.write() as s:
        rating.compute_ratings(s, actor=world.justice, subject="organisation", period="2025", today=TODAY)
    with db.read() as s:
        rid = s.exec(select(Rating.id).where(Rating.org_id == world.orgs["v1"].id)).first()
        first = list_items(s, actor=world.justice)[0].id
    at = _open(make_app, world.users["justice"], "pages/staff/rating_card.py", {"rating": str(rid)})
    assert "东村调委会" in page_text(at) and "规范化建设" in page_text(at)
    assert all("未检查" in e.label for e in at.expander if "统一" in e.label)
    at.toggle(key=f"rating_card.met.{first}").set_value(True)
    at.text_input(key=f"rating_card.note.{first}").input("村委会门口已挂统一标牌")
    _button(at, "保存").click().run()  # the first item's form comes first
    assert not at.exception, at.exception
    assert "已保存" in page_text(at)
    with db.read() as s:
        state = s.exec(select(ChecklistState).where(ChecklistState.item_id == first)).one()
    assert (state.met, state.evidence_note) == (True, "村委会门口已挂统一标牌")


def test_recompute_keeps_published_ratings_and_overrides(db, make_app, world):
    from datetime import date

    from tests.services.rating.data import case_row, insert_cases

    a = _compute(db, world)
    with db.write() as s:
        c = s.exec(select(Rating.id).where(Rating.mediator_id == world.ids["C"])).first()
        rating.decide_rating(s, actor=world.justice, rating_id=a, stars=3, reason="群众口碑好，年度考核优秀")
        rating.decide_rating(s, actor=world.justice, rating_id=c, stars=1)
        insert_cases(s, [case_row(world.orgs["v1"], world.ids["A"], date(2025, 7, 1), "failed")])
    at = _open(make_app, world.users["justice"], "pages/staff/ratings.py")
    at.selectbox(key="ratings.period").set_value("2025").run()
    at.button(key="ratings.compute").click().run()
    assert not at.exception, at.exception
    assert {m.label: m.value for m in at.metric}["已公布"] == "2"  # before: 0 published, every one awaiting review
    text = page_text(at)
    assert "已调整" in text and "新测算待决定" in text and "1 个已公布的评定有新的测算结果" in text
    assert [e.label for e in at.expander if e.label.startswith("不参评")] == ["不参评（1人）"]  # B, folded away
    with db.read() as s:
        proposal = s.exec(
            select(Rating.id).where(Rating.mediator_id == world.ids["A"]).order_by(col(Rating.id).desc())
        ).first()
    at.query_params["rating"] = str(proposal)
    at = _open(make_app, world.users["justice"], "pages/staff/rating_card.py", at=at)
    text = page_text(at)
    assert "已公布的评定" in text and "群众口碑好，年度考核优秀" in text and "自公布以来的变化" in text
    assert "得分 59.58 →" in text and "星级 ★★★☆☆ → ★☆☆☆☆" in text
    with db.read() as s:
        assert s.get(Mediator, world.ids["A"]).stars == 3


def _text_input(at, label):
    return next(w for w in at.text_input if w.label == label)


def test_switching_subject_loads_the_committee_scheme(db, make_app, world):
    from models import RatingScheme

    at = _open(make_app, world.users["justice"], "pages/staff/rating_setup.py")
    assert _text_input(at, "称号").value == "调解能手"
    at.segmented_control(key="rating_setup.subject").set_value("organisation").run()
    assert not at.exception, at.exception
    assert _text_input(at, "称号").value == "优秀调解室"  # before: the mediator scheme's 调解能手 stayed in the form
    weights = [w.value for w in at.number_input if w.label == "权重"]
    assert weights == [15, 20, 15, 5, 15, 30] and "权重合计 100（须为 100）" in page_text(at)
    at.text_area(key="rating_setup.organisation.default.note").input("规范化建设权重不变")
    _button(at, "保存为新版本").click().run()
    assert not at.exception, at.exception
    assert "已保存新版本" in page_text(at)
    with db.read() as s:
        saved = s.exec(
            select(RatingScheme).where(RatingScheme.subject == "organisation").order_by(col(RatingScheme.id).desc())
        ).first()
    assert sum(saved.weights.values()) == 100 and saved.title_rule["title"] == "优秀调解室"
    assert set(saved.weights) == {
        "cases",
        "success_rate",
        "performance_rate",
        "confirmation_rate",
        "satisfaction",
        "checklist",
    }


def test_setup_refuses_weights_that_do_not_add_up_to_100(db, make_app, world):
    at = _open(make_app, world.users["justice"], "pages/staff/rating_setup.py")
    at.number_input(key="rating_setup.mediator.default.w.cases").set_value(35)
    at.text_area(key="rating_setup.mediator.default.note").input("加重办案数量")
    _button(at, "保存为新版本").click().run()
    assert "各项权重合计须为 100，当前合计为 115。" in page_text(at)
