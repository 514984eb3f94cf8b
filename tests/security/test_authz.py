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
from sqlmodel import func, select
from streamlit.testing.v1 import AppTest

from models import Case
from pages.nav import PAGES
from services.access.accounts import load_actor
from services.access.authz import Actor, get_case_in_scope
from services.access.permissions import BUILTIN_ROLES, P
from services.core.errors import DomainError, NotFound, OutOfScope
from tests.factories import make_case, make_tree, make_user
from tests.pages.conftest import page_text

ROOT = Path(__file__).resolve().parents[2]
MATRIX_FILE = Path(__file__).with_name("access_matrix.toml")
ROLE_ORG = {
    "mediator": "v1",
    "police": "police",
    "court": "court",
    "justice": "justice",
    "coordinator": "county",
    "admin": "root",
}
ANON = "anonymous"
# (page, action) -> "module:function" whose permission check decides the action; None = public (no sign-in)
ACTIONS = {
    ("quick_case", "create"): "cases.record:register_case",
    ("new_case", "create"): "cases.record:register_case",
    ("handovers", "create"): "cases.referrals:send_referral",
    ("handovers", "edit"): "cases.referrals:handover_case",
    ("case", "edit"): "cases.sessions:record_session",
    ("case", "verify"): "cases.outcomes:audit_grade",
    ("case", "approve"): "cases.confirmation:rule_confirmation",
    ("signin_locks", "edit"): "access.signin:unlock",
    ("recusals", "approve"): "trust.recusal:decide",
    ("supervision", "create"): "supervision.orders:open_order",
    ("supervision", "approve"): "supervision.orders:decide_request",
    ("assessment", "create"): "assessment.scorecards:compute_scheme",
    ("assessment", "approve"): "assessment.scorecards:publish_card",
    ("dossier_review", "verify"): "assessment.dossier_review:save_review",
    ("admin", "edit"): "roster.orgs:rename_org",
    ("roster_import", "create"): "admin.xlsx:commit_import",
    ("intake", "create"): None,
    ("register", "create"): None,
    ("intake_queue", "approve"): "intake.queue:accept",
    ("intake_queue", "edit"): "intake.queue:reject",
    ("posters", "export"): "intake.posters:poster_scope",
    ("stats_cases", "export"): "cases.export:export_cases_xlsx",
    ("reports", "export"): "stats.reports:report_xlsx",
    ("import_cases", "create"): "legacy_import.load:import_cases",
    ("ratings", "create"): "rating.runs:compute_ratings",
    ("ratings", "approve"): "rating.runs:approve_run",
    ("rating_card", "approve"): "rating.runs:decide_rating",
    ("rating_titles", "approve"): "rating.titles:award_title",
    ("rating_setup", "edit"): "rating.schemes:save_scheme",
    ("subsidies", "create"): "ledger.claims:claim_case",
    ("ledger", "verify"): "ledger.claims:audit_claim",
    ("ledger", "approve"): "ledger.claims:approve_claim",
    ("payouts", "create"): "ledger.payout:create_batch",
    ("payouts", "pay"): "ledger.payout:mark_batch_paid",
    ("ledger_budgets", "edit"): "ledger.budget:set_budget",
    ("document_templates", "edit"): "documents.office_templates:upload_template",
    ("board_editor", "edit"): "board.posts:draft_typical_case",
    ("board_editor", "approve"): "board.posts:approve_typical_case",
    ("party_links", "create"): "cases.party_links:issue_link",
    ("duty", "edit"): "roster.duty:assign",
    ("rules", "edit"): "lowcode.rules:change",
    ("forms", "edit"): "lowcode.forms:save_version",
    ("registers", "create"): "lowcode.registers:add_entry",
    ("webhooks", "edit"): "notify.webhooks:save_webhook",
}


def _matrix() -> dict[str, dict[str, list[str]]]:
    with MATRIX_FILE.open("rb") as fh:
        return tomllib.load(fh)["page"]


def _roles() -> list[str]:
    return [*sorted(BUILTIN_ROLES), ANON]


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
            # each permission argument as the module itself evaluates it (P.X, or a step table's STEP[A.X].permission)
            values = [eval(compile(ast.Expression(a), ref, "eval"), vars(module)) for a in node.args[1:]]
            checks.append(frozenset(str(P(v)) for v in values))
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
    assert problems == [], f"{mismatched}/{cells} cells differ, {unexpected_allows} unexpected allows:\n" + "\n".join(
        problems
    )


