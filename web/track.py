"""The light /track: tracking code + last four phone digits → status in plain words, next step, one rating.

The look-up, its rate limits and the rating are `services.intake.tracking`'s. The result page is built from
SECTIONS, one function each (status, dates and category, who handles it, booking a time, rating), in page
order: a new part of the page is one more function appended there. Each section receives a `TrackPage` and
returns escaped HTML ("" to show nothing).

Booking a time (预约调解, issue 20) is `services.trust.appointments`': the case's bookings with their state and a
time the mediator proposed, the free slots as a radio list, and a cancel button per held booking. Every form
carries the code, the digits and the signed one-time form token (checked first); the token is also the
booking's `booking_token`, so the same form sent twice books once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import groupby

from services.core import clock
from services.core.db import Database
from services.core.errors import DomainError, NotFound, StorageProblem, ValidationFailed
from services.core.ratelimit import RateLimited
from services.intake import tracking
from services.intake.form import form_shown_at, issue_form_token
from services.intake.tracking import TrackView
from services.lowcode import dictionaries
from services.trust import appointments
from services.trust.appointments import ResidentState, Slot
from web.forms import Posted
from web.html import LANG, box, esc, help_line, label, page, t

OPEN_DAYS = 2  # days of slots shown open; the later ones sit behind "more days" (plain <details>, no script)
HELD = ("requested", "confirmed")
SECONDARY = "background:#fff;color:#b42318;border:1px solid #b42318;margin:8px 0 2px"  # the cancel button


@dataclass
class TrackPage:
    """One rendering of /track: what was typed, the case found (if any), and the dictionaries' labels."""

    code: str = ""
    last4: str = ""
    view: TrackView | None = None
    labels: dict[str, dict[str, str]] = field(default_factory=dict)  # dictionary → code → label
    message: str = ""  # escaped, shown above the form
    token: str = ""  # signed; the rating and booking forms' CSRF defence (and the booking's once-only key)
    booking: ResidentState | None = None  # the case's bookings and free slots; None: not shown

    def label(self, dictionary: str, code: str) -> str:
        return self.labels.get(dictionary, {}).get(code, code)


# --- sections ------------------------------------------------------------------------------------------------


def lookup_form(p: TrackPage) -> str:
    return (
        f"<h1>{esc(t('track.title'))}</h1>"
        + help_line(t("track.help"))
        + p.message
        + '<form method="post" action="/track" accept-charset="utf-8">'
        + '<input type="hidden" name="action" value="lookup">'
        + label("code", t("track.code"))
        + f'<input type="text" id="code" name="code" value="{esc(p.code)}" placeholder="ABCD-EFGH-JKMN" '
        + 'autocomplete="off" autocapitalize="characters" required>'
        + label("last4", t("track.last4"))
        + f'<input type="tel" id="last4" name="last4" value="{esc(p.last4)}" placeholder="1234" maxlength="4" '
        + 'inputmode="numeric" autocomplete="off" required>'
        + f'<button type="submit">{esc(t("track.submit"))}</button></form>'
    )


def status_section(p: TrackPage, v: TrackView) -> str:
    head = f'<p class="muted">{esc(t("track.code_label", code=v.code))}</p><h2>{esc(t(f"status.{v.status}"))}</h2>'
    if v.status == "rejected":
        reason = v.reject_reason or "other"
        advice_key = f"track.advice_{reason}" if reason in tracking.KNOWN_REASONS else "track.advice_other"
        staff = f'<p class="muted">{esc(t("track.advice_from_staff"))}</p><p>{esc(v.advice)}</p>' if v.advice else ""
        return (
            head
            + box("bad", esc(t("track.rejected", reason=p.label("reject_reason", reason))))
            + f"<p>{esc(t(advice_key))}</p>"
            + staff
        )
    due = v.due.isoformat() if v.due else ""
    diversion = p.label("diversion", v.diversion or "") if v.diversion else ""
    body = head + box("info", esc(t(f"track.next_{v.next_step}", date=due, diversion=diversion)))
    if v.overdue:
        body += box("bad", esc(t("track.overdue", phone=v.org_phone or "—")))
    return body


def received_section(p: TrackPage, v: TrackView) -> str:
    category = p.label("category", v.category)
    return f"<p>{esc(t('track.received', date=v.received_on.isoformat(), category=category))}</p>"


def handled_by_section(p: TrackPage, v: TrackView) -> str:
    contact = " · ".join(x for x in (v.org_address, v.org_phone, v.org_hours) if x)
    return (
        f'<div class="org"><span class="muted">{esc(t("track.handled_by"))}</span><b>{esc(v.org_name)}</b>'
        f'<span class="muted">{esc(contact)}</span></div>'
    )


