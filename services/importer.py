"""Legacy ledger import: check every row first, then insert all of them in one transaction, or none.

`validate` reads the file and reports each bad cell by row and column (unknown organisation codes,
dictionary values, dates, duplicates). `import_cases` validates again and, only when nothing is wrong,
writes every case (with its agreement, follow-up and timeline line) through SQLAlchemy Core executemany
inside the caller's one write transaction. Case numbers from the file are kept; CaseCounter is moved past
them so numbers the app allocates later never collide; blank numbers are allocated from the counter.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as dtime
from typing import Any, cast

from sqlalchemy import Table, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from models import Agreement, Case, CaseCounter, CaseEvent, FollowUp, JudicialConfirmation, Mediator, Organisation
from services import audit, dictionaries
from services import import_format as F
from services.authz import Actor, require
from services.errors import DomainError
from services.permissions import P
from services.stats import area_root

MAX_ROWS = 200_000
CHUNK = 5_000
COURT_KINDS = ("court", "court_room")
RECEIVED_HOUR = dtime(4, 0, tzinfo=UTC)  # noon in Beijing: the UTC date is the ledger's date


@dataclass(frozen=True)
class RowError:
    """A problem in one cell (column '' = the whole row or file), as a message key with parameters."""

    row: int
    column: str
    key: str
    value: str = ""
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Parsed:
    line: int
    case_no: str
    received_on: date
    source: str
    category: str
    org: tuple[int, str, int | None]  # id, code, county_id
    status: str
    mediator_id: int | None = None
    mediator_name: str = ""
    agreement: str | None = None
    grade: str | None = None
    closed_on: date | None = None
    performance: str | None = None
    confirmed: bool = False
    satisfaction: int | None = None
    summary: str = ""


@dataclass
class Preview:
    filename: str
    total: int = 0
    rows: list[Parsed] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    digest: str = ""  # sha256 of the file checked
    actor_id: int | None = None  # who it was checked for (their area decides which codes are known)

    @property
    def ok(self) -> bool:
        return not self.errors and self.total > 0


@dataclass(frozen=True)
class ImportResult:
    imported: int
    seconds: float
    generated_numbers: int


class ImportRejected(DomainError):
    """The file has errors; nothing was imported."""

    key = "import.rejected"

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("import.rejected", count=len(errors))
        self.errors = errors


class _Lookups:
    """Everything a row is checked against, read once per file."""

    def __init__(self, session: Session, actor: Actor) -> None:
        root = area_root(session, actor)
        orgs = session.exec(select(Organisation.id, Organisation.code, Organisation.county_id, Organisation.kind)
                            .where(col(Organisation.path).startswith(root.path))).all()
        self.orgs = {code.upper(): (int(i or 0), code, county) for i, code, county, _ in orgs}
        self.courts = {county: int(i or 0) for i, _, county, kind in orgs if kind in COURT_KINDS}
        self.dicts = {d: self._vocabulary(session, d) for d in ("source", "category", "grade")}
        names = session.exec(select(Mediator.id, Mediator.name, Mediator.org_id)
                             .where(col(Mediator.org_id).in_([o[0] for o in self.orgs.values()]))).all()
        self.mediators = {(name, org_id): int(i or 0) for i, name, org_id in names}

    @staticmethod
    def _vocabulary(session: Session, dictionary: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for e in dictionaries.entries(session, dictionary, active_only=False):
            out.update({e.code.lower(): e.code, e.label_zh.lower(): e.code, e.label_en.lower(): e.code})
        return out


def validate(session: Session, *, actor: Actor, filename: str, data: bytes, today: date | None = None) -> Preview:
    """Read and check the whole file; nothing is written."""
    require(actor, P.CASE_CREATE)
    preview = Preview(filename=filename, digest=hashlib.sha256(data).hexdigest(), actor_id=actor.user_id)
    rows = F.read_rows(filename, data)
    header: list[Any] | None = None
    header_row = 0
    for header_row, cells in rows:  # noqa: B007 — the header's row number is reported below
        if any(F.text(c) for c in cells):
            header = cells
            break
    if header is None:
        preview.errors.append(RowError(0, "", "import.err_empty"))
        return preview
    index, preview.unknown_columns = F.map_header(header)
    missing = [c.zh for c in F.COLUMNS if c.required and c.alias not in index]
    if missing:
        preview.errors.append(RowError(header_row, "", "import.err_columns_missing",
                                       params={"columns": "、".join(missing)}))
        return preview
    look = _Lookups(session, actor)
    today = today or datetime.now(UTC).date()
    seen: dict[str, int] = {}
    for line, cells in rows:
        if not any(F.text(c) for c in cells):
            continue
        preview.total += 1
        if preview.total > MAX_ROWS:
            preview.errors.append(RowError(line, "", "import.err_too_many", params={"max": MAX_ROWS}))
            break
        cell = {alias: cells[i] if i < len(cells) else None for alias, i in index.items()}
        parsed = _parse(line, cell, look, today, preview)
        if parsed is None:
            continue
        if parsed.case_no:
            if parsed.case_no in seen:
                preview.errors.append(RowError(line, "case_no", "import.err_duplicate_in_file", parsed.case_no,
                                               {"row": seen[parsed.case_no]}))
                continue
            seen[parsed.case_no] = line
        preview.rows.append(parsed)
    _check_existing(session, preview)
    return preview


def _parse(line: int, cell: dict[str, Any], look: _Lookups, today: date, preview: Preview) -> Parsed | None:
    errors: list[RowError] = []

    def bad(column: str, key: str, **params: Any) -> None:
        errors.append(RowError(line, column, key, F.text(cell.get(column))[:60], params))

    def coded(column: str, table: dict[str, str], required: bool = False) -> str | None:
        raw = F.text(cell.get(column))
        if not raw:
            if required:
                bad(column, "import.err_required")
            return None
        code = table.get(raw.lower())
        if code is None:
            bad(column, "import.err_unknown_value")
        return code

    received = F.parse_date(cell.get("received_on"))
    if received is None:
        bad("received_on", "import.err_date" if F.text(cell.get("received_on")) else "import.err_required")
    elif received > today:
        bad("received_on", "import.err_future")
    closed = None
    if F.text(cell.get("closed_on")):
        closed = F.parse_date(cell.get("closed_on"))
        if closed is None:
            bad("closed_on", "import.err_date")
        elif received is not None and closed < received:
            bad("closed_on", "import.err_closed_before")
    source = coded("source", look.dicts["source"], True)
    category = coded("category", look.dicts["category"], True)
    grade = coded("grade", look.dicts["grade"])
    status = coded("status", F.STATUS, True)
    agreement = coded("agreement", F.AGREEMENT)
    performance = coded("performance", F.PERFORMANCE)
    confirmed = coded("confirmed", F.YES)
    org_code = F.text(cell.get("org_code"))
    org = look.orgs.get(org_code.upper())
    if not org_code:
        bad("org_code", "import.err_required")
    elif org is None:
        bad("org_code", "import.err_org_unknown")
    satisfaction = None
    if F.text(cell.get("satisfaction")):
        raw = F.text(cell.get("satisfaction"))
        satisfaction = int(raw) if raw.isdigit() else None
        if satisfaction is None or not 1 <= satisfaction <= 5:
            bad("satisfaction", "import.err_satisfaction")
    if status and status not in F.SUCCESS_STATUSES:
        for column, value in (("agreement", agreement), ("performance", performance),
                              ("confirmed", confirmed == "yes" or None)):
            if value:
                bad(column, "import.err_needs_success")
    case_no = F.text(cell.get("case_no"))[:40]
    if errors or received is None or org is None:
        preview.errors += errors
        return None
    mediator_name = F.text(cell.get("mediator"))[:60]
    mediator_id = look.mediators.get((mediator_name, org[0])) if mediator_name else None
    if mediator_name and mediator_id is None:
        preview.warnings.append(RowError(line, "mediator", "import.warn_mediator_unknown", mediator_name))
    return Parsed(line=line, case_no=case_no, received_on=received, source=source or "", category=category or "",
                  org=org, status=status or "", mediator_id=mediator_id, mediator_name=mediator_name,
                  agreement=agreement or ("written" if performance else None), grade=grade, closed_on=closed,
                  performance=performance, confirmed=confirmed == "yes", satisfaction=satisfaction,
                  summary=F.text(cell.get("summary"))[:2000])


def _check_existing(session: Session, preview: Preview) -> None:
    """Case numbers already in the database are errors of their rows."""
    numbered = {p.case_no: p for p in preview.rows if p.case_no}
    nos = list(numbered)
    taken: set[str] = set()
    for i in range(0, len(nos), 500):
        taken |= set(session.exec(select(Case.case_no).where(col(Case.case_no).in_(nos[i:i + 500]))).all())
    if taken:
        preview.errors += [RowError(numbered[n].line, "case_no", "import.err_case_no_taken", n) for n in sorted(taken)]
        preview.rows = [p for p in preview.rows if p.case_no not in taken]
    preview.errors.sort(key=lambda e: (e.row, e.column))


def import_cases(session: Session, *, actor: Actor, filename: str, data: bytes, today: date | None = None,
                 checked: Preview | None = None) -> ImportResult:
    """Validate, then write every row in the caller's transaction; any error imports nothing.

    `checked` is this file's preview from `validate` for this actor (the page shows it first): its rows
    are reused and only what may have changed since — case numbers taken meanwhile — is checked again."""
    started = time.perf_counter()
    digest = hashlib.sha256(data).hexdigest()
    if checked is not None and checked.ok and checked.digest == digest and checked.actor_id == actor.user_id:
        require(actor, P.CASE_CREATE)
        preview = Preview(filename=filename, total=checked.total, rows=list(checked.rows), digest=digest,
                          actor_id=actor.user_id)
        _check_existing(session, preview)
    else:
        preview = validate(session, actor=actor, filename=filename, data=data, today=today)
    if not preview.ok:
        raise ImportRejected(preview.errors or [RowError(0, "", "import.err_empty")])
    numbers = _number(session, preview.rows)
    batch = digest[:16]
    ids: dict[str, int] = {}
    conn = session.connection()  # Core executemany: the ORM's bulk path batches far smaller
    try:
        for i in range(0, len(preview.rows), CHUNK):
            chunk = preview.rows[i:i + CHUNK]
            conn.execute(insert(_table(Case)), [_case_row(p, numbers, actor, batch) for p in chunk])
            nos = [p.case_no or numbers[p.line] for p in chunk]
            found = session.exec(select(Case.case_no, Case.id).where(col(Case.case_no).in_(nos))).all()
            ids.update((no, int(i or 0)) for no, i in found)
    except IntegrityError as err:  # a number taken meanwhile: the caller's transaction rolls everything back
        raise ImportRejected([RowError(0, "case_no", "import.err_case_no_conflict")]) from err
    _children(session, preview.rows, {p.line: ids[p.case_no or numbers[p.line]] for p in preview.rows}, actor)
    audit.record(session, action="case.import", actor_id=actor.user_id, entity="case", file=filename[:120],
                 sha256=batch, rows=len(preview.rows), generated_numbers=len(numbers))
    return ImportResult(imported=len(preview.rows), seconds=time.perf_counter() - started,
                        generated_numbers=len(numbers))


def _at(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, RECEIVED_HOUR)


def _case_row(p: Parsed, numbers: dict[int, str], actor: Actor, batch: str) -> dict[str, Any]:
    received = _at(p.received_on)
    concluded = _at(p.closed_on) if p.status not in F.OPEN_STATUSES else None
    success = p.status in F.SUCCESS_STATUSES
    outcome = "succeeded" if success else p.status if p.status in ("failed", "withdrawn", "rejected") else None
    custom: dict[str, Any] = {"import": batch}
    if p.mediator_name and p.mediator_id is None:
        custom["mediator_name"] = p.mediator_name
    return {
        "case_no": p.case_no or numbers[p.line], "org_id": p.org[0], "county_id": p.org[2],
        "mediator_id": p.mediator_id,
        "source": p.source, "category": p.category, "status": p.status, "title": p.summary[:120],
        "description": p.summary, "received_at": received,
        "received_month": p.received_on.year * 100 + p.received_on.month,
        "accepted_at": received if p.status not in ("submitted", "rejected") else None, "concluded_at": concluded,
        "archived_at": concluded if p.status == "archived" else None, "grade_proposed": p.grade,
        "on_the_spot": p.source == "on_the_spot", "pre_litigation": p.source == "court_entrust",
        "risk_flags": [], "custom": custom, "created_by": actor.user_id, "outcome": outcome,
        "agreement_kind": p.agreement if success else None, "performance": p.performance if success else None,
        "confirmed": p.confirmed and success, "satisfaction": p.satisfaction if success else None,
    }


def _table(model: type[SQLModel]) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


def _children(session: Session, rows: Iterable[Parsed], ids: dict[int, int], actor: Actor) -> None:
    """The agreement, court confirmation and follow-up a row records, and one timeline line per case."""
    conn = session.connection()
    agreements, rulings, follow_ups, events = [], [], [], []
    look_courts = _courts(session)
    for p in rows:
        cid = ids[p.line]
        signed = _at(p.closed_on or p.received_on)
        if p.agreement and p.status in F.SUCCESS_STATUSES:
            agreements.append({"case_id": cid, "version": 1, "kind": p.agreement, "terms": "（历史台账导入）",
                               "performance": p.performance or "pending", "signed_at": signed,
                               "recorded_by": actor.user_id})
        court = look_courts.get(p.org[2])
        if p.confirmed and court is not None and p.status in F.SUCCESS_STATUSES:
            rulings.append({"case_id": cid, "court_org_id": court, "result": "confirmed", "applied_at": signed,
                            "decided_at": signed, "applied_by": actor.user_id})
        if p.satisfaction is not None and p.status in F.SUCCESS_STATUSES:
            follow_ups.append({"case_id": cid, "done_at": signed, "satisfaction": p.satisfaction,
                               "recorded_by": actor.user_id})
        events.append({"case_id": cid, "actor_id": actor.user_id, "kind": "imported", "to_status": p.status,
                       "at": datetime.now(UTC), "note": "", "data": {"row": p.line}})
    for model, batch in ((Agreement, agreements), (JudicialConfirmation, rulings), (FollowUp, follow_ups),
                         (CaseEvent, events)):
        for i in range(0, len(batch), CHUNK):
            conn.execute(insert(_table(model)), batch[i:i + CHUNK])


def _courts(session: Session) -> dict[int | None, int]:
    rows = session.exec(select(Organisation.county_id, Organisation.id)
                        .where(col(Organisation.kind).in_(COURT_KINDS)).order_by(col(Organisation.id))).all()
    out: dict[int | None, int] = {}
    for county, oid in rows:
        out.setdefault(county, int(oid or 0))
    return out


def _number(session: Session, rows: list[Parsed]) -> dict[int, str]:
    """Move each (organisation, year) counter past the file's numbers; the numbers of the blank rows by line."""
    pattern = re.compile(r"^(\d{4})-(.+)-(\d+)$")
    highest: dict[tuple[int, int], int] = {}
    for p in rows:
        m = pattern.match(p.case_no)
        if m and m[2].upper() == p.org[1].upper():
            key = (p.org[0], int(m[1]))
            highest[key] = max(highest.get(key, 0), int(m[3]))
    blanks = [p for p in rows if not p.case_no]
    keys = set(highest) | {(p.org[0], p.received_on.year) for p in blanks}
    locked = select(CaseCounter).where(col(CaseCounter.org_id).in_({k[0] for k in keys})).with_for_update()
    counters = {(c.org_id, c.year): c for c in session.exec(locked).all() if (c.org_id, c.year) in keys}
    last = {k: max(highest.get(k, 0), counters[k].last if k in counters else 0) for k in keys}
    numbers: dict[int, str] = {}
    for p in blanks:
        key = (p.org[0], p.received_on.year)
        last[key] += 1
        numbers[p.line] = f"{key[1]}-{p.org[1]}-{last[key]:05d}"
    for key, value in last.items():
        if key in counters:
            session.execute(update(CaseCounter).where(col(CaseCounter.id) == counters[key].id)
                            .values(last=value))
        else:
            session.add(CaseCounter(org_id=key[0], year=key[1], last=value))
    session.flush()
    return numbers
