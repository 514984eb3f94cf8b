"""The publication layer: whitelisted public data only; small numbers below county level as "<5"."""

from __future__ import annotations

import dataclasses
from datetime import date

from services.board import posts as B
from services.board import publicity as PUB
from services.core import clock
from services.core.db import Database
from tests.factories import make_actor, make_tree
from tests.services.board.test_posts import closed_case

TODAY = date(2026, 11, 23)


def test_shown_count_small_numbers():
    assert PUB.shown_count(3, below_county=True) == "<5"
    assert PUB.shown_count(0, below_county=True) == "0"
    assert PUB.shown_count(5, below_county=True) == "5"
    assert PUB.shown_count(3, below_county=False) == "3"


def test_public_dataclasses_have_no_party_fields():
    public = [
        PUB.TextPublic,
        PUB.OrgPublic,
        PUB.AreaPublic,
        PUB.HonourPublic,
        PUB.CountPublic,
        PUB.StatsPublic,
        PUB.TypicalCasePublic,
        PUB.NoticePublic,
        PUB.NoticeLinePublic,
    ]
    fields = {f.name for cls in public for f in dataclasses.fields(cls)}
    assert not fields & {"id_number", "party", "parties", "description", "request", "place", "tracking_code"}


def test_typical_cases_only_published_and_approved(db: Database):
    with db.write() as s:
        tree = make_tree(s)
        editor = make_actor(s, tree["root"], ["coordinator"])
        approver = make_actor(s, tree["root"], ["coordinator"])
        post = B.draft_typical_case(s, actor=editor, case_id=closed_case(s, tree["v1"]).id or 0)
        assert PUB.typical_cases(s, today=TODAY) == []
        B.review_typical_case(s, actor=editor, post_id=post.id or 0, title=post.title, body=post.body)
        assert PUB.typical_cases(s, today=TODAY) == []
        B.approve_typical_case(s, actor=approver, post_id=post.id or 0)
        shown = PUB.typical_cases(s, today=TODAY)
        assert [c.body for c in shown] == [post.body] and "张三丰" not in shown[0].body
        B.unpublish(s, actor=editor, post_id=post.id or 0)
        assert PUB.typical_cases(s, today=TODAY) == []


def test_statistics_and_directory(db: Database):
    with db.write() as s:
        tree = make_tree(s)
        closed_case(s, tree["v1"])
        B.seed_board_texts(s)
        figures = PUB.statistics(s, today=clock.today())
        assert figures.received >= 1 and figures.succeeded >= 1 and figures.formula
        codes = [o.code for a in PUB.org_directory(s, "https://x.example") for o in a.orgs]
        assert "V1" in codes
        assert any(t.slug == "supervision" for t in PUB.texts(s))
        assert all(len(c.received) for c in figures.by_county)


def test_statistics_towns_below_county_show_small_as_lt5(db: Database):
    with db.write() as s:
        tree = make_tree(s)
        for _ in range(2):
            closed_case(s, tree["v1"])
        figures = PUB.statistics(s, today=clock.today())
        county = next(c for c in figures.by_county if c.label == "江安县")
        town = next(c for c in figures.by_town if c.label == "红桥镇")
        assert county.received == "2" and town.received == "<5"
