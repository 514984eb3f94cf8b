"""卷宗评查 (issue 19): the checklist as data, what the system sees filled, a reproducible sample per organisation
and quarter, grades by bands, and a 不合格 dossier holding the subsidy claim until corrected and re-reviewed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from models import Agreement, LedgerEntry, MediationSession, SubsidyClaim
from services.assessment import dossier_review as review_svc
from services.assessment import dossier_sample
from services.assessment.dossier_review import ItemScore
from services.core import clock
from services.core.errors import PermissionDenied, ValidationFailed
from services.ledger import claims as ledger
from tests.factories import make_actor
from tests.ledger_factories import make_world, succeeded_case


def _quarter() -> int:
    return review_svc.quarter_of(clock.today())


@pytest.fixture
def world(db):
    with db.write() as s:
        w = make_world(s)
        reviewer = make_actor(s, w.tree["county"], ["coordinator"])
    return w, reviewer


def _all_full(lines) -> dict[str, ItemScore]:
    return {line.key: ItemScore(present=True, points=line.max_points) for line in lines}


def _all_missing(lines) -> dict[str, ItemScore]:
    return {line.key: ItemScore(present=False, points=0, remark="缺") for line in lines}


def test_draw_same_sample_for_same_seed(db, world):
    w, reviewer = world
    with db.write() as s:
        ids = [succeeded_case(s, w.tree["v1"], mediator_id=w.mediator_id).id for _ in range(14)]
        first = dossier_sample.draw_sample(s, actor=reviewer, org_id=w.tree["v1"].id, quarter=_quarter(), seed="一季度")
        again = dossier_sample.draw_sample(s, actor=reviewer, org_id=w.tree["v1"].id, quarter=_quarter(), seed="一季度")
    assert first.id == again.id and first.case_ids == again.case_ids
    assert len(first.case_ids) == 10 and set(first.case_ids) <= set(ids)  # the default size rule: 10
    # the draw itself is reproducible from the seed alone, and another seed draws differently
    redo = dossier_sample.draw(ids, org_id=w.tree["v1"].id, quarter=_quarter(), seed="一季度", size=10)
    other = dossier_sample.draw(ids, org_id=w.tree["v1"].id, quarter=_quarter(), seed="复查", size=10)
    assert redo == first.case_ids and other != redo


def test_pick_sample_refuses_case_outside_quarter(db, world):
    w, reviewer = world
    with db.write() as s:
        inside = succeeded_case(s, w.tree["v1"]).id
        old = succeeded_case(s, w.tree["v1"], concluded=datetime(2020, 5, 1, tzinfo=UTC)).id
        picked = dossier_sample.pick_sample(
            s, actor=reviewer, org_id=w.tree["v1"].id, quarter=_quarter(), case_ids=[inside]
        )
        assert picked.method == "manual" and picked.case_ids == [inside]
        with pytest.raises(ValidationFailed):
            dossier_sample.pick_sample(s, actor=reviewer, org_id=w.tree["v1"].id, quarter=_quarter(), case_ids=[old])


def test_prefill_items_the_system_sees(db, world):
    w, reviewer = world
    with db.write() as s:
        case = succeeded_case(s, w.tree["v1"], agreement_kind="written")
        s.add(MediationSession(case_id=case.id, held_at=datetime.now(UTC), notes="调解"))
        s.add(Agreement(case_id=case.id, kind="written", terms="赔偿500元", performance="fulfilled"))
        s.flush()
        _, _, lines = review_svc.draft(s, actor=reviewer, case_id=case.id)
    seen = {line.key: line.seen for line in lines}
    assert seen["session_record"] is True and seen["agreement"] is True and seen["performance"] is True
    assert seen["follow_up"] is False and seen["confirmation"] is False
    assert seen["back_cover"] is None  # the reviewer judges it
    required = {line.key for line in lines if line.required}
    assert {"agreement", "follow_up", "back_cover"} <= required and "confirmation" not in required


def test_score_counts_required_and_present_optional_items():
    lines = [
        review_svc.DraftItem("a", "申请书", 10, True, "", None),
        review_svc.DraftItem("b", "委托书", 4, False, "", None),
        review_svc.DraftItem("c", "协议书", 10, True, "", None),
    ]
    score, stored = review_svc.score_items(
        lines, {"a": ItemScore(True, 10), "b": ItemScore(False, 0), "c": ItemScore(True, 5, "未签字")}
    )
    assert score == 75.0  # (10 + 5) ÷ (10 + 10); the absent optional item does not count
    assert stored["c"]["remark"] == "未签字" and stored["b"]["counts"] is False
    assert review_svc.grade_for(review_svc.DEFAULT_BANDS, 75.0)["grade"] == "pass"
    assert review_svc.grade_for(review_svc.DEFAULT_BANDS, 59.9)["grade"] == "fail"
    with pytest.raises(ValidationFailed):
        review_svc.score_items(lines, {"a": ItemScore(True, 11)})


def test_hold_claim_until_dossier_corrected_and_rereviewed(db, world):
    w, reviewer = world
    with db.write() as s:
        case = succeeded_case(s, w.tree["v1"], mediator_id=w.mediator_id, auditor=w.auditor)
        claim = ledger.claim_case(s, actor=w.mediator, case_id=case.id)
        assert claim.status == "claimed"
        _, _, lines = review_svc.draft(s, actor=reviewer, case_id=case.id)
        failed = review_svc.save_review(
            s, actor=reviewer, case_id=case.id, scores=_all_missing(lines), remarks="卷宗不全"
        )
    assert failed.grade == "fail" and failed.holds_subsidy and failed.round == 1
    with db.read() as s:
        held = s.get(SubsidyClaim, claim.id)
        assert held.status == "held" and held.hold_reason.startswith("dossier=fail:")
        hold = s.exec(select(LedgerEntry).where(LedgerEntry.claim_id == claim.id, LedgerEntry.action == "hold")).one()
        assert hold.note == held.hold_reason
    with pytest.raises(ValidationFailed) as err, db.write() as s:
        ledger.release_hold(s, actor=w.auditor, claim_id=claim.id, note="已经核实")
    assert err.value.key == "error.ledger_dossier_failed"
    with db.write() as s:  # the office corrects the dossier; a second round passes
        passed = review_svc.save_review(s, actor=reviewer, case_id=case.id, scores=_all_full(lines))
        assert passed.round == 2 and passed.grade == "excellent"
        ledger.release_hold(s, actor=w.auditor, claim_id=claim.id, note="卷宗整改后复查合格")
        assert ledger.audit_claim(s, actor=w.auditor, claim_id=claim.id).status == "audited"


def test_claim_after_failed_review_is_held_with_reason(db, world):
    w, reviewer = world
    with db.write() as s:
        case = succeeded_case(s, w.tree["v1"], mediator_id=w.mediator_id, auditor=w.auditor)
        _, _, lines = review_svc.draft(s, actor=reviewer, case_id=case.id)
        review_svc.save_review(s, actor=reviewer, case_id=case.id, scores=_all_missing(lines))
        claim = ledger.claim_case(s, actor=w.mediator, case_id=case.id)
    assert claim.status == "held" and "dossier=fail" in claim.hold_reason


def test_save_review_once_per_form_token(db, world):
    w, reviewer = world
    with db.write() as s:
        case = succeeded_case(s, w.tree["v1"])
        _, _, lines = review_svc.draft(s, actor=reviewer, case_id=case.id)
        one = review_svc.save_review(s, actor=reviewer, case_id=case.id, scores=_all_full(lines), form_token="tok-1")
        two = review_svc.save_review(s, actor=reviewer, case_id=case.id, scores=_all_full(lines), form_token="tok-1")
    assert one.id == two.id and one.round == 1


def test_review_refused_to_mediator(db, world):
    w, _ = world
    with db.write() as s:
        case = succeeded_case(s, w.tree["v1"])
        with pytest.raises(PermissionDenied):
            review_svc.draft(s, actor=w.mediator, case_id=case.id)


def test_save_checklist_versions_and_validates(db, world):
    w, reviewer = world
    with db.write() as s:
        items = review_svc.default_items()[:3]
        saved = review_svc.save_checklist(
            s,
            actor=reviewer,
            region_org_id=w.tree["county"].id,
            items=items,
            bands=review_svc.DEFAULT_BANDS,
            sample_size=5,
        )
        assert saved.version == 1 and review_svc.checklist_for(s, w.tree["v1"]).id == saved.id
        with pytest.raises(ValidationFailed):
            review_svc.save_checklist(
                s,
                actor=reviewer,
                region_org_id=w.tree["county"].id,
                items=items,
                bands=[{"grade": "x", "min": 50}],
                sample_size=5,
            )
