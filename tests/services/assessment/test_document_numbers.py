"""Document numbers by pattern (issue 19 item 4): an office's rule for a document kind numbers that document once
per case, gap-free per China-time year, unique under concurrent writers; documents and cases without a rule keep
what they print."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import time_machine
from sqlmodel import select

from models import Case, DocumentNumber
from services.assessment import numbering
from services.core.errors import ValidationFailed
from tests.factories import make_actor, make_case, make_tree

MIDYEAR = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
AGREEMENT = "（{year}）{org_short}调协字第{seq:04d}号"


@pytest.fixture
def county_rule(db):
    """A county rule for agreements, one sequence for the whole county; cases keep their built-in numbers."""
    with time_machine.travel(MIDYEAR, tick=False), db.write() as s:
        tree = make_tree(s)
        office = make_actor(s, tree["county"], ["coordinator"])
        old = make_case(s, tree["v1"])
        rule = numbering.set_rule(
            s, actor=office, org_id=tree["county"].id, pattern=AGREEMENT, short="江安", scope="rule", kind="agreement"
        )
        cases = [make_case(s, tree["v1"]), make_case(s, tree["v2"])]
    return tree, office, old, rule, [c.id for c in cases]


def _number(db, case_id: int, kind: str = "agreement") -> str | None:
    with db.write() as s:
        case = s.get(Case, case_id)
        assert case is not None
        return numbering.document_number(s, case, kind)


def test_number_documents_in_the_office_pattern(db, county_rule):
    tree, _, old, rule, (a, b) = county_rule
    with time_machine.travel(MIDYEAR, tick=False):
        first, second = _number(db, a), _number(db, b)
        again = _number(db, a)  # a re-issue prints the same number
        unruled = _number(db, a, "oral_agreement")  # no rule for this kind: printed as before
        old_no = _number(db, old.id)  # a case from before the rule: its agreement is numbered when first asked
    assert (first, second, again) == ("（2026）江安调协字第0001号", "（2026）江安调协字第0002号", first)
    assert unruled is None and old_no == "（2026）江安调协字第0003号"
    with db.read() as s:
        assert s.get(Case, old.id).case_no == old.case_no  # case numbers are untouched by a document rule
        assert numbering.rule_for(s, tree["v1"]) is None and numbering.rule_for(s, tree["v1"], "agreement") == rule
        assert numbering.numbered_document(s, a, "agreement") == first
        assert numbering.preview(s, tree["v1"], 2026, "agreement") == "（2026）江安调协字第0004号"


def test_restart_document_sequence_at_china_new_year(db, county_rule):
    _, _, _, _, (a, b) = county_rule
    with time_machine.travel(datetime(2026, 12, 31, 15, 59, 59, tzinfo=UTC), tick=False):
        last = _number(db, a)  # 23:59:59 on 31 December in China
    with time_machine.travel(datetime(2026, 12, 31, 16, 0, 0, tzinfo=UTC), tick=False):
        first = _number(db, b)  # 00:00 on 1 January in China
    assert (last, first) == ("（2026）江安调协字第0001号", "（2027）江安调协字第0001号")


def test_a_new_rule_leaves_numbers_taken(db, county_rule):
    tree, office, _, _, (a, b) = county_rule
    with time_machine.travel(MIDYEAR, tick=False):
        before = _number(db, a)
        with db.write() as s:
            numbering.set_rule(
                s, actor=office, org_id=tree["v2"].id, pattern="{org_code}-{year}-{seq:03d}", kind="agreement"
            )
        after = _number(db, b)
        kept = _number(db, a)
    assert (before, after, kept) == ("（2026）江安调协字第0001号", "V2-2026-001", before)


def test_refuse_a_kind_no_rule_may_number(db, county_rule):
    tree, office, *_ = county_rule
    with db.write() as s, pytest.raises(ValidationFailed) as err:
        numbering.set_rule(s, actor=office, org_id=tree["county"].id, pattern=AGREEMENT, short="江安", kind="dossier")
    assert err.value.key == "error.numbering_kind"


def test_number_concurrent_documents_gap_free_and_once_per_case(db, county_rule):
    tree, _, _, _, _ = county_rule
    with time_machine.travel(MIDYEAR, tick=False), db.write() as s:
        ids = [make_case(s, tree["v1" if n % 2 else "v2"]).id for n in range(30)]
    outcomes: Counter[str] = Counter()
    taken: dict[int, set[str]] = {}
    lock = threading.Lock()
    gate = threading.Barrier(10)

    def number(n: int) -> None:
        case_id = ids[n % 30]  # every case asked for twice, by two writers
        if n < 10:
            gate.wait(timeout=30)
        try:
            text = _number(db, case_id)
            outcome = "ok"
        except Exception as err:  # an uncaught error is what this test looks for
            text, outcome = None, f"{type(err).__name__}:{str(err)[:120]}"
        with lock:
            outcomes[outcome] += 1
            taken.setdefault(case_id, set()).add(str(text))

    with time_machine.travel(MIDYEAR, tick=True), ThreadPoolExecutor(max_workers=10) as pool:
        list(pool.map(number, range(60)))
    assert outcomes == Counter({"ok": 60})
    assert all(len(texts) == 1 for texts in taken.values()) and len(taken) == 30
    with db.read() as s:
        rows = s.exec(select(DocumentNumber.seq, DocumentNumber.text)).all()
    assert sorted(seq for seq, _ in rows) == list(range(1, 31))
    assert {text for _, text in rows} == {f"（2026）江安调协字第{n:04d}号" for n in range(1, 31)}
    assert {t for texts in taken.values() for t in texts} == {text for _, text in rows}


def test_print_the_agreement_under_its_office_number_and_keep_it_on_reissue(db):
    """An office's agreement pattern is what the printed agreement's 编号 says; printing again keeps the number."""
    from models import Organisation
    from services.documents import catalog as documents
    from tests.services.documents.test_catalog import build_demo_case, docx_text

    demo = build_demo_case(db)
    with db.write() as s:
        case = s.get(Case, demo.case_id)
        assert case is not None
        org = s.get(Organisation, case.org_id)
        office = make_actor(s, org, ["coordinator"])
        numbering.set_rule(
            s, actor=office, org_id=case.org_id, pattern=AGREEMENT, short="凤凰", scope="rule", kind="agreement"
        )

    def printed(key: str) -> str:
        return docx_text(documents.generate_document(db, actor=demo.mediator, case_id=demo.case_id, key=key).content)

    first, again = printed("agreement"), printed("agreement")
    assert "编号：（" in first and "凤凰调协字第0001号" in first and "凤凰调协字第0001号" in again
    assert f"编号：{demo.case_no}" in printed("intake")  # papers without a rule print the case number as before
