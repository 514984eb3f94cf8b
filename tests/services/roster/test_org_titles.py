"""A committee's titles (优秀调解室 …) show on the organisation roster, as a mediator's do on theirs (issue 23)."""

from __future__ import annotations

from models import TitleAward
from services.admin.specs import ORG
from services.roster.mediators import ADMIN_DISPLAYS
from tests.factories import make_tree


def test_committee_titles_show_on_the_organisation_roster(db):
    with db.write() as s:
        tree = make_tree(s)
        s.add(TitleAward(title="优秀调解室", period="2025", org_id=tree["v1"].id))
        s.add(TitleAward(title="优秀调解室", period="2026", org_id=tree["v1"].id))
    display = next(fn for entity, names, fn in ADMIN_DISPLAYS if entity == "organisation" and "titles" in names)
    with db.read() as s:
        shown = display(s, [tree["v1"].id, tree["v2"].id], "zh-CN")
    assert shown == {tree["v1"].id: {"titles": "优秀调解室（2026）、优秀调解室（2025）"}}
    assert "titles" in ORG.list_display
