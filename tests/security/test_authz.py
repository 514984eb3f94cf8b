"""AZ-1..7: the role × page × action truth table (access_matrix.toml), IDOR through every channel,
field-level canaries, unauthenticated page loads, direct service calls, caching, widget constraints.

AZ-5 (every id-taking service refuses foreign ids) is tests/services/test_idor.py; this module adds the
channels a browser has (query string, repeated keys, forged session state, exports) and the matrix.
"""

from __future__ import annotations

import ast
import inspect
import logging
import re
import tomllib
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import services
from models import Case
from pages.nav import PAGES
from services.accounts import load_actor
from services.authz import Actor, get_case_in_scope
from services.errors import DomainError, NotFound, OutOfScope, PermissionDenied
from services.permissions import BUILTIN_ROLES, P
from tests.factories import make_case, make_tree, make_user
from tests.pages.conftest import page_text

ROOT = Path(__file__).resolve().parents[2]
MATRIX_FILE = Path(__file__).with_name("access_matrix.toml")
ROLE_ORG = {"mediator": "v1", "police": "police", "court": "court", "justice": "justice",
            "coordinator": "county", "admin": "root"}
ANON = "anonymous"
# (page, action) -> "module:function" whose permission check decides the action; None = public (no sign-in)
ACTIONS = {
    ("quick_case", "create"): "case_record:register_case",
    ("new_case", "create"): "case_record:register_case",
    ("handovers", "create"): "referrals:send_referral",
    ("handovers", "edit"): "referrals:handover_case",
    ("case", "edit"): "sessions:record_session",
    ("case", "verify"): "outcomes:audit_grade",
    ("case", "approve"): "confirmation:rule_confirmation",
    ("signin_locks", "edit"): "auth:unlock",
    ("admin", "edit"): "orgs:rename_org",
    ("roster_import", "create"): "xlsx_io:commit_import",
    ("intake", "create"): None,
    ("register", "create"): None,
    ("intake_queue", "approve"): "intake_queue:accept",
    ("intake_queue", "edit"): "intake_queue:reject",
    ("posters", "export"): "qr:poster_scope",
    ("stats_cases", "export"): "case_export:export_cases_xlsx",
    ("reports", "export"): "reports:report_xlsx",
    ("import_cases", "create"): "importer:import_cases",
    ("ratings", "create"): "rating:compute_ratings",
    ("ratings", "approve"): "rating:approve_run",
    ("rating_card", "approve"): "rating:decide_rating",
    ("rating_titles", "approve"): "rating_titles:award_title",
    ("rating_setup", "edit"): "rating_schemes:save_scheme",
    ("subsidies", "create"): "ledger:claim_case",
    ("ledger", "verify"): "ledger:audit_claim",
    ("ledger", "approve"): "ledger:approve_claim",
    ("payouts", "create"): "ledger_payout:create_batch",
    ("payouts", "pay"): "ledger_payout:mark_batch_paid",
    ("ledger_budgets", "edit"): "ledger_budget:set_budget",
    ("document_templates", "edit"): "documents_store:upload_template",
    ("board_editor", "edit"): "board_posts:draft_typical_case",
    ("board_editor", "approve"): "board_posts:approve_typical_case",
    ("party_links", "create"): "party_links:issue_link",
    ("duty", "edit"): "duty:assign",
    ("rules", "edit"): "rules:change",
    ("forms", "edit"): "forms:save_version",
    ("registers", "create"): "registers:add_entry",
    ("webhooks", "edit"): "webhooks:save_webhook",
}


def _matrix() -> dict[str, dict[str, list[str]]]:
    with MATRIX_FILE.open("rb") as fh:
        return tomllib.load(fh)["page"]


def _roles() -> list[str]:
    return sorted(BUILTIN_ROLES) + [ANON]


def _perms(role: str) -> frozenset[str]:
    return frozenset() if role == ANON else frozenset(str(p) for p in BUILTIN_ROLES[role][2])


def service_permissions(ref: str) -> list[frozenset[str]]:
    """The permission checks in a service function: each require()/require_any() call as a set of alternatives."""
    module_name, func = ref.split(":")
    module = __import__(f"services.{module_name}", fromlist=[func])
    tree = ast.parse(inspect.getsource(getattr(module, func)))
    checks = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("require", "require_any"):
            names = [a.attr for a in node.args[1:] if isinstance(a, ast.Attribute)]
            checks.append(frozenset(str(P[n]) for n in names))
    assert checks, f"{ref} checks no permission itself (AZ-5: the service must not rely on the page)"
    return checks


def _view_by_registry(role: str, key: str) -> bool:
    spec = next(p for p in PAGES if p.key == key)
    return spec.permission is None or spec.permission in _perms(role)


