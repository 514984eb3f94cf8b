"""The light /intake?org=CODE: the public form as plain HTML, and its receipt, over the one intake pipeline.

`show_form` answers a GET, `submit` a POST; both return (status, html). The rules are the service's:
`services.intake.pipeline.submit_intake` validates (the same messages), takes the office's custom fields,
checks and re-encodes the photos, enforces consent, the signed one-time token, the honeypot, the minimum fill
time and the rate limits, quarantines and issues the tracking code. A refused form comes back with every typed
value in place and each problem under its field. Each part of the page is one function, in page order.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from services.core.config import get_settings
from services.core.db import Database
from services.core.errors import DomainError, NotFound, StorageProblem
from services.core.ratelimit import RateLimited
from services.intake import pipeline as intake
from services.intake import posters as qr
from services.intake.form import MAX_PHOTOS, FieldSpec, IntakeForm, IntakeInvalid, issue_form_token
from web.forms import Posted
from web.html import box, error_line, esc, help_line, label, page, t
from web.shrink import SCRIPT

Problems = dict[str, tuple[str, dict[str, Any]]]
TEXT_FIELDS = (
    "applicant_name",
    "applicant_phone",
    "applicant_id_number",
    "applicant_address",
    "description",
    "category",
    "place",
    "request",
    "respondent_name",
    "respondent_phone",
    "respondent_address",
)
HONEYPOT = "website"


@dataclass
class FormView:
    """Everything one rendering of the form needs."""

    org: intake.IntakeOrg
    fields: list[FieldSpec]
    categories: list[tuple[str, str, str]]
    token: str
    values: dict[str, str] = field(default_factory=dict)  # name → what was typed (custom fields as custom.<key>)
    checks: set[str] = field(default_factory=set)  # ticked boxes
    problems: Problems = field(default_factory=dict)
    banner: str = ""  # an escaped message above the form
    photos_dropped: int = 0  # photos sent with a refused form (a browser cannot refill a file input)

    def value(self, name: str) -> str:
        return self.values.get(name, "")

    def problem(self, name: str) -> str:
        if name not in self.problems:
            return ""
        key, params = self.problems[name]
        return error_line(t(key, **params))


# --- the parts of the form page -----------------------------------------------------------------------------


def org_header(v: FormView) -> str:
    o = v.org
    contact = " · ".join(x for x in (o.address, o.phone, o.hours) if x)
    host = qr.short_url(get_settings().public_base_url)
    return (
        f"<h1>{esc(t('intake.title'))}</h1>"
        f'<div class="org"><b>{esc(o.name)}</b><span class="muted">{esc(contact)}</span></div>'
        f'<p class="muted">{esc(t("intake.official_host", host=host))}</p>'
    )


def text_input(
    v: FormView,
    name: str,
    label_key: str,
    *,
    optional: bool = False,
    kind: str = "text",
    help_key: str = "",
    extra: str = "",
) -> str:
    return (
        label(name, t(label_key), optional=optional)
        + help_line(t(help_key) if help_key else "")
        + f'<input type="{kind}" id="{name}" name="{name}" value="{esc(v.value(name))}"{extra}>'
        + v.problem(name)
    )


def text_area(v: FormView, name: str, label_key: str, *, optional: bool = False, help_key: str = "") -> str:
    return (
        label(name, t(label_key), optional=optional)
        + help_line(t(help_key) if help_key else "")
        + f'<textarea id="{name}" name="{name}" rows="5">{esc(v.value(name))}</textarea>'
        + v.problem(name)
    )


def about_you(v: FormView) -> str:
    return (
        f"<h2>{esc(t('intake.about_you'))}</h2>"
        + text_input(v, "applicant_name", "intake.applicant_name", extra=' autocomplete="name" required')
        + text_input(
            v,
            "applicant_phone",
            "intake.applicant_phone",
            kind="tel",
            help_key="intake.phone_help",
            extra=' autocomplete="tel" inputmode="tel" required',
        )
        + text_input(v, "applicant_id_number", "intake.applicant_id", optional=True, extra=' autocomplete="off"')
        + text_input(
            v,
            "applicant_address",
            "intake.applicant_address",
            optional=True,
            help_key="intake.address_help",
            extra=' autocomplete="street-address"',
        )
    )


def category_select(v: FormView) -> str:
    chosen = v.value("category")
    options = "".join(
        f'<option value="{esc(code)}"{" selected" if code == chosen else ""}>{esc(zh)}</option>'
        for code, zh, _ in v.categories
    )
    return (
        label("category", t("intake.category"), optional=True)
        + f'<select id="category" name="category"><option value="">{esc(t("intake.choose"))}</option>{options}</select>'
        + v.problem("category")
    )


def about_dispute(v: FormView) -> str:
    return (
        f"<h2>{esc(t('intake.about_dispute'))}</h2>"
        + category_select(v)
        + text_area(v, "description", "intake.description", help_key="intake.description_help")
        + text_input(v, "place", "intake.place", optional=True)
        + text_area(v, "request", "intake.request", optional=True)
    )


def other_party(v: FormView) -> str:
    return (
        f"<h2>{esc(t('intake.other_party'))}</h2>"
        + help_line(t("intake.other_party_help"))
        + text_input(v, "respondent_name", "intake.respondent_name", optional=True)
        + text_input(v, "respondent_phone", "intake.respondent_phone", optional=True, kind="tel")
        + text_input(v, "respondent_address", "intake.respondent_address", optional=True)
    )


def custom_field(v: FormView, f: FieldSpec) -> str:
    """One field of the office's form spec, as the plain control its type allows."""
    name = f"custom.{f.key}"
    current = v.value(name)
    head = label(name, f.label_zh, optional=not f.required) + help_line(f.help_zh)
    if f.type == "long_text":
        control = f'<textarea id="{esc(name)}" name="{esc(name)}" rows="4">{esc(current)}</textarea>'
    elif f.type in ("choice", "yes_no"):
        options = f.options if f.type == "choice" else (("yes", t("form.yes"), ""), ("no", t("form.no"), ""))
        items = "".join(
            f'<option value="{esc(c)}"{" selected" if c == current else ""}>{esc(zh)}</option>' for c, zh, _ in options
        )
        control = (
            f'<select id="{esc(name)}" name="{esc(name)}"><option value="">{esc(t("intake.choose"))}</option>'
            f"{items}</select>"
        )
    else:
        kind = {"number": "number", "date": "date", "phone": "tel"}.get(f.type, "text")
        step = ' step="any" inputmode="decimal"' if f.type == "number" and not f.integer else ""
        control = f'<input type="{kind}" id="{esc(name)}" name="{esc(name)}" value="{esc(current)}"{step}>'
    return head + control + v.problem(name)


