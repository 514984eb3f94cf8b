"""Legacy ledger import: check every row first, then insert all of them in one transaction, or none.

`validate` reads the file and reports each bad cell by row and column (unknown organisation codes,
dictionary values, dates, duplicates). `import_cases` validates again (or reuses the page's check of the
same file) and, only when nothing is wrong, writes every case (with its agreement, follow-up and timeline
line; services/legacy_import/write.py) through SQLAlchemy Core executemany inside the caller's one transaction.
Case numbers from the file are kept; CaseCounter is moved past them so numbers the app allocates later
never collide; blank numbers are allocated from the counter.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import Case, Mediator, Organisation
from services.access.authz import Actor, require
from services.access.permissions import P
from services.access.scope import actor_area
from services.cases import states
from services.core import audit, clock
from services.core.errors import DomainError
from services.legacy_import import format as F
from services.legacy_import.format import Parsed
from services.legacy_import.write import CHUNK, case_row, insert_children, number_blanks, table
from services.lowcode import dictionaries

MAX_ROWS = 200_000


@dataclass(frozen=True)
class RowError:
    """A problem in one cell (column '' = the whole row or file), as a message key with parameters."""

    row: int
    column: str
    key: str
    value: str = ""
    params: dict[str, Any] = field(default_factory=dict)


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
        root = actor_area(session, actor=actor)
        orgs = session.exec(
            select(Organisation.id, Organisation.code, Organisation.county_id).where(
                col(Organisation.path).startswith(root.path)
            )
        ).all()
        self.orgs = {code.upper(): (int(i or 0), code, county) for i, code, county in orgs}
        self.dicts = {d: self._vocabulary(session, d) for d in ("source", "category", "grade")}
        names = session.exec(
            select(Mediator.id, Mediator.name, Mediator.org_id).where(
                col(Mediator.org_id).in_([o[0] for o in self.orgs.values()])
            )
        ).all()
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
        preview.errors.append(
            RowError(header_row, "", "import.err_columns_missing", params={"columns": "、".join(missing)})
        )
        return preview
    look = _Lookups(session, actor)
    today = today or clock.today()
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
                preview.errors.append(
                    RowError(
                        line, "case_no", "import.err_duplicate_in_file", parsed.case_no, {"row": seen[parsed.case_no]}
                    )
                )
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
    if status and status not in states.SUCCEEDED:
        for column, value in (
            ("agreement", agreement),
            ("performance", performance),
            ("confirmed", confirmed == "yes" or None),
        ):
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
    return Parsed(
        line=line,
        case_no=case_no,
        received_on=received,
        source=source or "",
        category=category or "",
        org=org,
        status=status or "",
        mediator_id=mediator_id,
        mediator_name=mediator_name,
        agreement=agreement or ("written" if performance else None),
        grade=grade,
        closed_on=closed,
        performance=performance,
        confirmed=confirmed == "yes",
        satisfaction=satisfaction,
        summary=F.text(cell.get("summary"))[:2000],
    )


def _check_existing(session: Session, preview: Preview) -> None:
    """Case numbers already in the database are errors of their rows."""
    numbered = {p.case_no: p for p in preview.rows if p.case_no}
    nos = list(numbered)
    taken: set[str] = set()
    for i in range(0, len(nos), 500):
        taken |= set(session.exec(select(Case.case_no).where(col(Case.case_no).in_(nos[i : i + 500]))).all())
    if taken:
        preview.errors += [RowError(numbered[n].line, "case_no", "import.err_case_no_taken", n) for n in sorted(taken)]
        preview.rows = [p for p in preview.rows if p.case_no not in taken]
    preview.errors.sort(key=lambda e: (e.row, e.column))


def import_cases(
    session: Session,
    *,
    actor: Actor,
    filename: str,
    data: bytes,
    today: date | None = None,
    checked: Preview | None = None,
) -> ImportResult:
    """Validate, then write every row in the caller's transaction; any error imports nothing.

    `checked` is this file's preview from `validate` for this actor (the page shows it first): its rows
    are reused and only what may have changed since — case numbers taken meanwhile — is checked again."""
    started = time.perf_counter()
    digest = hashlib.sha256(data).hexdigest()
    if checked is not None and checked.ok and checked.digest == digest and checked.actor_id == actor.user_id:
        require(actor, P.CASE_CREATE)
        preview = Preview(
            filename=filename, total=checked.total, rows=list(checked.rows), digest=digest, actor_id=actor.user_id
        )
        _check_existing(session, preview)
    else:
        preview = validate(session, actor=actor, filename=filename, data=data, today=today)
    if not preview.ok:
        raise ImportRejected(preview.errors or [RowError(0, "", "import.err_empty")])
    numbers = number_blanks(session, preview.rows)
    batch = digest[:16]
    ids: dict[str, int] = {}
    conn = session.connection()  # Core executemany: the ORM's bulk path batches far smaller
    try:
        for i in range(0, len(preview.rows), CHUNK):
            chunk = preview.rows[i : i + CHUNK]
            conn.execute(insert(table(Case)), [case_row(p, numbers, actor, batch) for p in chunk])
            nos = [p.case_no or numbers[p.line] for p in chunk]
            found = session.exec(select(Case.case_no, Case.id).where(col(Case.case_no).in_(nos))).all()
            ids.update((no, int(i or 0)) for no, i in found)
    except IntegrityError as err:  # a number taken meanwhile: the caller's transaction rolls everything back
        raise ImportRejected([RowError(0, "case_no", "import.err_case_no_conflict")]) from err
    insert_children(session, preview.rows, {p.line: ids[p.case_no or numbers[p.line]] for p in preview.rows}, actor)
    audit.record(
        session,
        action="case.import",
        actor_id=actor.user_id,
        entity="case",
        file=filename[:120],
        sha256=batch,
        rows=len(preview.rows),
        generated_numbers=len(numbers),
    )
    return ImportResult(
        imported=len(preview.rows), seconds=time.perf_counter() - started, generated_numbers=len(numbers)
    )