SEPARATION = [  # duties that must never meet in one built-in role, whatever the table says
    ("subsidies", "create", "payouts", "pay"),
    ("subsidies", "create", "ledger", "approve"),
    ("board_editor", "edit", "case", "edit"),
]


def test_keep_duties_separated():
    """AZ-1 invariants: claimant ≠ payer/approver; finance files no case; liaisons and admin touch no money/case."""
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
    from services.core.i18n import catalogue

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


# --- AZ-2: IDOR through the browser's channels -----------------------------------------------------------


def _two_orgs(db, n: int):
    """Mediators of two sibling villages with n canary cases each."""
    with db.write() as s:
        tree = make_tree(s)
        users = {k: make_user(s, tree[k], ["mediator"], username=f"az2_{k}") for k in ("v1", "v2")}
        cases = {
            k: [make_case(s, tree[k], description=f"AZ2-CANARY-{k}-{i} 邻里纠纷").id for i in range(n)]
            for k in ("v1", "v2")
        }
    return users, cases


@pytest.mark.slow
def test_refuse_foreign_cases_through_every_channel(db, make_app, caplog):
    """AZ-2: 2 orgs × 50 cases through the service (100), the case page's ?case= (20), a repeated key
    ?case=mine&case=foreign (20), the documents page (20), a forged session_state actor (2): 0 rendered;
    every service refusal is logged."""
    users, cases = _two_orgs(db, 50)
    refused = 0
    with caplog.at_level(logging.WARNING, logger="mediation.authz"), db.read() as s:
        for me, other in (("v1", "v2"), ("v2", "v1")):
            actor = load_actor(s, users[me].id)
            for case_id in cases[other]:
                try:
                    get_case_in_scope(s, actor, case_id)
                except (OutOfScope, NotFound):
                    refused += 1
        logged = sum("authz.refused" in r.getMessage() for r in caplog.records)
    assert (refused, logged) == (100, 100)
    leaks = []
    for me, other in (("v1", "v2"), ("v2", "v1")):
        at = make_app(user=users[me])
        at.run()
        for i, case_id in enumerate(cases[other][:10]):
            for page, query in (
                ("pages/staff/case.py", [str(case_id)]),
                ("pages/staff/case.py", [str(cases[me][i]), str(case_id)]),
                ("pages/staff/documents.py", [str(case_id)]),
            ):
                at.query_params["case"] = query
                at.switch_page(page).run()
                text = page_text(at)
                if at.exception or f"AZ2-CANARY-{other}" in text:
                    leaks.append(f"{me} {page} {query}")
        at.query_params["case"] = [str(cases[me][0])]  # control: the own case does render
        at.switch_page("pages/staff/case.py").run()
        assert f"AZ2-CANARY-{me}-0" in page_text(at)
        # forged session state: a client-side actor with every permission is replaced by the database's
        forged = Actor(
            user_id=users[me].id,
            username="x",
            display_name="x",
            org_id=1,
            org_path="/",
            roles=frozenset({"admin"}),
            permissions=frozenset(str(p) for p in P),
        )
        at.session_state["auth.actor"] = forged
        at.run()
        assert at.session_state["auth.actor"] != forged and not at.session_state["auth.actor"].can(P.USER_ADMIN)
    assert leaks == []


def test_show_liaisons_only_cases_they_handed_over_and_no_full_ids(db):
    """AZ-3: a police liaison sees none of a village's own cases; no role's case detail carries a full ID."""
    from services.cases import view as case_view
    from services.cases.create import PartyInput

    full_id = "110101199003071233"
    with db.write() as s:
        tree = make_tree(s)
        cases = [
            make_case(
                s,
                tree["v1"],
                parties=[PartyInput(side="applicant", name="金丝雀", phone="13912345678", id_number=full_id)],
            ).id
            for _ in range(5)
        ]
        actors = {r: load_actor(s, make_user(s, tree[ROLE_ORG[r]], [r]).id) for r in sorted(BUILTIN_ROLES)}
    seen: dict[str, int] = {}
    with db.read() as s:
        for role, actor in actors.items():
            seen[role] = 0
            for case_id in cases:
                try:
                    detail = case_view.get_case_detail(s, actor=actor, case_id=case_id)
                except DomainError:
                    continue
                seen[role] += 1
                assert full_id not in repr(detail) and "13912345678" not in repr(detail), role
    assert seen["police"] == seen["court"] == seen["admin"] == 0
    assert seen["mediator"] == seen["coordinator"] == 5


