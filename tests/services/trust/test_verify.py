"""Verifiable documents: the QR code on an issued document leads to /verify's facts; the digest check; a new
version supersedes; revocation; the rate limit; `manage.py verify`'s facts."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from sqlmodel import col, select

from models import Agreement, AuditLog, VerificationIssue
from services.core.errors import NotFound, PermissionDenied
from services.core.ratelimit import RateLimited
from services.documents import catalog as documents
from services.trust import verify
from tests.services.documents.test_catalog import build_demo_case


def qr_text(content: bytes, tmp_path: Path) -> str:
    """The text of the QR code printed in a DOCX, read by zbarimg as a phone would."""
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        images = [n for n in zf.namelist() if n.startswith("word/media/")]
        assert images, "no QR image in the document"
        path = tmp_path / "qr.png"
        path.write_bytes(zf.read(images[-1]))
    out = subprocess.run(["zbarimg", "--raw", "-q", str(path)], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def code_of(url: str) -> str:
    return url.split("code=", 1)[1]


needs_zbar = pytest.mark.skipif(shutil.which("zbarimg") is None, reason="zbarimg (zbar-tools) is not installed")


@needs_zbar
def test_issue_agreement_with_qr_code_and_verify_it(db, tmp_path):
    demo = build_demo_case(db)
    doc = documents.generate_document(db, actor=demo.mediator, case_id=demo.case_id, key="agreement")
    url = qr_text(doc.content, tmp_path)
    assert url.startswith("http://127.0.0.1:8501/verify?code=")
    view = verify.lookup(db, code=code_of(url), client="1.2.3.4")
    assert view.state == "valid" and view.kind == "agreement" and view.case_no == demo.case_no
    assert view.parties == [("applicant", "张某"), ("respondent", "李某")]
    assert view.org_name and view.changed_on is None
    assert verify.check_file(db, code=code_of(url), client="1.2.3.4", content=doc.content)
    assert verify.check_file(db, code=code_of(url), client="1.2.3.4", digest=verify.sha256(doc.content).upper())
    assert not verify.check_file(db, code=code_of(url), client="1.2.3.4", content=doc.content[:-1] + b"x")


def test_same_content_keeps_its_code_and_bytes(db):
    demo = build_demo_case(db)
    first = documents.generate_document(db, actor=demo.mediator, case_id=demo.case_id, key="agreement")
    again = documents.generate_document(db, actor=demo.mediator, case_id=demo.case_id, key="agreement")
    assert first.content == again.content
    with db.read() as s:
        issues = s.exec(select(VerificationIssue).where(VerificationIssue.doc_key == "agreement")).all()
    assert len(issues) == 1 and issues[0].state == "valid" and len(issues[0].code) == 16


def test_new_version_supersedes_the_old_code(db):
    demo = build_demo_case(db)
    documents.generate_document(db, actor=demo.mediator, case_id=demo.case_id, key="agreement")
    with db.write() as s:
        old = s.exec(select(VerificationIssue).where(VerificationIssue.doc_key == "agreement")).one()
        agreement = s.exec(select(Agreement).where(Agreement.case_id == demo.case_id)).one()
        agreement.terms += "\n三、补充条款。"
        s.add(agreement)
    new = documents.generate_document(db, actor=demo.mediator, case_id=demo.case_id, key="agreement")
    stale = verify.lookup(db, code=old.code, client="c")
    assert stale.state == "superseded" and stale.changed_on is not None
    assert not verify.check_file(db, code=old.code, client="c", content=new.content)
    with db.read() as s:
        rows = s.exec(select(VerificationIssue).where(VerificationIssue.doc_key == "agreement")).all()
        logged = s.exec(select(AuditLog).where(AuditLog.action == "document.verify_issue")).all()
    fresh = next(r for r in rows if r.state == "valid")
    assert verify.check_file(db, code=fresh.code, client="c", content=new.content)
    assert len(rows) == 2 and next(r for r in rows if r.id == old.id).superseded_by == fresh.id
    assert [a.detail["supersedes"] for a in logged] == [None, old.id]


def test_every_issued_kind_carries_a_code(db):
    demo = build_demo_case(db)
    for key in ("intake", "session:1", "performance_certificate", "followup:1", "judicial_packet", "dossier"):
        real_key = key
        if ":" in key:
            real_key = next(
                c.key
                for c in documents.list_documents(db, actor=demo.mediator, case_id=demo.case_id).choices
                if c.kind == key.split(":")[0]
            )
        documents.generate_document(db, actor=demo.mediator, case_id=demo.case_id, key=real_key)
    with db.read() as s:
        kinds = set(s.exec(select(VerificationIssue.kind)).all())
    assert kinds == {"intake", "session", "performance_certificate", "followup", "judicial_packet", "dossier"}


def test_dossier_cover_is_stamped_and_the_zip_checks_out(db):
    demo = build_demo_case(db)
    zipped = documents.generate_document(db, actor=demo.mediator, case_id=demo.case_id, key="dossier")
    with zipfile.ZipFile(io.BytesIO(zipped.content)) as zf:
        cover = zf.read(next(n for n in zf.namelist() if n.endswith("01_卷宗封面.docx")))
    with db.read() as s:
        issue = s.exec(select(VerificationIssue).where(VerificationIssue.kind == "dossier")).one()
    assert verify.check_file(db, code=issue.code, client="c", content=zipped.content)
    assert verify.check_file(db, code=issue.code, client="c", content=cover)
    assert verify.format_code(issue.code).encode() not in zipped.content  # compressed, but the cover says it:
    assert "文书核验码" in zipfile.ZipFile(io.BytesIO(cover)).read("word/document.xml").decode()


def test_revoke_an_issue(db):
    demo = build_demo_case(db)
    documents.generate_document(db, actor=demo.mediator, case_id=demo.case_id, key="agreement")
    [row] = verify.case_issues(db, actor=demo.mediator, case_id=demo.case_id)
    with pytest.raises(PermissionDenied):
        verify.revoke_issue(db, actor=demo.mediator, issue_id=row.id, reason="签错")
    verify.revoke_issue(db, actor=demo.coordinator, issue_id=row.id, reason="当事人签名有误")
    view = verify.lookup(db, code=row.code, client="c")
    assert view.state == "revoked" and view.changed_on is not None
    facts = verify.facts(db, code=row.code)
    assert facts["state"] == "revoked" and facts["parties"][0] == {"side": "applicant", "name": "张某"}
    with db.read() as s:
        assert s.exec(select(AuditLog).where(AuditLog.action == "document.verify_revoke")).one()
    documents.generate_document(db, actor=demo.mediator, case_id=demo.case_id, key="agreement")
    assert [r.state for r in verify.case_issues(db, actor=demo.mediator, case_id=demo.case_id)] == ["valid", "revoked"]


def test_unknown_code_and_rate_limit(db):
    with pytest.raises(NotFound):
        verify.lookup(db, code="ABCD-EFGH-JKMN-PQRS", client="9.9.9.9")
    for _ in range(verify.VERIFY_CLIENT_LIMIT.max_hits - 1):
        with pytest.raises(NotFound):
            verify.lookup(db, code="ABCD-EFGH-JKMN-PQRS", client="9.9.9.9")
    with pytest.raises(RateLimited):
        verify.lookup(db, code="ABCD-EFGH-JKMN-PQRS", client="9.9.9.9")
    with pytest.raises(NotFound):  # another client is not held back
        verify.lookup(db, code="ABCD-EFGH-JKMN-PQRS", client="9.9.9.8")


def test_codes_are_long_and_distinct():
    codes = {verify.new_code() for _ in range(500)}
    assert len(codes) == 500 and all(len(c) == 16 for c in codes)
    assert verify.normalise_code(" abcd－efgh jkmn-pqrs ") == "ABCDEFGHJKMNPQRS"


def test_masked_viewer_gets_its_own_issue(db):
    demo = build_demo_case(db)
    choices = documents.list_documents(db, actor=demo.mediator, case_id=demo.case_id).choices
    key = next(c.key for c in choices if c.kind == "session")
    documents.generate_document(db, actor=demo.mediator, case_id=demo.case_id, key=key)
    documents.generate_document(db, actor=demo.court, case_id=demo.case_id, key=key)
    with db.read() as s:
        rows = s.exec(select(VerificationIssue).order_by(col(VerificationIssue.id))).all()
    assert [(r.doc_key, r.state) for r in rows] == [(key, "valid"), (f"{key}/masked", "valid")]


def test_manage_verify_prints_the_facts_as_json(db, monkeypatch, capsys):
    import json

    from cli.command import dispatch
    from cli.registry import commands
    from services.core.config import get_settings

    demo = build_demo_case(db)
    documents.generate_document(db, actor=demo.mediator, case_id=demo.case_id, key="agreement")
    [row] = verify.case_issues(db, actor=demo.mediator, case_id=demo.case_id)
    monkeypatch.setenv("DATABASE_URL", db.url)
    get_settings.cache_clear()
    assert dispatch(commands(), ["verify", row.code.lower()]) == 0
    facts = json.loads(capsys.readouterr().out)
    assert facts["state"] == "valid" and facts["case_no"] == demo.case_no and facts["kind"] == "agreement"
    assert [p["name"] for p in facts["parties"]] == ["张某", "李某"] and len(facts["sha256"]) == 1
    assert dispatch(commands(), ["verify", "XXXX-XXXX-XXXX-XXXX"]) == 2
