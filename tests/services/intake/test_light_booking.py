"""预约调解 on the light /track page (issues 20 and 24), on SQLite and PostgreSQL, through the ASGI middleware.

A resident looks their case up, picks a free slot from the radio list and books; the booking shows on /track
with its state in China time; the same form sent twice books once; a full slot, a second booking and a forged
token are refused in Chinese with the case still shown; a held booking is cancelled; a time the mediator
proposed is taken with one button. The whole walk fits in the /track look-up limit of one client.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from itertools import count
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlmodel import col, select, update

from models import Appointment, AppointmentSetting, Case
from services.core import clock
from services.core.config import get_settings
from tests.factories import make_tree
from tests.security.test_light_public import Reply, call, filing, post_intake, tracking_code
from web.public import LightPublic

FORM = {"content-type": "application/x-www-form-urlencoded"}
_clients = count(1)


async def _inner(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"streamlit-app"})


@pytest.fixture
def app(db, monkeypatch):
    monkeypatch.setenv("MEDIATION_INTAKE_CLIENT_LIMIT", "100000/600")
    monkeypatch.setenv("MEDIATION_INTAKE_ORG_LIMIT", "100000/3600")
    get_settings.cache_clear()
    with db.write() as s:
        make_tree(s)
    return LightPublic(_inner, get_db=lambda: db, staff_paths=frozenset)


def new_client() -> str:
    return f"198.51.100.{100 + next(_clients) % 150}"


def track(app: Any, client: str, **values: str) -> Reply:
    return call(app, "POST", "/track", body=urlencode(values).encode(), headers=FORM, client=client)


def token(reply: Reply) -> str:
    found = re.search(r'name="form_token" value="([^"]+)"', reply.text)
    assert found, reply.text[:3000]
    return html.unescape(found.group(1))


def slots(reply: Reply) -> list[str]:
    return re.findall(r'name="slot" value="(\d+)"', reply.text)


def filed(app: Any, n: int) -> tuple[str, str]:
    """A case filed through the light intake form: its tracking code and the applicant's phone digits."""
    return tracking_code(post_intake(app, filing(n))), f"{n:04d}"


def bookings(db, code: str) -> list[Appointment]:
    with db.read() as s:
        case_id = s.exec(select(Case.id).where(col(Case.tracking_code) == code.replace("-", ""))).one()
        return list(s.exec(select(Appointment).where(Appointment.case_id == case_id).order_by(col(Appointment.id))))


def test_book_show_and_cancel_within_one_clients_lookup_limit(app, db):
    code, last4 = filed(app, 61)
    client = new_client()
    found = track(app, client, action="lookup", code=code, last4=last4)
    assert found.status == 200 and "预约调解时间" in found.text and "确认预约" in found.text
    first = slots(found)[0]
    booked = track(app, client, action="book", code=code, last4=last4, slot=first, form_token=token(found))
    assert booked.status == 200 and "已预约，等待调解员确认。" in booked.text
    [row] = bookings(db, code)
    when = clock.format_local(datetime.fromtimestamp(int(first), UTC))
    assert row.status == "requested" and f"{when} · 待确认" in booked.text  # China time
    assert "确认预约" not in booked.text and 'name="slot"' not in booked.text  # one booking per case
    again = track(app, client, action="lookup", code=code, last4=last4)
    assert f"{when} · 待确认" in again.text
    cancelled = track(
        app, client, action="cancel", code=code, last4=last4, appointment=str(row.id), form_token=token(again)
    )
    assert cancelled.status == 200 and "预约已取消。" in cancelled.text and f"{when} · 已取消" in cancelled.text
    assert [r.status for r in bookings(db, code)] == ["cancelled"] and "确认预约" in cancelled.text


def test_the_same_form_sent_twice_books_once(app, db):
    code, last4 = filed(app, 62)
    found = track(app, new_client(), action="lookup", code=code, last4=last4)
    values = {"action": "book", "code": code, "last4": last4, "slot": slots(found)[2], "form_token": token(found)}
    replies = [track(app, new_client(), **values) for _ in range(2)]
    assert [r.status for r in replies] == [200, 200] and all("待确认" in r.text for r in replies)
    assert len(bookings(db, code)) == 1


