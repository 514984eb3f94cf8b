"""The case pages through AppTest: the workbench, the case page (scope, reveal, actions), 随手调, intake, hand-overs."""

from __future__ import annotations

from sqlmodel import select

from models import AuditLog, Case, CaseStatus, Party, User
from services.cases.create import PartyInput
from tests.case_factories import accepted_case, handed_over, make_world, succeeded_case
from tests.pages.conftest import page_text


def _user(db, actor) -> User:
    with db.read() as s:
        return s.get(User, actor.user_id)


def _case_page(make_app, user, case_id, at=None):
    if at is None:
        at = make_app(user=user)
        at.run()
    at.query_params["case"] = str(case_id)
    at.switch_page("pages/staff/case.py").run()
    assert not at.exception, at.exception
    return at


def test_workbench_cards_open_the_case_page(db, make_app):
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    at = make_app(user=_user(db, w.mediator))
    at.run()
    at.switch_page("pages/staff/workbench.py").run()
    assert not at.exception
    text = page_text(at)
    assert case.case_no in text and "张某 / 李某" in text and "张三" not in text and "13800" not in text
    at.button(key=f"workbench.open.{case.id}").click().run()
    assert not at.exception
    assert "记录调解" in [e.label for e in at.expander] and at.query_params["case"] == str(case.id)
    assert at.query_params["do"] == "session"


def test_case_page_refuses_foreign_and_missing_alike(db, make_app):
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    user = _user(db, w.mediator2)
    at = _case_page(make_app, user, case.id)
    foreign = ([e.value for e in at.error], page_text(at))
    at = _case_page(make_app, user, case.id + 999, at)
    assert foreign[0] == [e.value for e in at.error] == ["找不到该案件，或您无权查看。"]
    assert case.case_no not in foreign[1] and "张" not in foreign[1]
    for bad in ("abc", "-1", "1 OR 1=1", "9" * 40):
        at = _case_page(make_app, user, bad, at)
        assert "请从工作台或列表中选择一个案件。" in page_text(at) and not at.error


def test_case_page_masks_and_reveal_is_audited(db, make_app):
    w = make_world(db)
    case = accepted_case(
        db,
        w.mediator,
        parties=[
            PartyInput(side="applicant", name="王五", phone="13812345678", id_number="11010519491231002X"),
            PartyInput(side="respondent", name="李四"),
        ],
    )
    with db.read() as s:
        party = s.exec(select(Party).where(Party.case_id == case.id).order_by(Party.id)).first()
    at = _case_page(make_app, _user(db, w.mediator), case.id)
    text = page_text(at)
    assert "138****5678" in text and "1101**********002X" in text and "13812345678" not in text
    at.button(key=f"case.reveal.{party.id}.phone").click().run()
    assert not at.exception and "13812345678" in page_text(at)
    at.run()  # the next run hides it again
    assert "13812345678" not in page_text(at)
    with db.read() as s:
        rows = s.exec(select(AuditLog).where(AuditLog.action == "pii.reveal")).all()
    assert len(rows) == 1 and rows[0].actor_id == w.mediator.user_id
    police = _case_page(make_app, _user(db, w.justice), case.id)  # sees the county's cases, cannot reveal
    assert not [b for b in police.button if b.key and b.key.startswith("case.reveal")]
    assert "王某" in page_text(police) and "王五" not in page_text(police)


def test_case_page_records_a_session_and_an_agreement(db, make_app):
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    at = _case_page(make_app, _user(db, w.mediator), case.id)
    at.text_input(key="case.session.who").input("张三、李四")
    at.text_area(key="case.session.notes").input("双方当面协商")
    at.button(key="FormSubmitter:case.form.session-记录调解").click().run()
    assert not at.exception and "调解记录已保存。" in page_text(at)
    labels = [e.label for e in at.expander]
    assert "调解成功：登记协议" in labels
    at.text_area(key="case.agreement.terms").input("李四赔偿500元")
    at.number_input(key="case.agreement.amount").set_value(500.0)
    at.button(key="FormSubmitter:case.form.agreement-调解成功：登记协议").click().run()
    assert not at.exception and "调解协议已登记，案件调解成功。" in page_text(at)
    with db.read() as s:
        c = s.get(Case, case.id)
    assert c.status == CaseStatus.SUCCEEDED and c.grade_proposed == "standard"


def test_quick_case_page_records_and_closes(db, make_app):
    w = make_world(db)
    at = make_app(user=_user(db, w.mediator))
    at.run()
    at.switch_page("pages/staff/workbench.py").run()
    at.button(key="workbench.quick").click().run()
    assert not at.exception and at.text_input(key="quick_case.parties")  # one tap from the workbench
    at.switch_page("pages/staff/quick_case.py").run()  # AppTest keeps running the page it last switched to
    at.text_input(key="quick_case.parties").input("张三、李四")
    at.text_area(key="quick_case.terms").input("李四当场道歉")
    at.button(key="FormSubmitter:quick_case.form-登记并结案").click().run()
    assert not at.exception, at.exception
    with db.read() as s:
        c = s.exec(select(Case)).one()
    assert c.on_the_spot and c.status == CaseStatus.SUCCEEDED and f"已登记：{c.case_no}" in page_text(at)
    at.button(key="quick_case.next").click().run()  # the result replaced the form; "next" gives an empty one
    at.button(key="FormSubmitter:quick_case.form-登记并结案").click().run()  # an empty resubmit saves nothing
    with db.read() as s:
        assert len(s.exec(select(Case)).all()) == 1