def _carried(p: TrackPage, action: str) -> str:
    """A /track form's hidden fields: what to do, the code and digits it applies to, the signed form token."""
    return (
        f'<input type="hidden" name="action" value="{esc(action)}">'
        f'<input type="hidden" name="code" value="{esc(p.code)}"><input type="hidden" name="last4" '
        f'value="{esc(p.last4)}"><input type="hidden" name="form_token" value="{esc(p.token)}">'
    )


def _epoch(moment: datetime) -> str:
    """A slot as the form sends it: whole seconds since 1970 (a naive stored moment is UTC)."""
    return str(int(clock.local_time(moment).timestamp()))


def _day(moment: datetime) -> str:
    return f"{clock.format_local_date(moment)} {t(f'appointment.weekday.{clock.local_time(moment).weekday()}')}"


def _slot_radios(slots: list[Slot]) -> str:
    days = []
    for _, group in groupby(slots, key=lambda x: clock.local_date(x.start)):
        day = list(group)
        radios = "".join(
            f'<label><input type="radio" name="slot" value="{_epoch(x.start)}" required>'
            f"{esc(t('light_booking.free', time=clock.format_local_time(x.start), free=x.free))}</label>"
            for x in day
        )
        days.append(
            f'<p class="muted" style="margin:10px 0 0">{esc(_day(day[0].start))}</p>'
            f'<div class="radios" style="display:grid;grid-template-columns:1fr 1fr;gap:0 12px">{radios}</div>'
        )
    more = "".join(days[OPEN_DAYS:])
    if more:
        more = f"<details><summary>{esc(t('light_booking.more_days'))}</summary>{more}</details>"
    return "".join(days[:OPEN_DAYS]) + more


def booking_section(p: TrackPage, v: TrackView) -> str:
    """预约调解: the case's last bookings (state, China time, a proposed time to take), then the free slots."""
    state = p.booking
    if state is None or not (state.can_book or state.appointments):
        return ""
    out = f"<h2>{esc(t('appointment.title'))}</h2>"
    for a in state.appointments[:3]:
        line = t("appointment.line", when=clock.format_local(a.slot_start), status=t(f"appointment.status.{a.status}"))
        out += f'<div class="org" id="appointment-{a.id}"><b>{esc(line)}</b>'
        if a.status == "moved" and a.proposed_start:
            out += f"<p>{esc(t('appointment.proposed', when=clock.format_local(a.proposed_start)))}</p>"
            if state.can_book:
                out += (
                    '<form method="post" action="/track" accept-charset="utf-8">'
                    + _carried(p, "book")
                    + f'<input type="hidden" name="slot" value="{_epoch(a.proposed_start)}">'
                    + f'<button type="submit">{esc(t("appointment.take_proposed"))}</button></form>'
                )
        if a.status in HELD:
            out += (
                '<form method="post" action="/track" accept-charset="utf-8">'
                + _carried(p, "cancel")
                + f'<input type="hidden" name="appointment" value="{a.id}">'
                + f'<button type="submit" style="{SECONDARY}">{esc(t("appointment.cancel"))}</button></form>'
            )
        out += "</div>"
    if not state.can_book:
        return out
    out += help_line(t("appointment.help"))
    if not state.slots:
        return out + box("info", esc(t("appointment.none")))
    return (
        out
        + '<form method="post" action="/track" accept-charset="utf-8">'
        + _carried(p, "book")
        + '<fieldset style="border:0;padding:0;margin:0"><legend style="font-weight:600">'
        + f"{esc(t('appointment.slot'))}</legend>{_slot_radios(state.slots)}</fieldset>"
        + f'<button type="submit">{esc(t("appointment.book"))}</button></form>'
    )


def rating_section(p: TrackPage, v: TrackView) -> str:
    if v.rated:
        return box("ok", esc(t("track.rated")))
    if not v.can_rate:
        return ""
    stars = "".join(
        f'<label><input type="radio" name="stars" value="{n}" required>{"★" * n}</label>' for n in range(1, 6)
    )
    return (
        f"<h2>{esc(t('track.rate_title'))}</h2>"
        + '<form method="post" action="/track" accept-charset="utf-8">'
        + _carried(p, "rate")
        + f'<div class="radios" style="flex-wrap:wrap">{stars}</div>'
        + label("comment", t("track.rate_comment"))
        + '<textarea id="comment" name="comment" rows="3"></textarea>'
        + f'<button type="submit">{esc(t("track.rate_submit"))}</button></form>'
    )


Section = Callable[[TrackPage, TrackView], str]
SECTIONS: list[Section] = [status_section, received_section, handled_by_section, booking_section, rating_section]


def render(p: TrackPage) -> str:
    body = lookup_form(p)
    if p.view is not None:
        body += '<div class="org" id="result">' + "".join(s(p, p.view) for s in SECTIONS) + "</div>"
    code = tracking.normalise_code(p.code)
    full = "/track?" + (f"code={esc(tracking.format_code(code))}&amp;" if code else "") + "ui=full"
    return page(t("track.title"), body, note=f'<a href="{full}">{esc(t("light.full_version"))}</a>')


