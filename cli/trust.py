"""Trust for parties and courts: what /verify says about an issued document, for an operator or a court clerk."""

from __future__ import annotations

import argparse
import json

from cli.common import database
from services.trust import verify


def cmd_verify(args: argparse.Namespace) -> int:
    with database() as db:
        facts = verify.facts(db, code=args.code)
    print(json.dumps(facts, ensure_ascii=False, indent=2))
    return 0 if facts["state"] == verify.VALID else 2