def test_new_case_page_registers_a_dispute(db, make_app):
    w = make_world(db)
    at = make_app(user=_user(db, w.mediator))
    at.run()
    at.switch_page("pages/staff/new_case.py").run()
    assert not at.exception
    at.button(key="new_case.party.add").click().run()
    for i, (name, side) in enumerate((("张三", "applicant"), ("李四", "respondent"), ("王五", "respondent"))):
        at.text_input(key=f"new_case.party.name.{i}").input(name)
        at.selectbox(key=f"new_case.party.side.{i}").set_value(side)
    at.text_input(key="new_case.party.phone.0").input("13812345678")
    at.text_area(key="new_case.description").input("宅基地边界纠纷")
    at.button(key="FormSubmitter:new_case.form-保存").click().run()
    assert not at.exception, at.exception
    with db.read() as s:
        c = s.exec(select(Case)).one()
        sides = [p.side for p in s.exec(select(Party).where(Party.case_id == c.id).order_by(Party.id))]
    assert c.status == CaseStatus.ACCEPTED and sides == ["applicant", "respondent", "respondent"]


def test_handovers_page_police_send_and_receiver_inbox(db, make_app):
    w = make_world(db)
    at = make_app(user=_user(db, w.police))
    at.run()
    at.switch_page("pages/staff/handovers.py").run()
    assert not at.exception
    at.selectbox(key="handovers.to").set_value(w.orgs["v1"].id)
    at.text_input(key="handovers.party.name.0").input("王五")
    at.text_input(key="handovers.party.name.1").input("赵六")
    at.text_area(key="handovers.description").input("110接警：邻里噪音")
    at.button(key="FormSubmitter:handovers.form-移交").click().run()
    assert not at.exception, at.exception
    assert "已移交" in page_text(at)
    case = handed_over(db, w)
    inbox = make_app(user=_user(db, w.mediator))
    inbox.run()
    inbox.switch_page("pages/staff/handovers.py").run()
    assert not inbox.exception and "待接收（2）" in [tab.label for tab in inbox.tabs]
    inbox.button(key=f"handovers.incoming.{case.id}")  # the card exists …


def test_case_page_speaks_both_languages_without_raw_keys(db, make_app):
    import re

    w = make_world(db)
    case = accepted_case(db, w.mediator, group_size=20)
    at = make_app(user=_user(db, w.mediator), lang="en")
    at.run()
    for page in ("pages/staff/workbench.py", "pages/staff/quick_case.py"):
        at.switch_page(page).run()
        assert not at.exception, page
        assert not re.search(
            r"\b(case|event|next|card|flag|form|action|quick|handovers|new_case|workbench)\.[a-z_]+\b", page_text(at)
        ), page
    at = _case_page(make_app, None, case.id, at)
    text = page_text(at) + " ".join(e.label for e in at.expander)
    assert "Record a session" in text and "Group dispute" in text
    assert not re.search(r"\b(case|event|next|card|flag|form|action|side|party)\.[a-z_]+\b", text)


def _links(at) -> dict[str, str]:
    """Each page link on the page: its label → the page and query it opens."""
    return {e.value: f"{e.proto.page}?{e.proto.query_string}" for e in at.page_link}


def test_case_page_offers_the_documents_of_an_agreed_case(db, make_app):
    w = make_world(db)
    case = succeeded_case(db, w.mediator)
    at = _case_page(make_app, _user(db, w.mediator), case.id)
    buttons = {b.key: b.label for b in at.download_button}
    assert buttons["case_links.download.agreement"].startswith("人民调解协议书")
    assert {"case_links.download.intake", "case_links.download.judicial_packet"} <= set(buttons)
    assert any(k.startswith("case_links.download.session:") for k in buttons)
    assert "点一下即可下载 Word 文件，可直接打印。" in page_text(at)
    assert _links(at)["本案全部文书"].endswith(f"documents?case={case.id}")
    with db.read() as s:  # nothing is generated (nor audited) until a document is tapped
        assert not s.exec(select(AuditLog).where(AuditLog.action == "pii.reveal")).all()


def test_case_page_links_to_party_links_and_online_sessions(db, make_app):
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    links = _links(_case_page(make_app, _user(db, w.mediator), case.id))
    assert links["当事人链接"].endswith(f"party-links?case={case.id}")
    assert links["在线调解"].endswith(f"party-links?case={case.id}&show=online")
    onlooker = _links(_case_page(make_app, _user(db, w.justice), case.id))  # sees the case, does not mediate it
    assert "本案全部文书" in onlooker and "当事人链接" not in onlooker and "在线调解" not in onlooker


def test_party_links_page_opens_from_the_case_page_with_online_sessions_first(db, make_app):
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    at = make_app(user=_user(db, w.mediator), query={"case": str(case.id), "show": "online"})
    at.run()
    at.switch_page("pages/staff/party_links.py").run()
    assert not at.exception, at.exception
    assert [h.value for h in at.subheader][:1] == ["在线调解"]
    assert _links(at)["返回案件"].endswith(f"case?case={case.id}")
    assert "?case=" not in page_text(at)
