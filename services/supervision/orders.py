"""Supervision orders (挂牌督办): open, progress reports (反馈), de-listing (摘牌) and extension (延期).

Who may do what:
* the supervising office (P.SUPERVISE, the case in its area, the handling body not itself) opens an order and
  decides de-listing;
* the handling body (P.SUPERVISION_REPORT, the actor's organisation is the handling body or inside it) files
  reports and asks to de-list or to extend;
* an extension goes to the level above the handling body: a P.SUPERVISE actor whose own subtree holds the handling
  body's parent (e.g. the town), or the supervising office, decides it.
Every step is a timeline entry, a notification (inbox and group robot) and an audit row. One active order per
case and one pending request of each kind per order are database constraints.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models import (
    Attachment,
    Case,
    CaseEvent,
    CaseRisk,
    Consultation,
    Organisation,
    SupervisionOrder,
    SupervisionReport,
    SupervisionRequest,
)
from models.base import utc_now
from services.access.authz import OWNED, Actor, get_case_in_scope, org_in_scope, require
from services.access.permissions import P
from services.cases import states
from services.cases.sessions import FileInput, check_files
from services.core import audit, clock
from services.core.errors import Conflict, NotFound, OutOfScope, ValidationFailed
from services.core.i18n import DEFAULT_LANGUAGE
from services.lowcode import dictionaries
from services.notify.inbox import notify_org
from services.supervision import who

DICTIONARY = "supervision_reason"
ACTIVE = ("listed", "delist_requested")
MAX_DAYS = 366
KINDS = ("delist", "extend")


def _event(
    session: Session, order: SupervisionOrder, actor: Actor | None, kind: str, note: str = "", **data: str
) -> None:
    session.add(
        CaseEvent(
            case_id=order.case_id,
            actor_id=actor.user_id if actor else None,
            kind=f"supervision.{kind}",
            note=note[:2000],
            data=data,
        )
    )
    audit.record(
        session,
        action=f"supervision.{kind}",
        actor_id=actor.user_id if actor else None,
        entity="supervisionorder",
        entity_id=order.id,
        case_id=order.case_id,
    )


def _tell(session: Session, order: SupervisionOrder, org_ids: list[int], kind: str, dedupe: str | None = None) -> None:
    case_no = session.exec(select(Case.case_no).where(Case.id == order.case_id)).first() or ""
    for org_id in dict.fromkeys(org_ids):
        notify_org(
            session,
            org_id=org_id,
            key=f"notify.supervision_{kind}",
            case_id=order.case_id,
            params={"case_no": case_no},
            dedupe_key=f"{dedupe}:{org_id}" if dedupe else None,
        )


def _reason_label(session: Session, code: str) -> str:
    return dictionaries.labels(session, DICTIONARY, DEFAULT_LANGUAGE).get(code, code)


def open_order(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    reason: str,
    deadline: date,
    handling_org_id: int | None = None,
    note: str = "",
    report_every_days: int = 7,
    form_token: str | None = None,
) -> SupervisionOrder:
    """Put a case in the actor's area under supervision; one active order per case."""
    require(actor, P.SUPERVISE)
    if form_token:
        done = session.exec(select(SupervisionOrder).where(SupervisionOrder.form_token == form_token)).first()
        if done is not None:
            return done
    case = get_case_in_scope(session, actor, case_id, for_update=True, scope=OWNED)
    if case.status not in states.OPEN:
        raise Conflict("error.supervision_case_closed")
    if reason not in dictionaries.active_codes(session, DICTIONARY):
        raise ValidationFailed("error.supervision_reason")
    today = clock.today()
    if not today <= deadline <= today + timedelta(days=MAX_DAYS):
        raise ValidationFailed("error.supervision_deadline", days=MAX_DAYS)
    if not 1 <= report_every_days <= 90:
        raise ValidationFailed("error.supervision_every")
    handler = org_in_scope(session, actor, handling_org_id or case.org_id)
    if handler.id == actor.org_id:
        raise ValidationFailed("error.supervision_self")
    order = SupervisionOrder(
        case_id=case.id or 0,
        supervisor_org_id=actor.org_id,
        handling_org_id=handler.id or 0,
        reason=reason,
        note=note.strip()[:1000],
        deadline=deadline,
        report_every_days=report_every_days,
        report_due=min(today + timedelta(days=report_every_days), deadline),
        opened_by=actor.user_id,
        form_token=form_token,
    )
    try:
        with session.begin_nested():
            session.add(order)
            session.flush()
    except IntegrityError:
        raise Conflict("error.supervision_exists") from None
    _event(
        session,
        order,
        actor,
        "opened",
        note=order.note,
        what=_reason_label(session, reason),
        org=handler.name,
        deadline=deadline.isoformat(),
    )
    _tell(session, order, [order.handling_org_id], "opened")
    return order


def _order(session: Session, order_id: int, *, for_update: bool = False) -> SupervisionOrder:
    if not isinstance(order_id, int) or isinstance(order_id, bool):
        raise NotFound("error.supervision_not_found")
    stmt = select(SupervisionOrder).where(SupervisionOrder.id == order_id)
    order = session.exec(stmt.with_for_update() if for_update else stmt).first()
    if order is None:
        raise NotFound("error.supervision_not_found")
    return order


def _as_handler(session: Session, actor: Actor, order_id: int) -> SupervisionOrder:
    require(actor, P.SUPERVISION_REPORT)
    order = _order(session, order_id, for_update=True)
    if not who.is_handler(session, actor, order):
        raise OutOfScope("error.supervision_not_found")
    if order.state not in ACTIVE:
        raise Conflict("error.supervision_not_active")
    return order


