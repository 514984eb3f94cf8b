"""Issue 22 through AppTest: a saved staff form is replaced by what it saved (a second tap makes no twin), the police
liaison's own room is preselected, a look-alike hand-over asks first, 随手调 offers the office's categories, and a
signed-in mediator enters residents' applications on /intake without the anonymous per-address limit."""

from __future__ import annotations

from sqlmodel import func, select

from models import Case, CaseEvent, DictionaryEntry, Party, User
from services.roster.orgs import create_org
from tests.case_factories import make_world
from tests.factories import make_user
from tests.pages.conftest import page_text

QUICK, HANDOVERS, INTAKE = "pages/staff/quick_case.py", "pages/staff/handovers.py", "pages/public/intake.py"
QUICK_SUBMIT = "FormSubmitter:quick_case.form-登记并结案"
HANDOVER_SUBMIT = "FormSubmitter:handovers.form-移交"


def _user(db, actor) -> User:
    with db.read() as s:
        return s.get(User, actor.user_id)


def _cases(db) -> int:
    with db.read() as s:
        return int(s.exec(select(func.count()).select_from(Case)).one())


def _open(make_app, user, page, **kw):  # type: ignore[no-untyped-def]
    at = make_app(user=user, **kw)
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _submitters(at) -> list[str]:  # type: ignore[no-untyped-def]
    return [b.key for b in at.button if str(b.key).startswith("FormSubmitter:")]


def test_second_tap_on_quick_case_saves_one_case(db, make_app):
    w = make_world(db)
    at = _open(make_app, _user(db, w.mediator), QUICK)
    at.text_input(key="quick_case.parties").input("张三、李四")
    at.text_area(key="quick_case.terms").input("李四当场道歉")
    at.button(key=QUICK_SUBMIT).click().run()
    assert not at.exception, at.exception
    with db.read() as s:
        case = s.exec(select(Case)).one()
    assert f"已登记：{case.case_no}" in page_text(at)
    assert QUICK_SUBMIT not in _submitters(at)  # the browser's filled-in form is gone: a late tap reaches nothing
    at.run()  # a rerun (the second tap's) shows the same result and saves nothing
    assert f"已登记：{case.case_no}" in page_text(at) and _cases(db) == 1
    at.button(key="quick_case.next").click().run()  # a new, empty form with a new token
    assert at.text_input(key="quick_case.parties").value == "" and at.text_area(key="quick_case.terms").value == ""
    at.text_input(key="quick_case.parties").input("王五、赵六")
    at.text_area(key="quick_case.terms").input("赵六赔偿50元")
    at.button(key=QUICK_SUBMIT).click().run()
    assert not at.exception and _cases(db) == 2


def test_quick_case_offers_the_category_the_office_added(db, make_app):
    w = make_world(db)
    with db.write() as s:
        s.add(DictionaryEntry(dictionary="category", code="pasture", label_zh="草场纠纷", label_en="Pasture"))
    at = _open(make_app, _user(db, w.mediator), QUICK)
    pills = at.button_group(key="quick_case.category")
    assert "草场纠纷" in [str(o) for o in pills.options] or "pasture" in [str(o) for o in pills.options]
    assert len(pills.options) > 6  # the dictionary's list, not a fixed six
    at.text_input(key="quick_case.parties").input("张三、李四")
    at.text_area(key="quick_case.terms").input("划清草场界线")
    pills.set_value("pasture")
    at.button(key=QUICK_SUBMIT).click().run()
    with db.read() as s:
        assert s.exec(select(Case.category)).one() == "pasture"


def _station(db, w):  # type: ignore[no-untyped-def]
    with db.write() as s:
        town = create_org(s, code="T2", name="白沙镇", kind="town", parent=w.orgs["county"])
        station = create_org(s, code="PS2", name="白沙派出所", kind="police_station", parent=town)
        room = create_org(s, code="PR2", name="白沙派出所人民调解室", kind="police_room", parent=station)
        officer = make_user(s, station, ["police"])
    return room, officer


def test_police_liaison_finds_own_room_preselected_on_handover_form(db, make_app):
    w = make_world(db)
    room, officer = _station(db, w)
    at = _open(make_app, officer, HANDOVERS)
    assert at.selectbox(key="handovers.to").value == room.id
    assert at.selectbox(key="handovers.to").options[0] == "白沙派出所人民调解室"


def _fill_handover(at, story: str = "110接警：两户因宅基地边界的围墙发生争吵，民警到场劝开。"):  # type: ignore[no-untyped-def]
    at.text_input(key="handovers.party.name.0").input("王五")
    at.text_input(key="handovers.party.name.1").input("赵六")
    at.text_area(key="handovers.description").input(story)
    at.button(key=HANDOVER_SUBMIT).click().run()
    assert not at.exception, at.exception


def test_handover_like_a_recent_one_asks_send_anyway(db, make_app):
    w = make_world(db)
    _, officer = _station(db, w)
    at = _open(make_app, officer, HANDOVERS)
    _fill_handover(at)
    with db.read() as s:
        first = s.exec(select(Case)).one()
    assert f"已移交：{first.case_no}" in page_text(at) and HANDOVER_SUBMIT not in _submitters(at)
    at.button(key="handovers.next").click().run()
    _fill_handover(at, "110接警：两户因宅基地边界围墙发生争吵，民警到场劝开")
    assert first.case_no in "\n".join(w.value for w in at.warning) and _cases(db) == 1
    at.button(key="handovers.send_anyway").click().run()
    assert not at.exception and _cases(db) == 2 and "已移交：" in page_text(at)
    with db.read() as s:
        assert s.exec(select(CaseEvent).where(CaseEvent.kind == "handover.sent_anyway")).one()


def test_signed_in_mediator_enters_six_applications_on_intake_page(db, make_app, monkeypatch):
    monkeypatch.setenv("MEDIATION_INTAKE_MIN_SECONDS", "0")
    monkeypatch.setenv("MEDIATION_INTAKE_CLIENT_LIMIT", "5/600")  # 5 per 10 minutes per address, as deployed
    w = make_world(db)
    at = _open(make_app, _user(db, w.mediator), INTAKE, query={"org": "V1"})
    assert "代为录入" in page_text(at)
    for i in range(6):
        at.text_input(key="intake.applicant_name").input(f"申请人{i}")
        at.text_input(key="intake.applicant_phone").input(f"1391234{i:04d}")
        at.text_input(key="intake.applicant_address").input(f"红桥镇东村{i}组")
        at.text_area(key="intake.description").input(f"第{i}件：邻居家排水沟堵塞，雨水流进我家院子。" * (i + 1))
        at.checkbox(key="intake.consent").check()
        at.button(key="intake.submit").click().run()
        assert not at.exception and at.metric, page_text(at)  # the tracking code, never "too many"
        at.button(key="intake.another").click().run()
    with db.read() as s:
        cases = s.exec(select(Case).where(Case.source == "qr")).all()
        addresses = {p.address for p in s.exec(select(Party).where(Party.side == "applicant")).all()}
    assert len(cases) == 6 and {c.created_by for c in cases} == {w.mediator.user_id}
    assert addresses == {f"红桥镇东村{i}组" for i in range(6)}
