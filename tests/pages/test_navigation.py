"""Every page × every role renders without an exception; each role sees exactly its pages."""

from __future__ import annotations

import pytest

from pages.nav import PAGES
from services.access.permissions import BUILTIN_ROLES
from tests.factories import make_tree, make_user
from tests.pages.conftest import page_text

ROLE_ORG = {
    "mediator": "v1",
    "police": "police",
    "court": "court",
    "justice": "justice",
    "coordinator": "county",
    "admin": "root",
}


def _user(db, role):
    with db.write() as s:
        tree = make_tree(s)
        return make_user(s, tree[ROLE_ORG[role]], [role], username=f"{role}_user")


def test_signed_out_sees_only_public_pages(db, make_app):
    at = make_app()
    at.run()
    assert not at.exception
    for spec in PAGES:
        if spec.permission is None:
            at.switch_page(f"pages/{spec.file}").run()
            assert not at.exception, spec.key
        else:
            with pytest.raises(ValueError):  # the staff page file is not registered while signed out
                at.switch_page(f"pages/{spec.file}")
            # its URL is a sign-in page instead, showing no data
            at.switch_page("pages/public/signin.py").run()
            assert not at.exception
            assert [ti.label for ti in at.text_input] == ["用户名", "密码"]
            assert not at.metric


@pytest.mark.parametrize("role", sorted(BUILTIN_ROLES))
def test_every_page_renders_for_role(db, make_app, role):
    user = _user(db, role)
    perms = BUILTIN_ROLES[role][2]
    at = make_app(user=user)
    at.run()
    assert not at.exception
    for spec in PAGES:
        path = f"pages/{spec.file}"
        if spec.permission is None or spec.permission in perms:
            at.switch_page(path).run()
            assert not at.exception, (role, spec.key, at.exception)
            assert "Traceback" not in page_text(at)
        else:
            with pytest.raises(ValueError):
                at.switch_page(path)


def test_workbench_signed_in_shows_counts(db, make_app):
    user = _user(db, "mediator")
    at = make_app(user=user)
    at.run()
    at.switch_page("pages/staff/workbench.py").run()
    assert not at.exception
    assert "工作台" in page_text(at)
    assert [m.label for m in at.metric][:2] == ["待受理", "办理中"]


def test_english_switch(db, make_app):
    at = make_app(lang="en")
    at.run()
    assert "Mediation Hub" in page_text(at)