def file_report(
    session: Session,
    *,
    actor: Actor,
    order_id: int,
    text: str,
    files: list[FileInput] | None = None,
    form_token: str | None = None,
) -> SupervisionReport:
    """The handling body reports progress (with photos or scans); the next report falls due `report_every_days` on."""
    if form_token:
        done = session.exec(select(SupervisionReport).where(SupervisionReport.form_token == form_token)).first()
        if done is not None:
            return done
    checked = check_files(files or [])
    order = _as_handler(session, actor, order_id)
    if not text.strip():
        raise ValidationFailed("error.supervision_report_empty")
    ids = []
    for f in checked:
        row = Attachment(
            case_id=order.case_id,
            kind="supervision",
            filename=f.filename,
            mime=f.mime,
            size=len(f.content),
            sha256=hashlib.sha256(f.content).hexdigest(),
            content=f.content,
            uploaded_by=actor.user_id,
        )
        session.add(row)
        session.flush()
        ids.append(row.id or 0)
    report = SupervisionReport(
        order_id=order.id or 0,
        text=text.strip()[:2000],
        attachment_ids=ids,
        by_user=actor.user_id,
        form_token=form_token,
    )
    session.add(report)
    today = clock.today()
    step = today + timedelta(days=order.report_every_days)
    order.report_due = min(step, order.deadline) if order.deadline > today else step
    session.add(order)
    session.flush()
    _event(session, order, actor, "report", note=report.text, files=str(len(ids)), due=order.report_due.isoformat())
    _tell(session, order, [order.supervisor_org_id], "report")
    return report


def request_change(
    session: Session, *, actor: Actor, order_id: int, kind: str, reason: str, new_deadline: date | None = None
) -> SupervisionRequest:
    """The handling body asks to de-list (to the supervisor) or to extend the deadline (to the level above)."""
    if kind not in KINDS:
        raise ValidationFailed("error.supervision_kind")
    order = _as_handler(session, actor, order_id)
    if not reason.strip():
        raise ValidationFailed("error.supervision_reason_missing")
    if kind == "delist" and order.state != "listed":
        raise Conflict("error.supervision_request_pending")
    if kind == "extend" and (
        new_deadline is None
        or new_deadline <= order.deadline
        or new_deadline > clock.today() + timedelta(days=MAX_DAYS)
    ):
        raise ValidationFailed("error.supervision_new_deadline")
    row = SupervisionRequest(
        order_id=order.id or 0,
        kind=kind,
        reason=reason.strip()[:1000],
        new_deadline=new_deadline if kind == "extend" else None,
        requested_by=actor.user_id,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict("error.supervision_request_pending") from None
    if kind == "delist":
        order.state = "delist_requested"
        session.add(order)
    data = {"deadline": new_deadline.isoformat()} if new_deadline and kind == "extend" else {}
    _event(session, order, actor, f"{kind}_requested", note=row.reason, **data)
    parent = session.exec(select(Organisation.parent_id).where(Organisation.id == order.handling_org_id)).first()
    targets = [order.supervisor_org_id] if kind == "delist" else [p for p in (parent, order.supervisor_org_id) if p]
    _tell(session, order, targets, f"{kind}_requested")
    return row


def _red_without_consultation(session: Session, case_id: int) -> bool:
    """A red case is taken off the board only after a joint consultation (会商) is on record."""
    level = session.exec(select(CaseRisk.level).where(CaseRisk.case_id == case_id)).first()
    met = session.exec(select(Consultation.id).where(Consultation.case_id == case_id)).first()
    return level == "red" and met is None


def decide_request(
    session: Session, *, actor: Actor, request_id: int, approve: bool, reason: str = ""
) -> SupervisionRequest:
    """Approve or refuse (with a reason) a pending de-listing or extension request."""
    require(actor, P.SUPERVISE)
    if not isinstance(request_id, int) or isinstance(request_id, bool):
        raise NotFound("error.supervision_not_found")
    row = session.exec(select(SupervisionRequest).where(SupervisionRequest.id == request_id).with_for_update()).first()
    if row is None:
        raise NotFound("error.supervision_not_found")
    order = _order(session, row.order_id, for_update=True)
    allowed = (
        who.is_supervisor(session, actor, order) if row.kind == "delist" else who.is_level_above(session, actor, order)
    )
    if not allowed:
        raise OutOfScope("error.supervision_not_found")
    if row.status != "pending":
        raise Conflict("error.supervision_decided")
    if not approve and not reason.strip():
        raise ValidationFailed("error.supervision_refuse_reason")
    if approve and row.kind == "delist" and _red_without_consultation(session, order.case_id):
        raise Conflict("error.supervision_red_needs_consultation")
    now = utc_now()
    row.status = "approved" if approve else "refused"
    row.decided_by, row.decided_at, row.decision_reason = actor.user_id, now, reason.strip()[:1000]
    session.add(row)
    if row.kind == "delist":
        order.state = "delisted" if approve else "listed"
        if approve:
            order.delisted_at, order.delisted_by = now, actor.user_id
    elif approve and row.new_deadline:
        order.deadline = row.new_deadline
    session.add(order)
    session.flush()
    data = {"deadline": order.deadline.isoformat()} if row.kind == "extend" and approve else {}
    _event(session, order, actor, f"{row.kind}_{row.status}", note=row.decision_reason, **data)
    _tell(session, order, [order.handling_org_id], f"{row.kind}_{row.status}")
    return row
