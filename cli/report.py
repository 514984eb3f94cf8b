"""信息报送 for cron: the statutory report workbook of an organisation for a month or quarter, as the page has it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli.common import actor_for, database
from services.roster.orgs import get_org_by_code
from services.stats import reports


def cmd_report(args: argparse.Namespace) -> int:
    try:
        period = reports.parse_period(args.period)
    except ValueError as err:
        print(err, file=sys.stderr)
        return 2
    with database() as db, db.read() as s:
        actor = actor_for(s, args.user)
        org_id = get_org_by_code(s, args.org, active_only=False).id
        signer = args.filled_by if args.filled_by is not None else (actor.display_name if args.user else "")
        _, data = reports.export_report(s, actor=actor, period=period, org_id=org_id, lang=args.lang, filled_by=signer)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    print(out)
    return 0
