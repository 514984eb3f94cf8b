"""The values each document kind prints, as text in Chinese: dates as 2026年11月23日, money as in a contract.

Documents are legal papers of a Chinese office, so they are always in Chinese whatever the UI language;
their fixed words come from the catalogue (`doc.*`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from services.core import clock
from services.core.i18n import translate
from services.documents.data import AgreementView, CaseFile, FollowUpView, PartyView, SessionView
from services.documents.kinds import FOLLOWUP, SESSION, DocKind

ZH = "zh-CN"
DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL = "零一二三四五六七八九"
UNITS = ("仟", "佰", "拾", "")
GROUPS = ("", "万", "亿", "万亿")


def v(key: str, **params: Any) -> str:
    """A fixed word of the documents, in Chinese."""
    return translate(key, ZH, **params)


def cn_date(day: date | datetime | None) -> str:
    if day is None:
        return ""
    d = clock.local_date(day) if isinstance(day, datetime) else day
    return f"{d.year}年{d.month}月{d.day}日"


def dotted_date(day: date | datetime | None) -> str:
    """2026.03.28, the short form of a table of contents."""
    if day is None:
        return ""
    d = clock.local_date(day) if isinstance(day, datetime) else day
    return f"{d:%Y.%m.%d}"


def cn_datetime(moment: datetime | None) -> str:
    return "" if moment is None else f"{cn_date(moment)} {clock.format_local_time(moment)}"


def cn_count(n: int) -> str:
    """3 → 三, 12 → 十二 (copies of an agreement)."""
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    return ("" if tens == 0 else ("" if tens == 1 else SMALL[tens]) + "十") + (SMALL[ones] if ones else "")


def _group_upper(g: int) -> str:
    out, zero = "", False
    for unit, d in zip(UNITS, (g // 1000 % 10, g // 100 % 10, g // 10 % 10, g % 10), strict=True):
        if d == 0:
            zero = bool(out)
            continue
        out += ("零" if zero else "") + DIGITS[d] + unit
        zero = False
    return out


def _int_upper(n: int) -> str:
    groups = []
    while n:
        n, g = divmod(n, 10000)
        groups.append(g)
    out, gap = "", False
    for i in range(len(groups) - 1, -1, -1):
        g = groups[i]
        if g == 0:
            gap = bool(out)
            continue
        out += ("零" if out and (gap or g < 1000) else "") + _group_upper(g) + GROUPS[i]
        gap = False
    return out or "零"


def yuan_upper(fen: int) -> str:
    """Fen as written on a contract: 123456 → 人民币壹仟贰佰叁拾肆元伍角陆分."""
    yuan, rest = divmod(max(fen, 0), 100)
    jiao, cents = divmod(rest, 10)
    head = _int_upper(yuan) + "元" if yuan else ""
    if not jiao and not cents:
        tail = "整"
    else:
        tail = (DIGITS[jiao] + "角" if jiao else ("零" if head else "")) + (DIGITS[cents] + "分" if cents else "整")
    return "人民币" + (head or ("零元" if not rest else "")) + tail


def yuan(fen: int) -> str:
    """12345 → 人民币123.45元; nothing → 无."""
    return v("doc.none") if fen <= 0 else f"人民币{fen / 100:,.2f}元"


@dataclass(frozen=True)
class Context:
    title: str
    when: datetime
    scalars: dict[str, str]
    loops: Mapping[str, Sequence[Mapping[str, str]]] = field(default_factory=dict)


def _names(cf: CaseFile, side: str | None = None) -> str:
    return "、".join(p.name for p in cf.parties if side is None or p.side == side)


def _party(p: PartyView) -> dict[str, str]:
    side = v(f"doc.side.{p.side}")
    row = {
        "side": side,
        "name": p.name,
        "gender": p.gender,
        "id_number": p.id_number,
        "phone": p.phone,
        "address": p.address,
    }
    parts = [f"{side}：{p.name}", p.gender] + [
        v(f"doc.summary.{k}", value=row[k]) for k in ("id_number", "phone", "address") if row[k]
    ]
    return {**row, "summary": "，".join(x for x in parts if x)}


def common(cf: CaseFile) -> dict[str, str]:
    c = cf.case
    first = {s: next((p.name for p in cf.parties if p.side == s), "") for s in ("applicant", "respondent")}
    category = cf.label("category", c.category)
    name = c.title or (
        v("doc.case_name", a=first["applicant"], b=first["respondent"], category=category)
        if first["applicant"] and first["respondent"]
        else category
    )
    return {
        "org_name": cf.org.name,
        "org_address": cf.org.address,
        "org_phone": cf.org.phone,
        "case_no": c.case_no,
        "doc_no": next(iter(cf.doc_numbers.values()), c.case_no),  # the document's own number, else the case's
        "case_name": name,
        "category": category,
        "source": cf.label("source", c.source),
        "received_date": cn_date(c.received_at),
        "mediator_name": cf.people.get("mediator", ""),
        "applicants": _names(cf, "applicant"),
        "respondents": _names(cf, "respondent"),
        "parties": _names(cf),
    }


def _agreement(cf: CaseFile, a: AgreementView) -> dict[str, str]:
    return {
        "description": cf.case.description,
        "terms": a.terms,
        "obligations": a.obligations or v("doc.none"),
        "amount": yuan(a.amount_fen),
        "amount_upper": yuan_upper(a.amount_fen) if a.amount_fen else v("doc.none"),
        "performance_due": cn_date(a.performance_due) or v("doc.unset"),
        "signed_date": cn_date(a.signed_at),
        "agreement_version": str(a.version),
        "recorder": a.recorder,
        "copies": cn_count(len(cf.parties) + 1),
        "performed_date": cn_date(a.performance_at),
    }


def _decision(cf: CaseFile) -> str:
    c = cf.case
    if c.status == "submitted":
        return v("doc.decision.pending")
    if c.status == "rejected":
        return v("doc.decision.rejected", reason=cf.label("reject_reason", c.reject_reason))
    return v("doc.decision.accepted")


def _intake(cf: CaseFile) -> dict[str, str]:
    c = cf.case
    flags = "、".join(cf.label("risk_flag", f) for f in c.risk_flags) or v("doc.none")
    return {
        "description": c.description,
        "request": c.request,
        "place": c.place,
        "amount": yuan(c.amount_fen),
        "group_size": str(c.group_size) if c.group_size else v("doc.none"),
        "risk": flags,
        "decision": _decision(cf),
        "accepted_date": cn_date(c.accepted_at),
        "registrar": cf.people.get("registrar", ""),
    }


def _session(cf: CaseFile, s: SessionView) -> dict[str, str]:
    return {
        "session_no": str(s.no),
        "session_count": str(len(cf.sessions)),
        "held_at": cn_datetime(s.held_at),
        "session_place": s.place or (v("doc.mode.online") if s.online else ""),
        "session_mode": v("doc.mode.online" if s.online else "doc.mode.onsite"),
        "duration": v("doc.minutes", n=s.duration_minutes) if s.duration_minutes else "",
        "participants": s.participants,
        "attended": "、".join(s.attended),
        "notes": s.notes,
        "recorder": s.recorder,
    }


def _followup(cf: CaseFile, f: FollowUpView) -> dict[str, str]:
    a = cf.agreement
    holds = "" if f.holds is None else v("doc.holds.yes" if f.holds else "doc.holds.no")
    return {
        "followup_no": str(f.no),
        "followup_date": cn_date(f.done_at),
        "followup_method": v(f"doc.method.{f.method}"),
        "satisfaction": v(f"doc.satisfaction.{f.satisfaction}") if f.satisfaction else "",
        "agreement_holds": holds,
        "performance": v(f"doc.performance.{a.performance}") if a else "",
        "followup_note": f.note,
        "recorder": f.recorder,
        "signed_date": cn_date(a.signed_at) if a else "",
        "terms": a.terms if a else "",
    }


def outcome(cf: CaseFile) -> str:
    c = cf.case
    if c.reject_reason:
        return v("doc.outcome.rejected")
    if cf.agreement is not None:
        return v("doc.outcome.succeeded", kind=v(f"doc.agreement_kind.{cf.agreement.kind}"))
    if c.diversion:
        return v("doc.outcome.failed", diversion=cf.label("diversion", c.diversion))
    return v("doc.outcome.withdrawn") if cf.withdrawn else v("doc.outcome.open")


def confirmation_text(cf: CaseFile) -> str:
    jc = cf.confirmation
    if jc is None:
        return v("doc.confirmation.none")
    # a court's case number carries its own brackets, "(2026)川0523民特12号": print them full-width, add none
    ruling = jc.ruling_no.strip().replace("(", "（").replace(")", "）")
    return v(f"doc.confirmation.{jc.result}", court=jc.court_name, ruling=ruling)


def _court(cf: CaseFile) -> dict[str, str]:
    jc = cf.confirmation
    return {
        "court_name": jc.court_name if jc else v("doc.court_blank"),
        "applied_date": cn_date(jc.applied_at) if jc else v("doc.date_blank"),
    }


def _dossier(cf: CaseFile) -> dict[str, str]:
    c = cf.case
    return {
        "outcome": outcome(cf),
        "concluded_date": cn_date(c.concluded_at),
        "archived_date": cn_date(c.archived_at),
        "archivist": cf.people.get("archivist", ""),
        "confirmation": confirmation_text(cf),
    }


AGREEMENT_KINDS = frozenset({"agreement", "oral_agreement", "performance_certificate", "confirmation_application"})


def _received_when(cf: CaseFile) -> datetime:
    return cf.case.received_at


def _agreement_when(cf: CaseFile) -> datetime:
    return cf.agreement.signed_at if cf.agreement else cf.case.received_at


def _packet_when(cf: CaseFile) -> datetime:
    return cf.confirmation.applied_at if cf.confirmation else _agreement_when(cf)


def _archive_when(cf: CaseFile) -> datetime:
    return cf.case.archived_at or cf.case.received_at


# The date a document carries (its core properties), unless it is the date of its session or visit.
WHEN: dict[str, Callable[[CaseFile], datetime]] = {
    "agreement": _agreement_when,
    "oral_agreement": _agreement_when,
    "performance_certificate": lambda cf: (
        (cf.agreement.performance_at or cf.agreement.signed_at) if cf.agreement else cf.case.received_at
    ),
    "confirmation_application": _packet_when,
    "identity_sheet": _packet_when,
    "evidence_list": _packet_when,
    "dossier_cover": _archive_when,
    "dossier_toc": _archive_when,
}


def _item(kind: DocKind, cf: CaseFile, item_id: int | None) -> tuple[dict[str, str], str, datetime] | None:
    """The values, title and date of the session or follow-up a per-item document is about."""
    title = v(f"doc.title.{kind.key}")
    if kind.per == SESSION:
        s = next(x for x in cf.sessions if x.id == item_id)
        return _session(cf, s), v("doc.numbered", title=title, n=s.no), s.held_at
    if kind.per == FOLLOWUP:
        f = next(x for x in cf.followups if x.id == item_id)
        return _followup(cf, f), v("doc.numbered", title=title, n=f.no), f.done_at
    return None


def build_context(
    kind: DocKind,
    cf: CaseFile,
    *,
    item_id: int | None = None,
    extra: dict[str, str] | None = None,
    loops: Mapping[str, Sequence[Mapping[str, str]]] | None = None,
) -> Context:
    """Title, date and values of one document; `item_id` picks the session or follow-up."""
    values = common(cf)
    title, when = v(f"doc.title.{kind.key}"), WHEN.get(kind.key, _received_when)(cf)
    if (item := _item(kind, cf, item_id)) is not None:
        values, title, when = values | item[0], item[1], item[2]
    if kind.key == "intake":
        values |= _intake(cf)
    if kind.key in AGREEMENT_KINDS and cf.agreement is not None:
        values |= _agreement(cf, cf.agreement)
    if "court_name" in kind.scalars:
        values |= _court(cf)
    if kind.key == "dossier_cover":
        values |= _dossier(cf)
    values |= extra or {}
    all_loops = {"party": [_party(p) for p in cf.parties], **(loops or {})}
    return Context(
        title=title,
        when=when,
        scalars={k: values.get(k, "") for k in kind.names if "." not in k},
        loops={k: all_loops.get(k, []) for k in kind.loops},
    )
