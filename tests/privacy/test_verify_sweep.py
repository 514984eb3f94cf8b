"""/verify in the canary sweep (issue 20): the page a QR code opens shows no personal data of anybody — parties
masked (张某), no phone, ID number or address — for every document issued for canary cases."""

from __future__ import annotations

from sqlmodel import select

from models import VerificationIssue
from services.documents import catalog as documents
from services.trust.verify import format_code
from tests.pages.conftest import make_app  # noqa: F401  (fixture)
from tests.privacy.canary import ID_18, PHONE_11, Canary, hits, seed
from tests.privacy.test_canary_after_retention import _payload, _staff


def test_verify_page_shows_no_personal_data(db, make_app):  # noqa: F811
    _, recent = seed(db, 0, 2)
    people = [Canary(i) for i in range(4)]
    _, actor = _staff(db)
    for cid in recent:
        for choice in documents.list_documents(db, actor=actor, case_id=cid).choices:
            if choice.reason is None:
                documents.generate_document(db, actor=actor, case_id=cid, key=choice.key)
    with db.read() as s:
        codes = list(s.exec(select(VerificationIssue.code)).all())
    assert len(codes) >= 2
    public = make_app()
    public.run()
    for code in codes:
        public.query_params["code"] = format_code(code)
        public.switch_page("pages/public/verify.py").run()
        assert not public.exception
        text = _payload(public)
        assert format_code(code) in text and "有效" in text and "某" in text  # the page did answer, with masked parties
        assert hits(text, people) == [] and ID_18.findall(text) == [] and PHONE_11.findall(text) == []