def custom_fields(v: FormView) -> str:
    return "".join(custom_field(v, f) for f in v.fields)


def photos(v: FormView) -> str:
    again = error_line(t("light.photos_again", n=v.photos_dropped)) if v.photos_dropped else ""
    return (
        label("photos", t("intake.photos"), optional=True)
        + help_line(t("intake.photos_help"))
        + '<input type="file" id="photos" name="photos" accept="image/jpeg,image/png,image/webp" multiple>'
        + again
        + v.problem("photos")
    )


def checkbox(v: FormView, name: str, text: str) -> str:
    on = " checked" if name in v.checks else ""
    return f'<label class="check"><input type="checkbox" name="{name}" value="1"{on}><span>{esc(text)}</span></label>'


def consent(v: FormView) -> str:
    return (
        f"<details><summary>{esc(t('intake.privacy_title'))}</summary>"
        f'<p class="help">{esc(t("intake.privacy_body"))}</p></details>'
        + checkbox(v, "consent", t("intake.consent"))
        + v.problem("consent")
        + checkbox(v, "publication_consent", t("consent.ask"))
        + help_line(t("consent.ask_help"))
    )


def trap(v: FormView) -> str:
    """The honeypot: out of sight and out of the tab order; people leave it empty, bots fill it."""
    return (
        f'<div class="trap" aria-hidden="true"><label for="{HONEYPOT}">{esc(t("intake.honeypot"))}</label>'
        f'<input type="text" id="{HONEYPOT}" name="{HONEYPOT}" value="{esc(v.value(HONEYPOT))}" tabindex="-1" '
        f'autocomplete="off"></div>'
    )


