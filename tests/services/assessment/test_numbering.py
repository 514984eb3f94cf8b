"""Numbers offices print (issue 19): a pattern per organisation as data, gap-free and unique under concurrent
writers on both engines, starting again at 0001 at 00:00 China time on 1 January."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import time_machine
from sqlmodel import select

from models import Case, CaseNumber
from services.assessment import numbering
from services.core.errors import PermissionDenied, ValidationFailed
from tests.factories import make_actor, make_case, make_tree

MIDYEAR = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def tree_with_rule(db):
    with db.write() as s:
        tree = make_tree(s)
        office = make_actor(s, tree["county"], ["coordinator"])
        numbering.set_rule(s, actor=office, org_id=tree["county"].id, pattern=numbering.DEFAULT_PATTERN)
    return tree, office


def test_create_case_numbers_in_office_pattern(db, tree_with_rule):
    tree, _ = tree_with_rule
    with time_machine.travel(MIDYEAR, tick=False), db.write() as s:
        first, second = make_case(s, tree["v1"]), make_case(s, tree["v1"])
        other = make_case(s, tree["v2"])
    assert (first.case_no, second.case_no) == ("（2026）东村人调字第0001号", "（2026）东村人调字第0002号")
    assert other.case_no == "（2026）西村人调字第0001号"  # one sequence per organisation


def test_keep_existing_numbers_when_rule_arrives(db):
    with time_machine.travel(MIDYEAR, tick=False), db.write() as s:
        tree = make_tree(s)
        old = make_case(s, tree["v1"])
        office = make_actor(s, tree["county"], ["coordinator"])
        numbering.set_rule(
            s, actor=office, org_id=tree["county"].id, pattern="（{year}）江安人调字第{seq:04d}号", scope="rule"
        )
        new_v1, new_v2 = make_case(s, tree["v1"]), make_case(s, tree["v2"])
    with db.read() as s:
        assert s.get(Case, old.id).case_no == "2026-V1-00001"
    assert (new_v1.case_no, new_v2.case_no) == ("（2026）江安人调字第0001号", "（2026）江安人调字第0002号")


def test_restart_sequence_at_china_new_year(db, tree_with_rule):
    tree, _ = tree_with_rule
    with time_machine.travel(datetime(2026, 12, 31, 15, 59, 59, tzinfo=UTC), tick=False), db.write() as s:
        last_of_year = make_case(s, tree["v1"])  # 23:59:59 on 31 December in China
    with time_machine.travel(datetime(2026, 12, 31, 16, 0, 0, tzinfo=UTC), tick=False), db.write() as s:
        first_of_year = make_case(s, tree["v1"])  # 00:00 on 1 January in China, still 2026 in UTC
    assert last_of_year.case_no == "（2026）东村人调字第0001号"
    assert first_of_year.case_no == "（2027）东村人调字第0001号"


def test_number_200_concurrent_cases_gap_free(db, tree_with_rule):
    tree, _ = tree_with_rule
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    gate = threading.Barrier(20)

    def create(n: int) -> None:
        if n < 20:
            gate.wait(timeout=30)
        try:
            with db.write() as s:
                make_case(s, tree["v1"])
            outcome = "ok"
        except Exception as err:  # an uncaught error is what this test looks for
            outcome = f"{type(err).__name__}:{str(err)[:120]}"
        with lock:
            outcomes[outcome] += 1

    with time_machine.travel(MIDYEAR, tick=True), ThreadPoolExecutor(max_workers=20) as pool:
        list(pool.map(create, range(200)))
    assert outcomes == Counter({"ok": 200})
    with db.read() as s:
        numbers = s.exec(select(Case.case_no).where(Case.org_id == tree["v1"].id)).all()
        seqs = sorted(s.exec(select(CaseNumber.seq)).all())
    assert len(set(numbers)) == 200
    assert seqs == list(range(1, 201))
    assert {f"（2026）东村人调字第{n:04d}号" for n in range(1, 201)} == set(numbers)


def test_give_number_back_when_case_rolls_back(db, tree_with_rule):
    tree, _ = tree_with_rule
    with time_machine.travel(MIDYEAR, tick=False):
        with pytest.raises(ValidationFailed), db.write() as s:
            make_case(s, tree["v1"])
            raise ValidationFailed("error.validation")  # the transaction fails after the number was taken
        with db.write() as s:
            case = make_case(s, tree["v1"])
    assert case.case_no.endswith("第0001号")


@pytest.mark.parametrize(
    ("pattern", "scope", "key"),
    [
        ("（{year}）人调字第号", "org", "error.numbering_pattern_fields"),
        ("{seq:04d}", "org", "error.numbering_pattern_fields"),
        ("（{year}）{name}第{seq}号", "org", "error.numbering_pattern_fields"),
        ("（{year}）人调字第{seq:04d}号", "org", "error.numbering_org_missing"),
        ("（{year:x}）{org_code}第{seq}号", "org", "error.numbering_pattern_invalid"),
        ("（{year}）{org_code}" + "很长" * 20 + "{seq}", "org", "error.numbering_too_long"),
    ],
)
def test_set_rule_refuses_bad_pattern(db, pattern, scope, key):
    with db.write() as s:
        tree = make_tree(s)
        office = make_actor(s, tree["county"], ["coordinator"])
        with pytest.raises(ValidationFailed) as err:
            numbering.set_rule(s, actor=office, org_id=tree["county"].id, pattern=pattern, scope=scope)
    assert err.value.key == key


def test_set_rule_refused_to_mediator(db):
    with db.write() as s:
        tree = make_tree(s)
        mediator = make_actor(s, tree["v1"], ["mediator"])
        with pytest.raises(PermissionDenied):
            numbering.set_rule(s, actor=mediator, org_id=tree["v1"].id, pattern=numbering.DEFAULT_PATTERN)