# --- GET and POST ---------------------------------------------------------------------------------------------


def _labels(db: Database) -> dict[str, dict[str, str]]:
    with db.read() as s:
        return {d: dictionaries.labels(s, d, LANG) for d in ("category", "reject_reason", "diversion")}


def show(code: str) -> tuple[int, str]:
    """GET: the look-up form, the code prefilled from ?code= (as the receipt's link and QR code carry it)."""
    prefill = tracking.format_code(tracking.normalise_code(code))
    return 200, render(TrackPage(code=prefill))


def _status(err: DomainError) -> int:
    if isinstance(err, RateLimited):
        return 429
    if isinstance(err, StorageProblem):
        return 503
    return 404 if err.key in ("error.track_not_found",) else 400


def _booking(db: Database, p: TrackPage, client: str) -> ResidentState | None:
    """The booking panel's state; a refusal here (the look-up limit reached) only leaves the panel out."""
    try:
        return appointments.state_by_tracking(db, code=p.code, last4=p.last4, client=client)
    except DomainError:
        return None


def _answer(db: Database, p: TrackPage, action: Callable[[], TrackView], client: str) -> tuple[int, str]:
    try:
        p.view = action()
    except DomainError as err:
        p.message += box("bad", esc(t(err.key, **err.params)))
        return _status(err), render(p)
    p.labels, p.token = _labels(db), issue_form_token()
    if p.booking is None:  # a rating: its own check did not read the bookings
        p.booking = _booking(db, p, client)
    return 200, render(p)


def _lookup(db: Database, p: TrackPage, client: str) -> Callable[[], TrackView]:
    """The look-up with the booking panel's state: one code check against the client's /track limit."""

    def run() -> TrackView:
        view, p.booking = appointments.track_state(db, code=p.code, last4=p.last4, client=client)
        return view

    return run


def _slot(raw: str) -> datetime:
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10):  # seconds: up to the year 2286
        raise ValidationFailed("light_booking.pick" if not raw else "error.appointment_slot")
    return datetime.fromtimestamp(int(raw), UTC)


def _change(db: Database, p: TrackPage, posted: Posted, client: str, token: str) -> tuple[int, str]:
    """Book (a free slot or the proposed time) or cancel, then the case as it stands: the outcome above it."""
    action = posted.get("action")
    try:
        if action == "book":
            when = _slot(posted.get("slot"))
            appointments.book_by_tracking(
                db, code=p.code, last4=p.last4, slot_start=when, client=client, booking_token=token
            )
            done = "appointment.booked"
        else:
            raw = posted.get("appointment")
            appointment_id = int(raw) if raw.isdigit() and len(raw) <= 12 else 0
            appointments.cancel_by_tracking(
                db, code=p.code, last4=p.last4, appointment_id=appointment_id, client=client
            )
            done = "appointment.cancelled"
    except DomainError as err:
        p.message = box("bad", esc(t(err.key, **err.params)))
        if isinstance(err, (RateLimited, StorageProblem, NotFound)) or err.key.startswith("error.track"):
            return _status(err), render(p)  # the case could not be opened: no second look-up counted
        status, html = _answer(db, p, _lookup(db, p, client), client)
        return (_status(err), html) if status == 200 else (status, html)
    p.message = box("ok", esc(t(done)))
    return _answer(db, p, _lookup(db, p, client), client)


def post(db: Database, posted: Posted, client: str, now: datetime | None = None) -> tuple[int, str]:
    """POST: a look-up, or a rating or a booking change (its signed token checked first) answered with the
    refreshed status."""
    p = TrackPage(code=posted.get("code")[:64], last4=posted.get("last4")[:8])
    action = posted.get("action")
    if action not in ("rate", "book", "cancel"):
        return _answer(db, p, _lookup(db, p, client), client)
    token = posted.get("form_token")
    try:
        form_shown_at(token, now)
    except ValidationFailed as err:
        p.message = box("bad", esc(t(err.key if action == "rate" else "light_booking.expired")))
        return 403, render(p)
    if action != "rate":
        return _change(db, p, posted, client, token)
    raw = posted.get("stars")
    stars = int(raw) if raw.isdigit() and len(raw) == 1 else 0
    comment = posted.get("comment")
    status, html = _answer(
        db,
        p,
        lambda: tracking.rate_case(db, code=p.code, last4=p.last4, stars=stars, comment=comment, client=client),
        client,
    )
    if status == 200:
        return status, html
    refusal = p.message  # the rating was refused: show it above the case as it stands
    if _answer(db, p, _lookup(db, p, client), client)[0] != 200:
        return status, html
    p.message = refusal
    return status, render(p)


__all__ = ["SECTIONS", "TrackPage", "post", "render", "show"]