def submit_button(v: FormView) -> str:
    summary = error_line(t("error.intake_invalid", count=len(v.problems))) if v.problems else ""
    busy = esc(t("light.sending"))
    return f'{summary}<button type="submit" data-busy="{busy}">{esc(t("intake.submit"))}</button>'


FORM_PARTS: list[Callable[[FormView], str]] = [
    about_you,
    about_dispute,
    other_party,
    custom_fields,
    photos,
    consent,
    trap,
    submit_button,
]


def render_form(v: FormView) -> str:
    action = f"/intake?org={esc(v.org.code)}"
    parts = "".join(part(v) for part in FORM_PARTS)
    body = (
        org_header(v)
        + v.banner
        + f'<form id="intake-form" method="post" action="{action}" enctype="multipart/form-data" '
        + 'accept-charset="utf-8">'
        + f'<input type="hidden" name="form_token" value="{esc(v.token)}">'
        + parts
        + "</form>"
        + f"<script>{SCRIPT}</script>"  # optional: shrinks photos before they go up (web/shrink.py)
    )
    full = f'<a href="{action}&amp;ui=full">{esc(t("light.full_version"))}</a>'
    return page(t("intake.title"), body, note=full)


# --- the receipt and the unknown-organisation page -------------------------------------------------------------


def render_receipt(res: intake.IntakeResult, org_code: str) -> str:
    """What the person keeps: the tracking code, what happens next, the way to /track."""
    another = f'<p><a href="/intake?org={esc(org_code)}">{esc(t("intake.another"))}</a></p>'
    if res.outcome == "linked":
        body = box("ok", f"<b>{esc(t('intake.linked_title'))}</b>") + (
            f"<p>{esc(t('intake.linked_body', phone=res.org_phone or '—'))}</p>"
        )
        return page(t("intake.title"), f"<h1>{esc(t('intake.title'))}</h1>{body}{another}")
    code = res.tracking_code or ""
    due = res.accept_due.isoformat() if res.accept_due else "—"
    track = qr.track_url(code)
    png = base64.b64encode(qr.qr_png(track, box_size=3, border=2)).decode()
    body = (
        f"<h1>{esc(t('intake.title'))}</h1>"
        + box("ok", f"<b>{esc(t('intake.done_title'))}</b> {esc(t('intake.next_step', org=res.org_name, date=due))}")
        + f'<p class="muted">{esc(t("intake.your_code"))}</p><p class="code" id="code">{esc(code)}</p>'
        + f'<p class="help">{esc(t("intake.keep_code"))}</p>'
        + f'<img class="qr" alt="{esc(t("intake.code_qr"))}" src="data:image/png;base64,{png}">'
        + f'<p class="help" style="text-align:center">{esc(t("intake.code_qr"))}</p>'
        + f'<p><a href="/track?code={esc(code)}">{esc(t("intake.go_track"))}</a></p>'
        + another
    )
    return page(t("intake.title"), body)


def render_unknown(code: str, session_groups: list[qr.DirectoryGroup]) -> str:
    """An unknown or inactive code: say so, then the directory of offices, each linking to its light form."""
    message = t("intake.org_unknown", code=code) if code else t("intake.org_missing")
    groups = []
    for g in session_groups:
        items = "".join(
            f'<li><a href="/intake?org={esc(o.code)}">{esc(o.name)}</a></li>' for o in g.orgs if o.code and o.name
        )
        title = " · ".join(x for x in (g.county, g.area) if x) or t("directory.city_level")
        groups.append(f"<details><summary>{esc(title)}</summary><ul>{items}</ul></details>")
    body = (
        f"<h1>{esc(t('intake.title'))}</h1>"
        + box("bad", esc(message))
        + f"<h2>{esc(t('directory.heading'))}</h2>"
        + "".join(groups)
    )
    return page(t("intake.title"), body)


