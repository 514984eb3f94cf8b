"""The admin page and the roster import page through AppTest: cards, search, forms, scope and a tiny new spec."""

from __future__ import annotations

import pytest
import streamlit as st
from sqlmodel import select

from models import Mediator, Organisation, User
from pages.nav import spec_for
from services.access.permissions import P
from services.admin.specs import REGISTRY, AdminSpec
from services.roster.import_access import IMPORT_PERMISSION
from tests.factories import make_tree, make_user
from tests.pages.conftest import ROOT, page_text

ADMIN = "pages/staff/admin.py"
IMPORT = "pages/staff/roster_import.py"


@pytest.fixture
def people(db):
    with db.write() as s:
        tree = make_tree(s)
        s.add_all(
            [
                Mediator(name="王调解", org_id=tree["v1"].id, phone="13812345678", employment="full_time"),
                Mediator(name="赵调解", org_id=tree["v2"].id, phone="13987654321"),
            ]
        )
        users = {
            "coordinator": make_user(s, tree["county"], ["coordinator"], username="coord"),
            "village": make_user(s, tree["v1"], ["mediator"], username="villager"),
            "admin": make_user(s, tree["root"], ["admin"], username="root_admin"),
            "target": make_user(s, tree["v2"], ["mediator"], username="target"),
        }
    return users


def _open(make_app, user, entity: str | None = None):
    at = make_app(user=user, query={"entity": entity} if entity else None)
    at.run()
    at.switch_page(ADMIN).run()
    assert not at.exception, at.exception
    return at


def _button(at, key: str):
    return next(b for b in at.button if b.key == key)


def _submit(at, entity: str) -> None:
    next(b for b in at.button if b.key and f"FormSubmitter:admin.{entity}.form" in b.key).click().run()


def test_mediator_cards_masked_and_searchable(db, make_app, people):
    at = _open(make_app, people["coordinator"], "mediator")
    text = page_text(at)
    assert "王调解" in text and "赵调解" in text
    assert "138\\*\\*\\*\\*5678" in text and "13812345678" not in text
    at.text_input(key="admin.mediator.search").input("赵").run()
    text = page_text(at)
    assert "赵调解" in text and "王调解" not in text


def test_village_user_sees_only_own_village(db, make_app, people):
    at = _open(make_app, people["village"], "mediator")
    text = page_text(at)
    assert "王调解" in text and "赵调解" not in text
    assert not [b for b in at.button if b.key == "admin.mediator.new"]  # may look, not edit
    options = " ".join(at.pills(key="admin.entity").options)
    assert "调解组织" in options and "调解员" in options and "用户账号" not in options


def test_edit_mediator_through_generic_form(db, make_app, people):
    with db.read() as s:
        wang = s.exec(select(Mediator).where(Mediator.name == "王调解")).one()
    at = _open(make_app, people["coordinator"], "mediator")
    _button(at, f"admin.mediator.open.{wang.id}").click().run()
    assert "东村调委会" in page_text(at)
    at.text_input(key="admin.mediator.field.name").input("王金花")
    at.selectbox(key="admin.mediator.field.status").select("suspended")
    _submit(at, "mediator")
    assert not at.exception
    assert "已保存" in page_text(at)
    with db.read() as s:
        m = s.get(Mediator, wang.id)
        assert (m.name, m.status, m.phone) == ("王金花", "suspended", "13812345678")


def test_form_shows_field_errors(db, make_app, people):
    at = _open(make_app, people["coordinator"], "mediator")
    _button(at, "admin.mediator.new").click().run()
    at.text_input(key="admin.mediator.field.phone").input("12345")
    _submit(at, "mediator")
    text = page_text(at)
    assert "必填" in text and "手机号码格式不正确" in text
    with db.read() as s:
        assert len(s.exec(select(Mediator)).all()) == 2


def test_user_admin_disables_user(db, make_app, people):
    at = _open(make_app, people["admin"], "user")
    target = people["target"]
    _button(at, f"admin.user.open.{target.id}").click().run()
    at.toggle(key="admin.user.field.active").set_value(False)
    _submit(at, "user")
    assert not at.exception
    with db.read() as s:
        assert s.get(User, target.id).active is False


