"""The supervision desk (督办台账): orders on the actor's area's cases by state, with counts and an Excel export;
a handling body's own list of what it must report and by when; one case's orders with their steps.

States as the desk shows them (each order is in exactly one, said in the UI by `STATE_RULES`):
在督 listed, not near or past a due day; 临期 listed and the deadline or the next report falls due within
`NEAR_DAYS` days; 逾期 listed and the deadline or the next report passed; 待摘牌 de-listing asked; 已摘牌 de-listed.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from openpyxl import Workbook
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from models import Case, Organisation, SupervisionOrder, SupervisionReport, SupervisionRequest, User
from services.access.authz import Actor, case_in_scope_clause, get_case_in_scope, require_any
from services.access.permissions import P
from services.admin.xlsx import neutralise
from services.core import clock
from services.core.i18n import translate
from services.lowcode import dictionaries
from services.supervision import orders as so
from services.supervision import who

STATES = ("watching", "near", "overdue", "delist_requested", "delisted")
NEAR_DAYS = 3
LIMIT = 500


def desk_state(order: SupervisionOrder, today: date) -> str:
    """The desk's state of an order (see the module docstring)."""
    if order.state in ("delist_requested", "delisted"):
        return order.state
    due = min(order.deadline, order.report_due)
    if due < today:
        return "overdue"
    return "near" if due <= today + timedelta(days=NEAR_DAYS) else "watching"


@dataclass(frozen=True)
class DeskRow:
    id: int
    case_id: int
    case_no: str
    state: str
    reason: str
    handling_org: str
    supervisor_org: str
    deadline: date
    report_due: date
    opened_at: datetime
    reports: int
    pending: tuple[str, ...]  # kinds of pending requests


def _rows(session: Session, where: list, lang: str, today: date) -> list[DeskRow]:  # type: ignore[type-arg]
    handler, sup = aliased(Organisation), aliased(Organisation)
    found = session.exec(
        select(SupervisionOrder, Case.case_no, handler.name, sup.name)
        .join(Case, col(Case.id) == col(SupervisionOrder.case_id))
        .join(handler, col(handler.id) == col(SupervisionOrder.handling_org_id))
        .join(sup, col(sup.id) == col(SupervisionOrder.supervisor_org_id))
        .where(*where)
        .order_by(col(SupervisionOrder.report_due), col(SupervisionOrder.id))
        .limit(LIMIT)
    ).all()
    ids = [o.id for o, *_ in found]
    reports: dict[int, int] = {}
    for oid in session.exec(select(SupervisionReport.order_id).where(col(SupervisionReport.order_id).in_(ids))).all():
        reports[oid] = reports.get(oid, 0) + 1
    pending: dict[int, list[str]] = {}
    for oid, kind in session.exec(
        select(SupervisionRequest.order_id, SupervisionRequest.kind).where(
            col(SupervisionRequest.order_id).in_(ids), SupervisionRequest.status == "pending"
        )
    ).all():
        pending.setdefault(oid, []).append(kind)
    words = dictionaries.labels(session, so.DICTIONARY, lang)
    return [
        DeskRow(
            o.id or 0,
            o.case_id,
            case_no,
            desk_state(o, today),
            words.get(o.reason, o.reason),
            h,
            s,
            o.deadline,
            o.report_due,
            o.opened_at,
            reports.get(o.id or 0, 0),
            tuple(sorted(pending.get(o.id or 0, []))),
        )
        for o, case_no, h, s in found
    ]


def list_desk(
    session: Session, *, actor: Actor, lang: str = "zh-CN", state: str | None = None, reason: str | None = None
) -> tuple[dict[str, int], list[DeskRow]]:
    """Counts by state, and the orders (of one state and reason when asked) on cases in the actor's area."""
    require_any(actor, P.SUPERVISE, P.SUPERVISION_REPORT)
    today = clock.today()
    where = [case_in_scope_clause(actor)]
    if reason:
        where.append(col(SupervisionOrder.reason) == reason)
    rows = _rows(session, where, lang, today)
    counts = dict.fromkeys(STATES, 0)
    for r in rows:
        counts[r.state] += 1
    return counts, [r for r in rows if state is None or r.state == state]


