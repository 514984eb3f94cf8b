"""Done-when of issue 12: after a retention run, a canary sweep over every page, export, log and the database
file finds no personal data of the anonymised cases, and no page for the public shows anybody's.

Seeded: 8 old closed cases (16 canary people, eligible) and 3 recent ones (6 people, kept). Swept: every
registered page rendered through app.py by a user holding every role (the widget tree serialised as the
browser would receive it), the case page of each anonymised case, the staff search for each canary, every
public page signed out, the case export and the statistical report (xlsx), every document of each anonymised
case (docx, unzipped), the subject export, every log line written meanwhile, and on SQLite the .db, its -wal
and a backup taken after the run."""

from __future__ import annotations

import io
import logging
import zipfile
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select

from models import Organisation
from pages.nav import PAGES
from services.access.accounts import load_actor
from services.access.permissions import BUILTIN_ROLES
from services.cases import export as case_export
from services.core import clock
from services.core.backup import backup
from services.documents import catalog as documents
from services.privacy.retention import run_retention
from services.privacy.subject_access import subject_export
from services.stats import reports
from services.stats.sql import Filters, Period
from tests.factories import make_user
from tests.pages.conftest import make_app  # noqa: F401  (fixture)
from tests.privacy.canary import ID_18, Canary, db_bytes, hits, seed
from tests.privacy.test_logs import Capture

OLD, RECENT = 8, 3


def _payload(at) -> str:
    """Everything the browser would receive for this run: each element's protobuf, UTF-8 strings intact."""
    blobs = [node.proto.SerializeToString() for node in at._tree if getattr(node, "proto", None) is not None]
    return b"\n".join(blobs).decode("utf-8", "replace")


def _unzipped(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())


def _staff(db):
    with db.write() as s:
        county = s.exec(select(Organisation).where(Organisation.code == "C1")).one()
        user = make_user(s, county, sorted(BUILTIN_ROLES), username="sweeper")
        return user, load_actor(s, user.id or 0)


@pytest.mark.slow
def test_canary_sweep_after_retention(db, make_app, tmp_path: Path):  # noqa: F811
    old, _ = seed(db, OLD, RECENT)
    gone = [Canary(i) for i in range(2 * OLD)]
    kept = [Canary(i) for i in range(2 * OLD, 2 * (OLD + RECENT))]
    user, actor = _staff(db)
    logs, root = Capture(), logging.getLogger()
    root.addHandler(logs)
    try:
        at = make_app(user=user)
        at.query_params["case"] = str(old[0])
        at.switch_page("pages/staff/case.py").run()
        assert gone[0].name in hits(_payload(at), gone)  # before the run the sweep does find the canaries
        assert run_retention(db).anonymised == OLD
        found: dict[str, list[str]] = {}
        at.query_params.pop("case")
        for spec in PAGES:  # every registered page, staff and public
            at.switch_page(f"pages/{spec.file}").run()
            assert not at.exception, spec.key
            found[spec.key] = hits(_payload(at), gone)
        for cid in old:
            at.query_params["case"] = str(cid)
            at.switch_page("pages/staff/case.py").run()
            assert not at.exception and "case" in at.query_params
            found[f"case {cid}"] = hits(_payload(at), gone)
        at.query_params.pop("case", None)
        for p in gone[:6]:
            at.switch_page("pages/staff/workbench.py").run()
            box = next((ti for ti in at.text_input if "search" in (ti.key or "")), None)
            if box is not None:
                box.set_value(p.id_number).run()
                found[f"search {p.n}"] = hits(_payload(at), gone)
        public = make_app()
        public.run()
        for spec in PAGES:
            if spec.permission is None:
                public.switch_page(f"pages/{spec.file}").run()
                text = _payload(public)
                found[f"public {spec.key}"] = hits(text, gone + kept) + ID_18.findall(text)
        with db.read() as s:
            filters = Filters(Period(date(2000, 1, 1), clock.today()))
            found["case export"] = hits(_unzipped(case_export.export_cases_xlsx(s, actor=actor, filters=filters)), gone)
            report = reports.build_report(s, actor=actor, period=filters.period)
            found["report"] = hits(_unzipped(reports.report_xlsx(s, actor=actor, report=report)), gone)
        for cid in old[:4]:
            for choice in documents.list_documents(db, actor=actor, case_id=cid).choices:
                if choice.reason is None:
                    doc = documents.generate_document(db, actor=actor, case_id=cid, key=choice.key)
                    found[f"doc {cid} {choice.key}"] = hits(_unzipped(doc.content), gone)
        with db.write() as s:
            assert subject_export(s, id_number=gone[0].id_number) == {"parties": []}
    finally:
        root.removeHandler(logs)
    found["logs"] = hits("\n".join(logs.lines), gone + kept)
    if db.dialect == "sqlite":
        copy = tmp_path / "after.db"
        backup(db.url, str(copy))
        db.dispose()
        found["database file and wal"] = hits(db_bytes(db), gone)
        found["backup"] = hits(copy.read_bytes(), gone)
    leaks = {k: v for k, v in found.items() if v}
    assert leaks == {}
    assert len(found) > len(PAGES) + OLD  # the sweep really went everywhere