def test_new_entity_renders_from_a_spec_alone(db, make_app, people, monkeypatch):
    tiny = AdminSpec(
        entity="checklist_item",
        model="checklistitem",
        title_key="admin.entity.checklist_state",
        icon=":material/rule:",
        view_permission=P.ROSTER_VIEW,
        edit_permission=P.ORG_EDIT,
        scope="global",
        list_display=("label_zh", "code", "position"),
        search_fields=("label_zh",),
        ordering=("position",),
    )
    monkeypatch.setitem(REGISTRY, tiny.entity, tiny)
    at = _open(make_app, people["coordinator"], "checklist_item")
    text = page_text(at)
    assert "名称统一" in text and "公开监督电话" in text  # the reference checklist items, as cards


def test_organisation_table_view_and_filter(db, make_app, people):
    at = _open(make_app, people["coordinator"], "organisation")
    at.toggle(key="admin.organisation.tree").set_value(False).run()
    at.toggle(key="admin.organisation.table").set_value(True).run()
    assert not at.exception and at.dataframe
    at.selectbox(key="admin.organisation.filter.kind").select("court").run()
    assert len(at.dataframe[0].value) == 1


def test_import_page_offers_template(db, make_app, people):
    at = make_app(user=people["coordinator"])
    at.run()
    at.switch_page(IMPORT).run()
    assert not at.exception
    assert "名册导入" in page_text(at)
    with db.read() as s:
        assert s.exec(select(Organisation).where(Organisation.code == "V1")).one()


def _menu(make_app, user, monkeypatch):
    """The app after one run, and the url paths of the pages its sidebar menu offers this user."""
    seen: list[dict] = []
    real = st.navigation

    def spy(pages, *args, **kwargs):
        seen.append(pages)
        return real(pages, *args, **kwargs)

    monkeypatch.setattr(st, "navigation", spy)
    at = make_app(user=user)
    at.run()
    assert not at.exception
    return at, {p.url_path for section in seen[-1].values() for p in section if p._visibility == "visible"}


def test_admin_is_not_offered_a_roster_import_that_refuses_after_upload(db, make_app, people, monkeypatch):
    assert "roster-import" in _menu(make_app, people["coordinator"], monkeypatch)[1]
    _, menu = _menu(make_app, people["admin"], monkeypatch)
    assert "roster-import" not in menu
    # the menu entry, the page guard and the import service ask for one and the same permission
    assert spec_for("roster_import").permission == IMPORT_PERMISSION
    assert "require_page(IMPORT_PERMISSION)" in (ROOT / IMPORT).read_text()


def test_office_pages_use_the_desk_width_and_the_sidebar_opens_on_a_desk(db, make_app, people, monkeypatch):
    calls: list[dict] = []
    real = st.set_page_config

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(st, "set_page_config", spy)
    at = make_app(user=people["coordinator"])
    at.run()
    at.switch_page(ADMIN).run()
    assert not at.exception
    layouts = [c["layout"] for c in calls if c.get("layout")]
    assert layouts[-1] == "wide"
    assert all(c.get("initial_sidebar_state") in (None, "auto", "expanded") for c in calls)
    calls.clear()
    public = make_app()
    public.run()  # the home page of a visitor on a phone: one centred column
    assert [c["layout"] for c in calls if c.get("layout")][-1] == "centered"


def test_organisations_view_shows_the_tree_with_counts(db, make_app, people):
    at = _open(make_app, people["coordinator"], "organisation")
    grid = next(d for d in at.dataframe if d.key == "admin.organisation.tree_grid")
    frame = grid.value
    names = list(frame.iloc[:, 0])
    assert names[0] == "江安县" and any(n.endswith("└ 东村调委会") for n in names)
    assert names.index(next(n for n in names if n.endswith("红桥镇"))) < names.index(
        next(n for n in names if n.endswith("东村调委会"))
    )
    assert "在岗调解员（含下级）" in frame.columns and int(frame["在岗调解员（含下级）"].iloc[0]) == 2


def test_user_record_offers_its_mediator_and_shows_the_link(db, make_app, people):
    with db.write() as s:
        wang = s.exec(select(Mediator).where(Mediator.name == "王调解")).one()
        wang.user_id = people["village"].id
        s.add(wang)
    at = _open(make_app, people["admin"], "user")
    assert "王调解" in page_text(at)  # the user list's 对应调解员 column
