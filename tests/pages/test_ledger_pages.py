"""The ledger pages in AppTest: a mediator claims, the office audits, approves, pays and publishes; budgets render."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from models import LedgerEntry, PayoutBatch, SubsidyClaim, User
from services.core import clock
from services.ledger import claims as ledger
from tests.ledger_factories import make_world, succeeded_case, unique_parties
from tests.pages.conftest import page_text

# The pages read and write through the same services the service tests run on both engines.
pytestmark = pytest.mark.parametrize("db", ["sqlite"], indirect=True)


@pytest.fixture
def world(db):
    with db.write() as s:
        return make_world(s)


def _user(db, actor):
    with db.read() as s:
        return s.get(User, actor.user_id)


def _open(make_app, db, actor, page, lang="zh-CN"):
    at = make_app(user=_user(db, actor), lang=lang)
    at.run()
    at.switch_page(f"pages/staff/{page}.py").run()
    assert not at.exception, at.exception
    return at


def _claimed(db, world, n=1, **kw):
    ids = []
    for _ in range(n):
        with db.write() as s:
            case = succeeded_case(s, world.tree["v1"], mediator_id=world.mediator_id, auditor=world.auditor, **kw)
            ids.append(ledger.claim_case(s, actor=world.mediator, case_id=case.id).id)
    return ids


def test_mediator_claims_a_case_from_the_phone(db, make_app, world):
    with db.write() as s:
        case = succeeded_case(s, world.tree["v1"], mediator_id=world.mediator_id, auditor=world.auditor)
    at = _open(make_app, db, world.mediator, "subsidies")
    assert "我的补贴" in page_text(at) and "100.00" in page_text(at)
    at.button(key="subsidies.submit").click().run()
    assert not at.exception
    text = page_text(at)
    assert f"{case.case_no} 已申报 100.00 元" in text and "已申报" in text
    assert "暂无可申报的案件" in text
    with db.read() as s:
        assert s.exec(select(SubsidyClaim)).one().claimed_by == world.mediator.user_id


def test_mediator_sees_why_a_claim_is_held(db, make_app, world):
    parties = unique_parties()
    with db.write() as s:
        first = succeeded_case(
            s, world.tree["v1"], mediator_id=world.mediator_id, auditor=world.auditor, parties=parties
        )
        ledger.claim_case(s, actor=world.mediator, case_id=first.id)
        succeeded_case(s, world.tree["v1"], mediator_id=world.mediator_id, auditor=world.auditor, parties=parties)
    at = _open(make_app, db, world.mediator, "subsidies")
    assert "提交后将暂缓待核" in page_text(at) and first.case_no in page_text(at)
    at.button(key="subsidies.submit").click().run()
    assert "暂缓待核" in page_text(at) and "疑似拆分案件" in page_text(at)


def test_office_audits_then_another_approves(db, make_app, world):
    (claim_id,) = _claimed(db, world)
    at = _open(make_app, db, world.auditor, "ledger")
    assert "补贴台账" in page_text(at) and [m.value for m in at.metric][:2] == ["1", "100.00"]
    at.radio(key="ledger.action").set_value("audit")
    at.text_area(key="ledger.why").input("卷宗齐全")
    at.button(key="ledger.go").click().run()
    assert not at.exception and "审核通过，已记入台账" in page_text(at)
    at = _open(make_app, db, world.approver, "ledger")
    at.radio(key="ledger.action").set_value("approve")
    at.button(key="ledger.go").click().run()
    assert not at.exception and "审批同意" in page_text(at)
    with db.read() as s:
        entries = s.exec(select(LedgerEntry).where(LedgerEntry.claim_id == claim_id).order_by(LedgerEntry.id)).all()
    assert [(e.action, e.actor_id, e.note) for e in entries] == [
        ("claim", world.mediator.user_id, ""),
        ("audit", world.auditor.user_id, "卷宗齐全"),
        ("approve", world.approver.user_id, ""),
    ]


def test_office_cannot_approve_own_bulk_claim_and_sees_why(db, make_app, world):
    with db.write() as s:
        succeeded_case(s, world.tree["v1"], mediator_id=world.mediator_id, auditor=world.auditor)
    at = _open(make_app, db, world.auditor, "ledger")
    at.date_input(key="ledger.bulk_from").set_value(clock.today() - timedelta(days=30))  # closed 2 days ago
    at.button(key="ledger.bulk_go").click().run()
    assert "已申报 1 笔" in page_text(at)
    at.radio(key="ledger.action").set_value("audit")
    at.button(key="ledger.go").click().run()
    assert "申报人不能审核自己申报的补贴" in page_text(at)


def test_payouts_batch_sheet_paid_once_and_published(db, make_app, world):
    for claim_id in _claimed(db, world, 2):
        with db.write() as s:
            ledger.audit_claim(s, actor=world.auditor, claim_id=claim_id)
            ledger.approve_claim(s, actor=world.approver, claim_id=claim_id)
    at = _open(make_app, db, world.payer, "payouts")
    assert "2 笔 · 200.00 元" in page_text(at)
    at.button(key="payouts.create_go").click().run()
    assert not at.exception and "合计 200.00 元" in page_text(at)
    sheet = at.get("download_button")[0]
    assert sheet is not None
    at.button(key="payouts.pay_go").click().run()
    assert "请先勾选确认" in page_text(at)
    at.checkbox(key="payouts.confirm").check()
    at.button(key="payouts.pay_go").click().run()
    assert not at.exception and "已发放：2 笔，200.00 元" in page_text(at)
    at.button(key="payouts.publish_go").click().run()
    assert "已公示" in page_text(at) and "公示至" in page_text(at)
    with db.read() as s:
        batch = s.exec(select(PayoutBatch)).one()
        pays = s.exec(select(LedgerEntry).where(LedgerEntry.action == "pay")).all()
    assert batch.status == "paid" and len(pays) == 2 and batch.notice_until is not None


def test_payout_sheet_download_is_the_finance_layout(db, make_app, world):
    for claim_id in _claimed(db, world, 1):
        with db.write() as s:
            ledger.audit_claim(s, actor=world.auditor, claim_id=claim_id)
            ledger.approve_claim(s, actor=world.approver, claim_id=claim_id)
    at = _open(make_app, db, world.approver, "payouts")
    at.button(key="payouts.create_go").click().run()
    from services.ledger.sheet import payout_workbook

    with db.read() as s:
        data = payout_workbook(s, actor=world.approver, batch_id=s.exec(select(PayoutBatch.id)).one())
    ws = load_workbook(BytesIO(data))["发放汇总"]
    assert ws["A1"].value == "江安县人民调解补贴发放表" and ws["B4"].value == "王调解"


def test_budgets_page_shows_lines_charts_and_saves(db, make_app, world):
    from services.ledger import payout as ledger_payout

    (claim_id,) = _claimed(db, world)
    with db.write() as s:
        ledger.audit_claim(s, actor=world.auditor, claim_id=claim_id)
        ledger.approve_claim(s, actor=world.approver, claim_id=claim_id)
        batch = ledger_payout.create_batch(s, actor=world.approver, region_org_id=world.tree["county"].id)
        ledger_payout.mark_batch_paid(s, actor=world.payer, batch_id=batch.id)
    at = _open(make_app, db, world.approver, "ledger_budgets")
    text = page_text(at)
    assert "预算与支出" in text and "个案补贴" in text and "999,900.00" in text and "已发放 100.00 元" in text
    assert len(at.get("vega_lite_chart")) == 2  # per month and per county
    at.selectbox(key="budgets.region").set_value(world.tree["county"].id)
    at.text_input(key="budgets.amount").input("１２,３４５.６")
    at.selectbox(key="budgets.line").set_value("salary")
    at.button(key="budgets.save_go").click().run()
    assert not at.exception and "预算已保存：12,345.60 元" in page_text(at)
    at.text_input(key="budgets.amount").input("0.1+0.2")
    at.button(key="budgets.save_go").click().run()
    assert "金额无效" in page_text(at)


@pytest.mark.parametrize("page", ["subsidies", "ledger", "payouts", "ledger_budgets"])
def test_pages_in_english_show_no_raw_keys(db, make_app, world, page):
    _claimed(db, world, 1)
    actor = world.mediator if page == "subsidies" else world.approver
    at = _open(make_app, db, actor, page, lang="en")
    text = page_text(at)
    assert "ledger." not in text and "subsidies." not in text and "payouts." not in text and "budgets." not in text
    assert clock.local_now().year > 2000 and text.strip()


def test_mediator_cannot_open_office_pages(db, make_app, world):
    at = make_app(user=_user(db, world.mediator))
    at.run()
    for page in ("ledger", "payouts", "ledger_budgets"):
        with pytest.raises(ValueError):
            at.switch_page(f"pages/staff/{page}.py")


def _bulk_ok(at):
    """The confirmation box of the bulk section (keyed by the exact selection it confirms)."""
    return next(c for c in at.checkbox if str(c.key).startswith("ledger.bulk_ok."))


def test_bulk_approve_of_a_filtered_selection_shows_the_total_first(db, make_app, world):
    ids = _claimed(db, world, 4)
    with db.write() as s:
        for claim_id in ids[:2]:
            ledger.audit_claim(s, actor=world.auditor, claim_id=claim_id)
        ledger.audit_claim(s, actor=world.approver, claim_id=ids[2])  # the approver audited this one himself
    at = _open(make_app, db, world.approver, "ledger")
    at.selectbox(key="ledger.f_status").set_value("audited").run()
    at.radio(key="ledger.bulk_action").set_value("approve").run()
    text = page_text(at)
    assert "当前筛选下可审批同意的申报：3 笔，合计 300.00 元" in text
    at.checkbox(key="ledger.bulk_all").check().run()
    assert [m.value for m in at.metric][-2:] == ["3", "300.00"]  # count and total before anything is done
    assert "其中 1 笔是您本人办理过其他环节的" in page_text(at)
    assert _bulk_ok(at).label == "我已核对笔数和金额：审批同意 3 笔，合计 300.00 元"
    at.button(key="ledger.bulk_review_go").click().run()
    assert "请先核对笔数和金额并勾选确认" in page_text(at)
    with db.read() as s:
        assert s.exec(select(SubsidyClaim).where(SubsidyClaim.status == "approved")).all() == []
    _bulk_ok(at).check().run()
    at.button(key="ledger.bulk_review_go").click().run()
    assert not at.exception
    text = page_text(at)
    assert "批量审批同意：成功 2 笔，合计 200.00 元；已变化 0 笔；被拒绝 1 笔。" in text
    assert "同一人不能既审核又审批同一笔补贴" in text
    with db.read() as s:
        status = {c.id: c.status for c in s.exec(select(SubsidyClaim)).all()}
        approvers = s.exec(select(LedgerEntry.actor_id).where(LedgerEntry.action == "approve")).all()
    assert [status[i] for i in ids] == ["approved", "approved", "audited", "claimed"]
    assert approvers == [world.approver.user_id] * 2
