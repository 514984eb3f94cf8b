"""PRIV-2: the retention job anonymises 100 eligible cases, touches 0 of 100 others, keeps the statistics."""

from __future__ import annotations

import logging
from datetime import date

from sqlmodel import col, select

from models import Agreement, Attachment, AuditLog, Case, CaseEvent, ConfigVersion, FollowUp, MediationSession, Party
from services.core import clock
from services.privacy.retention import run_retention
from services.stats import reports
from services.stats.dashboard import system_actor
from services.stats.sql import Filters, Period
from tests.privacy.canary import Canary, seed

ELIGIBLE, OTHERS = 100, 100


def _snapshot(db, ids):
    """Every column of the cases and their rows, for comparing before and after."""
    with db.read() as s:
        out = []
        for model in (Case, Party, CaseEvent, MediationSession, Agreement, FollowUp, Attachment):
            key = col(model.id) if model is Case else col(model.case_id)
            out += [r.model_dump() for r in s.exec(select(model).where(key.in_(ids)).order_by(col(model.id)))]
        return out


def _figures(db):
    with db.read() as s:
        return reports.summary(s, actor=system_actor(s), filters=Filters(Period(date(2000, 1, 1), clock.today())))


def test_run_retention_anonymises_only_eligible(db, caplog):
    old, new = seed(db, ELIGIBLE, OTHERS)
    before_new, before_stats = _snapshot(db, new), _figures(db)
    with caplog.at_level(logging.INFO, logger="mediation.retention"):
        report = run_retention(db)
    assert (report.eligible, report.anonymised) == (ELIGIBLE, ELIGIBLE)
    assert _snapshot(db, new) == before_new  # 0 non-eligible rows touched
    assert _figures(db) == before_stats  # statistics intact
    people = [Canary(i) for i in range(2 * ELIGIBLE)]
    with db.read() as s:
        parties = s.exec(select(Party).where(col(Party.case_id).in_(old))).all()
        assert len(parties) == 2 * ELIGIBLE
        assert all(
            p.phone == ""
            and p.phone_index is None
            and p.id_number_enc is None
            and p.id_number_index is None
            and p.id_number_masked is None
            and p.address == ""
            and p.name.endswith("某")
            for p in parties
        )
        assert s.exec(select(Attachment.id).where(col(Attachment.case_id).in_(old))).all() == []
        text = repr(_snapshot(db, old))
        assert [v for p in people for v in p.values() if v in text] == []
        assert all(
            c.anonymised_at and c.custom["idn"] == {"masked": ""}  # encrypted custom ID numbers dropped
            for c in s.exec(select(Case).where(col(Case.id).in_(old)))
        )
        run = s.exec(select(AuditLog).where(AuditLog.action == "retention.run")).one()
        assert run.detail["anonymised"] == ELIGIBLE
    assert "anonymised=100" in caplog.text


def test_run_retention_dry_run_changes_nothing(db):
    old, new = seed(db, 3, 2)
    before = _snapshot(db, old + new)
    report = run_retention(db, dry_run=True)
    assert (report.eligible, report.anonymised) == (3, 0)
    assert _snapshot(db, old + new) == before


def test_run_retention_again_finds_nothing(db):
    seed(db, 3, 0)
    assert run_retention(db).anonymised == 3
    assert run_retention(db).eligible == 0


def test_run_retention_reads_the_configured_period(db):
    seed(db, 2, 0)  # closed in 2019
    with db.write() as s:
        s.add(ConfigVersion(key="retention", version=2, value={"years_after_close": 30}))
    assert run_retention(db).eligible == 0
