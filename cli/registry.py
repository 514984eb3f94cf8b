"""The table of every `manage.py` command: its name, help, arguments and where its function lives.

The functions are imported only when their command runs, so `--help` and `ensure-secrets` start at once.
"""

from __future__ import annotations

from cli.command import Arg, Command


def commands() -> list[Command]:
    """Every command, in the order `manage.py --help` lists them (argparse refuses a name declared twice)."""
    return [
        # cli/setup.py
        Command(
            "ensure-secrets",
            "write random AUTH_COOKIE_KEY and DATA_KEY to .streamlit/secrets.toml unless they are set",
            "cli.setup:cmd_ensure_secrets",
        ),
        Command(
            "init-db", "migrate the database to the newest schema and add the reference data", "cli.setup:cmd_init_db"
        ),
        Command(
            "create-user",
            "create a staff user; the password comes from MEDIATION_PASSWORD or a prompt, never from the command line",
            "cli.setup:cmd_create_user",
            (
                Arg("username", "the sign-in name"),
                Arg("--org", "organisation code", required=True),
                Arg("--roles", "comma-separated role codes", required=True),
                Arg("--name", "display name (default: the username)", default=""),
            ),
        ),
        Command(
            "check",
            "print the settings, validate them and every declared spec; problems have stable ids",
            "cli.setup:cmd_check",
        ),
        # cli/demo.py
        Command(
            "seed-demo",
            "demo organisations, users and cases; the password comes from DEMO_PASSWORD, else it is random",
            "cli.demo:cmd_seed_demo",
            (
                Arg("--cases", "how many cases", type=int, default=2000),
                Arg("--seed", "random seed (the same seed builds the same city)", type=int, default=2026),
                Arg("--if-empty", "do nothing when the database has cases", switch=True),
            ),
        ),
        Command("demo-logins", "print the demo sign-ins again", "cli.demo:cmd_demo_logins"),
        # cli/data.py
        Command(
            "backup", "back up the database to PATH", "cli.data:cmd_backup", (Arg("path", "the backup file to write"),)
        ),
        Command(
            "restore",
            "restore a backup into an EMPTY database (default: DATABASE_URL)",
            "cli.data:cmd_restore",
            (Arg("path", "the backup file"), Arg("--into", "target DATABASE_URL, e.g. sqlite:///data/restored.db")),
        ),
        Command(
            "import-cases",
            "import a legacy ledger, all rows or none",
            "cli.data:cmd_import_cases",
            (
                Arg("file", "FILE.xlsx or FILE.csv"),
                Arg("--user", "the staff user the import is recorded under", required=True),
                Arg("--dry-run", "check only", switch=True),
            ),
        ),
        # cli/reports.py
        Command(
            "stats",
            "KPIs for an organisation and period (one JSON object with --json), as upper-level systems read them",
            "cli.reports:cmd_stats",
            (
                Arg("--json", "one JSON object keyed by KPI id (rates as fractions)", switch=True),
                Arg("--org", "organisation code (default: the whole tree, or the --user's area)"),
                Arg("--from", "YYYY-MM-DD (default: 1 January this year)", dest="date_from"),
                Arg("--to", "YYYY-MM-DD (default: today)", dest="date_to"),
                Arg(
                    "--compare",
                    "also the previous period or the same period a year earlier",
                    choices=("previous-period", "previous-year"),
                ),
                Arg("--decline-of", "the count whose decline_rate is printed", default="received"),
                Arg("--category", "only cases of this category code"),
                Arg("--source", "only cases from this source code"),
                Arg("--user", "read as this staff user (their area and permissions)"),
            ),
        ),
        Command(
            "qr-posters",
            "A4 QR posters to each organisation's intake form: <code>.png per organisation plus one PDF",
            "cli.reports:cmd_qr_posters",
            (
                Arg("--out", "directory to write into", required=True),
                Arg("--org", "only this organisation code"),
                Arg("--county", "only the organisations of this county code"),
                Arg("--dpi", "PNG resolution (the PDF is 150 dpi)", type=int, choices=(150, 300), default=300),
            ),
        ),
        # cli/stats_summary.py (issue 21)
        Command(
            "stats-rebuild",
            "recompute the statistics summaries from the cases and the ledger, in batches; resumable",
            "cli.stats_summary:cmd_stats_rebuild",
            (Arg("--batch", "cases per write transaction", type=int, default=20000),),
        ),
        Command(
            "stats-check",
            "compare the statistics summaries with a recount, print every difference; exit 1 if any (run nightly)",
            "cli.stats_summary:cmd_stats_check",
        ),
        # cli/report.py
        Command(
            "report",
            "信息报送: the statutory report workbook of an organisation for a month or quarter, as the page exports it",
            "cli.report:cmd_report",
            (
                Arg("--org", "organisation code", required=True),
                Arg(
                    "--period",
                    "a month 2026-11 or a quarter 2026-Q4 (a period in progress counts up to today)",
                    required=True,
                ),
                Arg("--out", "the FILE.xlsx to write", required=True),
                Arg("--user", "read and sign as this staff user (default: the server, the whole tree)"),
                Arg("--filled-by", "the 填报人 printed on the sheets (default: the user's name)", dest="filled_by"),
                Arg("--lang", "language of the words on the sheets", choices=("zh-CN", "en"), default="zh-CN"),
            ),
        ),
        # cli/notify.py
        Command(
            "duty-gaps",
            "warn coordination offices of uncovered shifts a week ahead (run daily)",
            "cli.notify:cmd_duty_gaps",
        ),
        Command(
            "send-notifications",
            "queue due reminders and send due group-robot webhook messages, retries included (run every minute)",
            "cli.notify:cmd_send_notifications",
        ),
        # cli/privacy.py
        Command(
            "rotate-data-key",
            "re-encrypt ID numbers and blind indexes under DATA_KEY, reading with DATA_KEY_PREVIOUS; resumable",
            "cli.privacy:cmd_rotate_data_key",
            (Arg("--batch", "parties per write transaction", type=int, default=500),),
        ),
        Command(
            "subject-export",
            "everything stored about one person (PIPL 45), found by ID number or phone; audited",
            "cli.privacy:cmd_subject_export",
            (
                Arg("--id-number", "the person's ID number", one_of="who"),
                Arg("--phone", "the person's phone number", one_of="who"),
                Arg("--out", "FILE.json or FILE.xlsx (default: JSON on stdout)"),
            ),
        ),
        Command(
            "retention",
            "anonymise closed cases older than the retention period (ConfigVersion 'retention')",
            "cli.privacy:cmd_retention",
            (Arg("--dry-run", "count the eligible cases only", switch=True),),
        ),
        # cli/trust.py
        Command(
            "verify",
            "print what /verify shows for a document's verification code, as JSON (exit 2 unless it is valid)",
            "cli.trust:cmd_verify",
            (Arg("code", "the code printed on the document (dashes and case do not matter)"),),
        ),
    ]
