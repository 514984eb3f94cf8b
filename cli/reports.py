"""What goes out of the office: the KPIs as upper-level systems read them, and the intake QR posters."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from cli.common import actor_for, database
from services.core.clock import today
from services.intake.posters import A4_PRINT, A4_SCREEN, write_posters
from services.roster.orgs import get_org_by_code
from services.stats import kpi, reports
from services.stats.sql import Filters, Period


def cmd_stats(args: argparse.Namespace) -> int:
    try:
        start = date.fromisoformat(args.date_from) if args.date_from else None
        end = date.fromisoformat(args.date_to) if args.date_to else None
    except ValueError as err:
        print(f"bad date: {err}", file=sys.stderr)
        return 2
    now = today()
    period = Period(start or date(now.year, 1, 1), end or now)
    with database() as db, db.read() as s:
        actor = actor_for(s, args.user)
        org_id = get_org_by_code(s, args.org, active_only=False).id if args.org else None
        filters = Filters(period, org_id=org_id, category=args.category, source=args.source)
        out = reports.summary(s, actor=actor, filters=filters, compare=args.compare, decline_of=args.decline_of)
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
        return 0
    for k in kpi.KPIS:
        print(f"{k.name_zh:<14} {out[k.id]!s:>10}   {k.formula_zh}")
    if kpi.DECLINE.id in out:
        print(f"{kpi.DECLINE.name_zh:<14} {out[kpi.DECLINE.id]!s:>10}   {kpi.DECLINE.formula_zh}")
    return 0


def cmd_qr_posters(args: argparse.Namespace) -> int:
    with database() as db, db.read() as s:
        paths = write_posters(
            s,
            Path(args.out),
            org_code=args.org,
            county_code=args.county,
            size=A4_SCREEN if args.dpi == 150 else A4_PRINT,
        )
    for path in paths:
        print(path)
    return 0