# --- GET and POST ---------------------------------------------------------------------------------------------


def _load(db: Database, code: str) -> tuple[intake.IntakeOrg | None, list[FieldSpec], list[tuple[str, str, str]]]:
    with db.read() as s:
        org = intake.find_intake_org(s, code)
        _, fields = intake.intake_fields(s)
        return org, fields, intake.categories(s)


def _unknown(db: Database, code: str) -> tuple[int, str]:
    with db.read() as s:
        groups = qr.directory(s)
    return 404, render_unknown(code, groups)


def clean_code(raw: str) -> str:
    return (raw or "").strip().upper()[:32]


def show_form(db: Database, code: str) -> tuple[int, str]:
    """GET: a fresh form with a fresh one-time token (its signed issue time starts the fill-time clock)."""
    org, fields, categories = _load(db, code)
    if org is None:
        return _unknown(db, code)
    return 200, render_form(FormView(org, fields, categories, issue_form_token()))


def form_from_post(code: str, posted: Posted, fields: list[FieldSpec]) -> IntakeForm:
    """The posted values as the pipeline's IntakeForm, exactly as sent."""
    return IntakeForm(
        org_code=code,
        form_token=posted.get("form_token"),
        **{name: posted.get(name) for name in TEXT_FIELDS},
        custom={f.key: posted.get(f"custom.{f.key}") for f in fields if posted.get(f"custom.{f.key}") != ""},
        photos=list(posted.photos),
        consent=posted.get("consent") == "1",
        publication_consent=posted.get("publication_consent") == "1",
        honeypot=posted.get(HONEYPOT),
    )


def _refill(v: FormView, posted: Posted) -> None:
    names = [*TEXT_FIELDS, HONEYPOT, *(f"custom.{f.key}" for f in v.fields)]
    v.values = {n: posted.get(n) for n in names if posted.get(n)}
    v.checks = {n for n in ("consent", "publication_consent") if posted.get(n) == "1"}
    v.photos_dropped = len([p for p in posted.photos if p])


def submit(db: Database, code: str, posted: Posted, client: str) -> tuple[int, str]:
    """POST: run the pipeline; the receipt, or the form again with the typed values and the problems."""
    org, fields, categories = _load(db, code)
    if org is None:
        return _unknown(db, code)
    form = form_from_post(org.code, posted, fields)
    view = FormView(org, fields, categories, form.form_token or issue_form_token())
    _refill(view, posted)
    try:
        result = intake.submit_intake(db, form, client=client)
    except IntakeInvalid as err:
        for p in err.problems:
            view.problems.setdefault(p.field, (p.key, p.params))
        return 422, render_form(view)
    except DomainError as err:
        status = 429 if isinstance(err, RateLimited) else 404 if isinstance(err, NotFound) else 400
        if err.key == "error.intake_form_expired":
            view.token = issue_form_token()  # a forged, used-up or stale token: a fresh form, the text kept
            status = 403
        if isinstance(err, StorageProblem):
            status = 503
        view.banner = box("bad", esc(t(err.key, **err.params)))
        return status, render_form(view)
    return 200, render_receipt(result, org.code)


def refused(code: str, reason: str) -> str:
    """A body that could not be read within the limits: say so (the browser's back button keeps the text)."""
    key = "light.too_large" if reason == "too_large" else "light.malformed"
    body = f"<h1>{esc(t('intake.title'))}</h1>" + box("bad", esc(t(key)))
    back = f'<p><a href="/intake?org={esc(code)}">{esc(t("light.back_to_form"))}</a></p>' if code else ""
    return page(t("intake.title"), body + back)


__all__ = ["MAX_PHOTOS", "refused", "render_form", "render_receipt", "show_form", "submit"]