def test_refuse_a_full_slot_and_a_second_booking_in_chinese(app, db):
    (a_code, a_last4), (b_code, b_last4) = filed(app, 63), filed(app, 64)
    with db.write() as s:
        org_id = s.exec(select(Case.org_id).where(col(Case.tracking_code) == a_code.replace("-", ""))).one()
        s.add(AppointmentSetting(org_id=org_id, capacity=1, slot_minutes=60, days_ahead=14))
    a_page = track(app, new_client(), action="lookup", code=a_code, last4=a_last4)
    b_page = track(app, new_client(), action="lookup", code=b_code, last4=b_last4)  # shown while still free
    slot = slots(a_page)[0]
    assert slot in slots(b_page)
    ok = track(app, new_client(), action="book", code=a_code, last4=a_last4, slot=slot, form_token=token(a_page))
    assert ok.status == 200
    full = track(app, new_client(), action="book", code=b_code, last4=b_last4, slot=slot, form_token=token(b_page))
    assert full.status == 400 and "该时段已约满，请另选时间。" in full.text
    assert "待受理" in full.text and slot not in slots(full) and slots(full)  # the case and the other times stay
    assert bookings(db, b_code) == []
    second = track(
        app, new_client(), action="book", code=a_code, last4=a_last4, slot=slots(a_page)[1], form_token=token(ok)
    )
    assert second.status == 400 and "本案已有一个预约" in second.text and len(bookings(db, a_code)) == 1
    off_grid = track(
        app, new_client(), action="book", code=b_code, last4=b_last4, slot="1234567", form_token=token(full)
    )
    huge = track(app, new_client(), action="book", code=b_code, last4=b_last4, slot="9" * 40, form_token=token(full))
    nothing = track(app, new_client(), action="book", code=b_code, last4=b_last4, form_token=token(full))
    assert "该时段不可预约" in off_grid.text and "该时段不可预约" in huge.text and huge.status == 400
    assert "请先选择一个时间" in nothing.text and bookings(db, b_code) == []


@pytest.mark.parametrize("forged", ["forged", "", "1.2.3"])
def test_refuse_a_forged_token_and_book_nothing(app, db, forged):
    code, last4 = filed(app, 65)
    found = track(app, new_client(), action="lookup", code=code, last4=last4)
    reply = track(app, new_client(), action="book", code=code, last4=last4, slot=slots(found)[0], form_token=forged)
    assert reply.status == 403 and "页面已过期" in reply.text and code in reply.text  # the code stays filled in
    assert bookings(db, code) == []


def test_cancel_only_a_booking_of_this_case(app, db):
    (a_code, a_last4), (b_code, b_last4) = filed(app, 66), filed(app, 67)
    a_page = track(app, new_client(), action="lookup", code=a_code, last4=a_last4)
    track(app, new_client(), action="book", code=a_code, last4=a_last4, slot=slots(a_page)[0], form_token=token(a_page))
    [mine] = bookings(db, a_code)
    b_page = track(app, new_client(), action="lookup", code=b_code, last4=b_last4)
    reply = track(
        app,
        new_client(),
        action="cancel",
        code=b_code,
        last4=b_last4,
        appointment=str(mine.id),
        form_token=token(b_page),
    )
    assert reply.status == 400 and "该预约已取消或已处理。" in reply.text
    assert [r.status for r in bookings(db, a_code)] == ["requested"]


def test_take_the_time_the_mediator_proposed(app, db):
    code, last4 = filed(app, 68)
    found = track(app, new_client(), action="lookup", code=code, last4=last4)
    first, later = slots(found)[0], slots(found)[5]
    track(app, new_client(), action="book", code=code, last4=last4, slot=first, form_token=token(found))
    proposed = datetime.fromtimestamp(int(later), UTC)
    with db.write() as s:  # what services.trust.appointments.propose leaves behind
        s.execute(update(Appointment).values(status="moved", proposed_start=proposed))
    page = track(app, new_client(), action="lookup", code=code, last4=last4)
    assert f"调解员建议的时间：{clock.format_local(proposed)}" in page.text and "接受建议时间" in page.text
    assert f'name="slot" value="{later}"' in page.text
    taken = track(app, new_client(), action="book", code=code, last4=last4, slot=later, form_token=token(page))
    assert taken.status == 200 and f"{clock.format_local(proposed)} · 待确认" in taken.text
    assert [r.status for r in bookings(db, code)] == ["moved", "requested"]