def test_cache_no_access_controlled_reads():
    """AZ-6: no conn.query(); every st.cache_data function in the UI is reviewed (public data or keyed by
    the asking actor/org)."""
    reviewed = {
        "pages/ui/board_view.py": "public board statistics and directory (no party data)",
        "pages/staff/posters.py": "QR poster image of an organisation's public intake link",
    }
    found = []
    for path in [*sorted((ROOT / "pages").rglob("*.py")), ROOT / "app.py"]:
        source = path.read_text()
        rel = str(path.relative_to(ROOT))
        if "conn.query(" in source or "st.connection(" in source:
            found.append(f"{rel}: st.connection/conn.query")
        if "cache_data" in source and rel not in reviewed:
            found.append(f"{rel}: st.cache_data not reviewed")
    assert found == []
    svc = [
        p.name
        for p in (ROOT / "services").glob("*.py")
        if "lru_cache" in p.read_text()
        and re.search(r"@lru_cache[^\n]*\n\s*def \w+\([^)]*(actor|user|case)", p.read_text())
    ]
    assert svc == [], "an lru_cache keyed by who asks is process-wide"


def test_refuse_values_a_widget_cannot_send(db):
    """AZ-7: 20 out-of-range inputs straight to the services (negative amounts, lengths + 1, options not
    in the list, another org's id, a future sitting) → 20/20 refused with a message, nothing written."""
    from datetime import timedelta

    from models.base import utc_now
    from services.cases import record as case_record
    from services.cases import sessions
    from services.cases.create import PartyInput
    from services.ledger import budget as ledger_budget
    from tests.case_factories import accepted_case, session_input, staff_input

    with db.write() as s:
        tree = make_tree(s)
        mediator = load_actor(s, make_user(s, tree["v1"], ["mediator"]).id)
        justice = load_actor(s, make_user(s, tree["justice"], ["justice"]).id)
    case = accepted_case(db, mediator)
    bad_staff = [
        {"amount_fen": -1},
        {"amount_fen": 10**12 + 1},
        {"group_size": -5},
        {"category": "not-a-category"},
        {"source": "hacker"},
        {"description": "述" * 5001},
        {"request": "求" * 2001},
        {"place": "地" * 201},
        {"title": "题" * 121},
        {"org_id": tree["v2"].id},
        {"referring_org_id": 999_999, "source": "police_handover"},
        {"parties": [PartyInput(side="judge", name="甲")]},
        {"parties": [PartyInput(side="applicant", name="甲", kind="robot")]},
        {"parties": [PartyInput(side="applicant", name="名" * 81)]},
        {"parties": [PartyInput(side="applicant", name="甲", phone="12345")]},
        {"parties": [PartyInput(side="applicant", name="甲", id_number="110101199003071234")]},
    ]
    refused = 0
    with db.read() as s:
        before = s.exec(select(func.count()).select_from(Case)).one()
    for over in bad_staff:
        try:
            with db.write() as s:
                case_record.register_case(s, actor=mediator, data=staff_input(**over))
        except DomainError as err:
            refused += err.key.startswith("error.")
    others = [
        lambda s: sessions.record_session(s, actor=mediator, case_id=case.id, data=session_input(duration_minutes=0)),
        lambda s: sessions.record_session(
            s, actor=mediator, case_id=case.id, data=session_input(held_at=utc_now() + timedelta(days=2))
        ),
        lambda s: sessions.record_session(s, actor=mediator, case_id=case.id, data=session_input(notes="记" * 10_001)),
        lambda s: ledger_budget.set_budget(
            s, actor=justice, region_org_id=tree["county"].id, year=2026, line="case_subsidy", amount_fen=-100
        ),
    ]
    for call in others:
        try:
            with db.write() as s:
                call(s)
        except DomainError as err:
            refused += err.key.startswith("error.")
        except TypeError:
            pass
    with db.read() as s:
        after = s.exec(select(func.count()).select_from(Case)).one()
    assert (refused, after - before) == (20, 0)
