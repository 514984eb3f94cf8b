"""The page registry as data: every page, its menu section, icon and the permission that shows it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from services.access.permissions import P
from services.core.i18n import catalogue
from services.roster.import_access import IMPORT_PERMISSION

Layout = Literal["centered", "wide"]
PAGES_DIR = Path(__file__).resolve().parents[1]  # pages/ (this registry is a package so nothing .py sits in pages/)


@dataclass(frozen=True)
class PageSpec:
    key: str
    file: str
    title_key: str
    icon: str
    url_path: str
    section: str  # "public", "work", "office", "admin"
    permission: str | None = None  # None = public, no sign-in
    visible: bool = True
    wide: bool | None = None  # None: office pages use the desk's width, public pages keep the phone's column

    @property
    def layout(self) -> Layout:
        """The page's `st.set_page_config` layout; phones stack columns whichever it is."""
        wide = self.section != "public" if self.wide is None else self.wide
        return "wide" if wide else "centered"

    @property
    def path(self) -> Path:
        return PAGES_DIR / self.file


HOME = PageSpec("home", "public/home.py", "nav.home", ":material/home:", "home", "public")

PAGES: tuple[PageSpec, ...] = (
    HOME,
    PageSpec("workbench", "staff/workbench.py", "nav.workbench", ":material/work:", "workbench", "work", P.WORKBENCH),
    # notifications (issue 11 item 6): every staff user's inbox; the menu title carries the unread count
    PageSpec("inbox", "staff/inbox.py", "nav.inbox", ":material/notifications:", "inbox", "work", P.WORKBENCH),
    # the case workflow (issue 4): the case page opens from lists with ?case=<id>, so it stays off the menu
    PageSpec("quick_case", "staff/quick_case.py", "nav.quick_case", ":material/bolt:", "quick", "work", P.CASE_CREATE),
    PageSpec("new_case", "staff/new_case.py", "nav.new_case", ":material/note_add:", "new-case", "work", P.CASE_CREATE),
    PageSpec(
        "handovers", "staff/handovers.py", "nav.handovers", ":material/swap_horiz:", "handovers", "work", P.CASE_VIEW
    ),
    # supervision (issue 18): the desk (督办台账) of the supervising office
    PageSpec(
        "supervision", "staff/supervision.py", "nav.supervision", ":material/flag:", "supervision", "work", P.SUPERVISE
    ),
    PageSpec("case", "staff/case.py", "nav.case", ":material/folder_open:", "case", "work", P.CASE_VIEW, visible=False),
    PageSpec("account", "staff/account.py", "nav.account", ":material/person:", "account", "work", P.WORKBENCH),
    PageSpec(
        "signin_locks",
        "staff/signin_locks.py",
        "nav.signin_locks",
        ":material/lock_open:",
        "signin-locks",
        "admin",
        P.USER_ADMIN,
    ),
    # registers and roster (issue 6): one generic admin page; the import of organisations and mediators
    PageSpec("admin", "staff/admin.py", "nav.admin", ":material/folder_shared:", "admin", "office", P.ROSTER_VIEW),
    PageSpec(
        "roster_import",
        "staff/roster_import.py",
        "nav.roster_import",
        ":material/upload_file:",
        "roster-import",
        "office",
        IMPORT_PERMISSION,  # the permission the import service checks: no menu entry that refuses after upload
    ),
    # public intake (issue 3): the form is reached by QR code or from the directory, so it stays off the menu
    PageSpec(
        "intake_directory",
        "public/intake_directory.py",
        "nav.intake_directory",
        ":material/edit_note:",
        "apply",
        "public",
    ),
    PageSpec("intake", "public/intake.py", "nav.intake", ":material/edit_note:", "intake", "public", visible=False),
    PageSpec("track", "public/track.py", "nav.track", ":material/manage_search:", "track", "public"),
    # verifiable documents (issue 20): the QR code printed on every issued document opens /verify?code=…
    PageSpec("verify", "public/verify.py", "nav.verify", ":material/verified:", "verify", "public"),
    PageSpec(
        "recusals",
        "staff/recusals.py",
        "nav.recusals",
        ":material/person_remove:",
        "recusals",
        "office",
        P.RECUSAL_DECIDE,
    ),
    # publicity board (issue 9): public; the big screen is opened from the board or by its own address
    PageSpec("board", "public/board.py", "nav.board", ":material/campaign:", "board", "public"),
    PageSpec(
        "big_screen",
        "public/big_screen.py",
        "nav.big_screen",
        ":material/tv:",
        "big-screen",
        "public",
        visible=False,
        wide=True,
    ),
    PageSpec(
        "intake_queue",
        "staff/intake_queue.py",
        "nav.intake_queue",
        ":material/inbox:",
        "intake-queue",
        "work",
        P.INTAKE_QUEUE,
    ),
    PageSpec("posters", "staff/posters.py", "nav.posters", ":material/qr_code_2:", "posters", "office", P.INTAKE_QUEUE),
    # statistics, reports (信息报送) and the legacy ledger import (issue 10)
    PageSpec(
        "dashboard", "staff/dashboard.py", "nav.dashboard", ":material/monitoring:", "stats", "office", P.STATS_VIEW
    ),
    PageSpec(
        "stats_cases",
        "staff/stats_cases.py",
        "nav.stats_cases",
        ":material/list:",
        "stats-cases",
        "office",
        P.STATS_VIEW,
        visible=False,
    ),
    PageSpec("reports", "staff/reports.py", "nav.reports", ":material/table_chart:", "reports", "office", P.STATS_VIEW),
    PageSpec(
        "import_cases",
        "staff/import_cases.py",
        "nav.import_cases",
        ":material/upload_file:",
        "import-cases",
        "office",
        P.CASE_CREATE,
    ),
    # assessment of units and dossier review (issue 19); a scorecard opens with ?card=<id>, a dossier with ?case=<id>
    PageSpec(
        "assessment",
        "staff/assessment.py",
        "nav.assessment",
        ":material/leaderboard:",
        "assessment",
        "office",
        P.ASSESSMENT_VIEW,
    ),
    PageSpec(
        "dossier_review",
        "staff/dossier_review.py",
        "nav.dossier_review",
        ":material/fact_check:",
        "dossier-review",
        "office",
        P.DOSSIER_REVIEW,
    ),
    # star rating (issue 7): the card opens from the list with ?rating=<id>, so it stays off the menu
    PageSpec(
        "ratings", "staff/ratings.py", "nav.ratings", ":material/star_rate:", "ratings", "office", P.RATING_PROPOSE
    ),
    PageSpec(
        "rating_card",
        "staff/rating_card.py",
        "nav.rating_card",
        ":material/star_half:",
        "rating",
        "office",
        P.RATING_PROPOSE,
        visible=False,
    ),
    PageSpec(
        "rating_titles",
        "staff/rating_titles.py",
        "nav.rating_titles",
        ":material/military_tech:",
        "rating-titles",
        "office",
        P.RATING_PROPOSE,
    ),
    PageSpec(
        "rating_setup",
        "staff/rating_setup.py",
        "nav.rating_setup",
        ":material/tune:",
        "rating-setup",
        "office",
        P.RATING_PROPOSE,
    ),
    PageSpec("my_rating", "staff/my_rating.py", "nav.my_rating", ":material/star:", "my-rating", "work", P.RATING_OWN),
    # the subsidy ledger (issue 8): mediators claim; the justice office reviews, pays, budgets
    PageSpec(
        "subsidies", "staff/subsidies.py", "nav.subsidies", ":material/payments:", "subsidies", "work", P.LEDGER_CLAIM
    ),
    PageSpec("ledger", "staff/ledger.py", "nav.ledger", ":material/receipt_long:", "ledger", "office", P.LEDGER_AUDIT),
    PageSpec(
        "payouts",
        "staff/payouts.py",
        "nav.payouts",
        ":material/account_balance_wallet:",
        "payouts",
        "office",
        P.LEDGER_PAY,
    ),
    PageSpec(
        "ledger_budgets",
        "staff/ledger_budgets.py",
        "nav.ledger_budgets",
        ":material/savings:",
        "budgets",
        "office",
        P.LEDGER_BUDGET,
    ),
    # documents (issue 5): a case's documents by ?case=<id> or case number; the office's document templates
    PageSpec(
        "documents", "staff/documents.py", "nav.documents", ":material/description:", "documents", "work", P.CASE_VIEW
    ),
    PageSpec(
        "document_templates",
        "staff/document_templates.py",
        "nav.document_templates",
        ":material/edit_document:",
        "document-templates",
        "office",
        P.LOWCODE_EDIT,
    ),
    PageSpec(
        "board_editor",
        "staff/board_editor.py",
        "nav.board_editor",
        ":material/campaign:",
        "board-editor",
        "office",
        P.BOARD_EDIT,
    ),
    # parties on their own phones and the duty schedule (issue 13): /party?t=<token> is reached by its link only
    PageSpec("party", "public/party.py", "nav.party", ":material/how_to_reg:", "party", "public", visible=False),
    PageSpec(
        "party_links",
        "staff/party_links.py",
        "nav.party_links",
        ":material/add_link:",
        "party-links",
        "work",
        P.CASE_MEDIATE,
        visible=False,
    ),
    PageSpec("duty", "staff/duty.py", "nav.duty", ":material/calendar_month:", "duty", "office", P.ROSTER_VIEW),
    # rules as versioned, audited data with rollback (issue 11 item 5)
    PageSpec("rules", "staff/rules.py", "nav.rules", ":material/rule:", "rules", "office", P.LOWCODE_EDIT),
    # low-code (issue 11): the form builder, registers (台账) and a register's public entry form (/register?f=<code>)
    PageSpec("forms", "staff/forms.py", "nav.forms", ":material/dynamic_form:", "forms", "office", P.LOWCODE_EDIT),
    PageSpec(
        "registers", "staff/registers.py", "nav.registers", ":material/table_view:", "registers", "work", P.REGISTER_USE
    ),
    PageSpec(
        "register", "public/register.py", "nav.register", ":material/edit_square:", "register", "public", visible=False
    ),
    PageSpec(
        "webhooks", "staff/webhooks.py", "nav.webhooks", ":material/smart_toy:", "webhooks", "office", P.LOWCODE_EDIT
    ),
)