def my_reports(session: Session, *, actor: Actor, lang: str = "zh-CN") -> list[DeskRow]:
    """For a handling body: its active orders, the earliest report due first (the top of its workbench)."""
    if not actor.can(P.SUPERVISION_REPORT):
        return []
    mine = select(Organisation.id).where(
        col(Organisation.id).in_([int(p) for p in actor.org_path.split("/") if p]),
    )
    where = [col(SupervisionOrder.handling_org_id).in_(mine), col(SupervisionOrder.state).in_(so.ACTIVE)]
    return _rows(session, where, lang, clock.today())


@dataclass(frozen=True)
class Step:
    kind: str  # report / delist / extend
    at: datetime
    by: str
    text: str
    status: str = ""
    new_deadline: date | None = None
    decided_by: str = ""
    decision_reason: str = ""
    files: int = 0
    request_id: int = 0


@dataclass(frozen=True)
class OrderView:
    row: DeskRow
    steps: list[Step]
    note: str
    can_report: bool
    can_decide_delist: bool
    can_decide_extend: bool


def case_orders(session: Session, *, actor: Actor, case_id: int, lang: str = "zh-CN") -> list[OrderView]:
    """The case's supervision orders, newest first, with their reports and requests and what the actor may do."""
    get_case_in_scope(session, actor, case_id)
    today = clock.today()
    rows = _rows(session, [col(SupervisionOrder.case_id) == case_id], lang, today)
    rows.sort(key=lambda r: r.id, reverse=True)
    out = []
    for r in rows:
        order = session.get(SupervisionOrder, r.id)
        assert order is not None
        out.append(
            OrderView(
                r,
                _steps(session, r.id),
                order.note,
                actor.can(P.SUPERVISION_REPORT) and who.is_handler(session, actor, order) and order.state in so.ACTIVE,
                who.is_supervisor(session, actor, order),
                who.is_level_above(session, actor, order),
            )
        )
    return out


def _steps(session: Session, order_id: int) -> list[Step]:
    reports = session.exec(select(SupervisionReport).where(SupervisionReport.order_id == order_id)).all()
    asks = session.exec(select(SupervisionRequest).where(SupervisionRequest.order_id == order_id)).all()
    who = {r.by_user for r in reports} | {q.requested_by for q in asks} | {q.decided_by for q in asks}
    names = dict(session.exec(select(User.id, User.display_name).where(col(User.id).in_(who - {None}))).all())
    steps = [Step("report", r.at, names.get(r.by_user, ""), r.text, files=len(r.attachment_ids or [])) for r in reports]
    steps += [
        Step(
            q.kind,
            q.requested_at,
            names.get(q.requested_by, ""),
            q.reason,
            q.status,
            q.new_deadline,
            names.get(q.decided_by, ""),
            q.decision_reason,
            request_id=q.id or 0,
        )
        for q in asks
    ]
    return sorted(steps, key=lambda s: s.at)


def desk_xlsx(
    session: Session, *, actor: Actor, lang: str = "zh-CN", state: str | None = None, reason: str | None = None
) -> bytes:
    """The desk as an Excel sheet (the same rows the page lists)."""
    _, rows = list_desk(session, actor=actor, lang=lang, state=state, reason=reason)
    wb = Workbook()
    ws = wb.active
    ws.title = translate("supervision.sheet", lang)[:31]
    cols = (
        "case_no",
        "state",
        "reason",
        "handling_org",
        "supervisor_org",
        "deadline",
        "report_due",
        "opened",
        "reports",
    )
    ws.append([translate(f"supervision.col.{c}", lang) for c in cols])
    for r in rows:
        ws.append(
            [
                neutralise(v)
                for v in (
                    r.case_no,
                    translate(f"supervision.state.{r.state}", lang),
                    r.reason,
                    r.handling_org,
                    r.supervisor_org,
                    r.deadline.isoformat(),
                    r.report_due.isoformat(),
                    clock.format_local(r.opened_at),
                    r.reports,
                )
            ]
        )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