def actual_action(role: str, key: str, action: str) -> bool:
    """What the code allows: the page can be opened and the service's own checks pass."""
    if action == "view":
        return _view_by_registry(role, key)
    ref = ACTIONS[(key, action)]
    if ref is None:
        return True
    return _view_by_registry(role, key) and all(check & _perms(role) for check in service_permissions(ref))


def test_list_every_registered_page_and_role_in_the_matrix():
    """AZ-1 coverage: a new page or role must be added to access_matrix.toml before it ships."""
    matrix = _matrix()
    missing = [p.key for p in PAGES if p.key not in matrix]
    assert not missing, "add " + ", ".join(f"[page.{k}]" for k in missing) + " to tests/security/access_matrix.toml"
    stale = sorted(set(matrix) - {p.key for p in PAGES})
    assert not stale, f"remove {stale} from access_matrix.toml (no such page in pages/nav)"
    unknown = sorted({r for cells in matrix.values() for roles in cells.values() for r in roles} - set(_roles()))
    assert not unknown, f"unknown roles {unknown} in access_matrix.toml"
    offered = {(k, a) for k, cells in matrix.items() for a in cells if a != "view"}
    assert offered == set(ACTIONS), (sorted(offered ^ set(ACTIONS)), "matrix actions and ACTIONS differ")


def test_match_truth_table_for_every_cell():
    """AZ-1: every role × page × action cell of the table equals what registry + service checks allow."""
    matrix = _matrix()
    cells = mismatched = unexpected_allows = 0
    problems = []
    for key, actions in matrix.items():
        for action, allowed_roles in actions.items():
            for role in _roles():
                cells += 1
                want, got = role in allowed_roles, actual_action(role, key, action)
                if want != got:
                    mismatched += 1
                    unexpected_allows += got and not want
                    problems.append(f"{key}.{action} × {role}: table says {want}, code allows {got}")
    assert cells >= 7 * 40
    assert problems == [], f"{mismatched}/{cells} cells differ, {unexpected_allows} unexpected allows:\n" + \
        "\n".join(problems)


SEPARATION = [  # duties that must never meet in one built-in role, whatever the table says
    ("subsidies", "create", "payouts", "pay"), ("subsidies", "create", "ledger", "approve"),
    ("board_editor", "edit", "case", "edit"),
]


def test_keep_duties_separated():
    """AZ-1 invariants: claimant ≠ payer/approver; finance files no case; liaisons touch no money; admin sees no case."""
    matrix = _matrix()
    for a_page, a_act, b_page, b_act in SEPARATION:
        both = set(matrix[a_page][a_act]) & set(matrix[b_page][b_act])
        assert both == set(), (a_page, a_act, b_page, b_act, both)
    for money in (("ledger", "approve"), ("payouts", "pay"), ("subsidies", "create")):
        assert not {"police", "court", ANON} & set(matrix[money[0]][money[1]])
    assert "justice" not in matrix["new_case"]["create"]
    assert "admin" not in matrix["case"]["view"]


def _signed_in_app(db, make_app, role: str, tree: dict):
    with db.write() as s:
        user = make_user(s, tree[ROLE_ORG[role]], [role], username=f"az1_{role}")
    at = make_app(user=user)
    at.run()
    assert not at.exception
    return at, user


def _refusals() -> tuple[str, str]:
    from services.i18n import catalogue
    return catalogue()["error.permission_denied"]["zh"], catalogue()["auth.required"]["zh"]


@pytest.mark.slow
def test_render_every_page_as_every_role(db, make_app):
    """AZ-1/AZ-4 by rendering: allowed pages open without error or refusal; every other page is not in the
    role's navigation, and loading its file directly shows a refusal and no data."""
    matrix = _matrix()
    denied, signin = _refusals()
    with db.write() as s:
        tree = make_tree(s)
    mismatches = []
    for role in _roles():
        if role == ANON:
            at, actor = make_app(), None
            at.run()
        else:
            at, user = _signed_in_app(db, make_app, role, tree)
            with db.read() as s:
                actor = load_actor(s, user.id)
        for spec in PAGES:
            want = role in matrix[spec.key]["view"]
            try:
                at.switch_page(f"pages/{spec.file}")
            except ValueError:
                got = False
                direct = AppTest.from_file(str(spec.path), default_timeout=30)
                direct.session_state["auth.actor"] = actor
                direct.session_state["ui.lang"] = "zh-CN"
                direct.run()
                text = page_text(direct)
                if direct.exception or (signin if actor is None else denied) not in text or direct.dataframe:
                    mismatches.append(f"{role} {spec.key}: direct load not refused: {text[:120]}")
            else:
                at.run()
                text = page_text(at)
                got = not at.exception and denied not in text and signin not in text and "Traceback" not in text
            if want != got:
                mismatches.append(f"{role} {spec.key}: table {want}, rendered {got}")
    assert mismatches == []