def public_pages() -> list[PageSpec]:
    return [p for p in PAGES if p.permission is None]


def staff_pages(permissions: frozenset[str]) -> list[PageSpec]:
    return [p for p in PAGES if p.permission is not None and p.permission in permissions]


def staff_url_paths() -> list[str]:
    return [p.url_path for p in PAGES if p.permission is not None]


def layout_for(url_path: str, *, signed_in: bool) -> Layout:
    """The layout of the page at url_path; signed out, a staff URL is a sign-in page and keeps the column."""
    spec = next((p for p in PAGES if p.url_path == url_path), HOME)
    return spec.layout if signed_in or spec.permission is None else "centered"


def spec_for(key: str) -> PageSpec:
    return next(p for p in PAGES if p.key == key)


def check_registry() -> list[str]:
    """Problems in the page registry, each with a stable id (run by `manage.py check` and a test)."""
    problems: list[str] = []
    known_perms = {str(p) for p in P}
    seen: dict[str, str] = {}
    for spec in PAGES:
        if not spec.path.is_file():
            problems.append(f"nav.E001: page {spec.key!r} points at missing file {spec.file!r}")
        if Path(spec.file).parent == Path():
            problems.append(f"nav.E002: page {spec.key!r} sits directly in pages/ (served without app.py)")
        if spec.url_path in seen:
            problems.append(
                f"nav.E003: url_path {spec.url_path!r} of {spec.key!r} is also used by {seen[spec.url_path]!r}"
            )
        seen[spec.url_path] = spec.key
        if spec.permission is not None and spec.permission not in known_perms:
            problems.append(f"nav.E004: page {spec.key!r} needs unknown permission {spec.permission!r}")
        if spec.title_key not in catalogue():
            problems.append(f"nav.E005: page {spec.key!r} title key {spec.title_key!r} is not in the catalogue")
    return problems
