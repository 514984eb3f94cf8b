"""PRIV-1 (staff lists mask phones and ID numbers server-side) and the correction form on the case page."""

from __future__ import annotations

from sqlmodel import col, select

from models import AuditLog, Party, User
from services.cases import record as case_record
from tests.case_factories import accepted_case, make_world
from tests.pages.conftest import make_app, page_text  # noqa: F401  (fixture)
from tests.privacy.canary import ID_18, PHONE_11, Canary
from tests.privacy.test_canary_after_retention import _payload

RECORDS = 100


def _user(db, actor) -> User:
    with db.read() as s:
        return s.get(User, actor.user_id)


def test_staff_lists_show_no_full_numbers(db, make_app):  # noqa: F811
    """PRIV-1: 100 cases with phones and ID numbers; the workbench views, search and the intake queue."""
    w = make_world(db)
    with db.write() as s:
        for n in range(RECORDS // 2):
            last = case_record.register_case(
                s,
                actor=w.mediator,
                data=case_record.StaffCaseInput(
                    source="walk_in",
                    category="neighbour",
                    description="排水沟纠纷",
                    parties=[Canary(2000 + 2 * n).party("applicant"), Canary(2001 + 2 * n).party("respondent")],
                ),
            )
    at = make_app(user=_user(db, w.mediator))
    at.run()
    seen = []
    for page in ("pages/staff/workbench.py", "pages/staff/intake_queue.py", "pages/staff/handovers.py"):
        at.switch_page(page).run()
        assert not at.exception, page
        seen.append(_payload(at))
    at.switch_page("pages/staff/workbench.py").run()
    at.text_input(key="workbench.search").set_value(Canary(2000).phone).run()
    seen.append(_payload(at))
    blob = "\n".join(seen)
    assert last.case_no in blob  # the list did render the canary cases
    assert PHONE_11.findall(blob) == [] and ID_18.findall(blob) == []


def test_case_page_corrects_a_party(db, make_app):  # noqa: F811
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    with db.read() as s:
        party = s.exec(select(Party).where(Party.case_id == case.id).order_by(col(Party.id))).first()
    at = make_app(user=_user(db, w.mediator))
    at.run()
    at.query_params["case"] = str(case.id)
    at.switch_page("pages/staff/case.py").run()
    new = Canary(3000)
    at.selectbox(key="case.correct.party").set_value(party.id)
    at.text_input(key="case.correct.phone").set_value(new.phone)
    at.text_input(key="case.correct.id").set_value(new.id_number[:-1] + ("0" if new.id_number[-1] != "0" else "1"))
    at.button(key="FormSubmitter:case.correct_party-保存更正").click().run()
    assert not at.exception and at.error  # a bad ID number is refused with a message, nothing written
    at.selectbox(key="case.correct.party").set_value(party.id)
    at.text_input(key="case.correct.phone").set_value(new.phone)
    at.text_input(key="case.correct.id").set_value(new.id_number)
    at.button(key="FormSubmitter:case.correct_party-保存更正").click().run()
    assert not at.exception and "已更正" in page_text(at)
    with db.read() as s:
        fixed = s.get(Party, party.id)
        audits = s.exec(select(AuditLog).where(AuditLog.action == "party.correct")).all()
    assert fixed.phone == new.phone and fixed.id_number_masked == new.id_number[:4] + "*" * 10 + new.id_number[-4:]
    assert len(audits) == 1
    assert new.phone not in page_text(at) and new.id_number not in page_text(at)  # masked again on the page
