"""Case numbers as offices print them: a pattern per organisation subtree, as data, e.g.
（{year}）{org_short}人调字第{seq:04d}号, one sequence per organisation (or per rule) and China-time year.

The counter row is incremented with one atomic upsert (… ON CONFLICT DO UPDATE … RETURNING) in the same
transaction as the case insert, so a rolled-back case gives its number back (no gaps) and two writers never
get the same number (PostgreSQL holds the counter row's lock until commit; SQLite has one writer at a time).
A unique index on (sequence, year, seq) and the case number's own unique index are the last word.
Cases numbered before a rule existed keep their numbers.

Documents (issue 19 item 4): a rule whose `kind` is a per-case document kind (e.g. agreement,
（{year}）{org_short}调协字第{seq:04d}号) numbers that document; document_number() takes the number once per case and
kind (models/document_number.py), in the China-time year it is first asked for, the same way — a re-issue prints
the same number, and documents issued before the rule (or with no rule) print what they printed before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from string import Formatter

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import Case, CaseNumber, DocumentNumber, NumberCounter, NumberingRule, Organisation
from services.access.authz import Actor, require
from services.access.permissions import P
from services.access.scope import actor_area
from services.core import audit, clock
from services.core.db import upsert_into
from services.core.errors import NotFound, OutOfScope, ValidationFailed
from services.documents.kinds import CASE as PER_CASE
from services.documents.kinds import KINDS as DOC_KINDS

DEFAULT_PATTERN = "（{year}）{org_short}人调字第{seq:04d}号"
FIELDS = frozenset({"year", "seq", "org_short", "org_code"})
CASE_NO_MAX = 40  # case.case_no's length
_SUFFIXES = ("人民调解委员会", "调解委员会", "调委会", "调解中心", "调解室", "委员会", "村民委员会", "居委会")
_SEQ_SPEC = re.compile(r"^0?[1-8]d$")
# what a rule may number: cases, and the documents printed once per case (an agreement, a notice …)
DOCUMENT_KINDS = tuple(k.key for k in DOC_KINDS if k.per == PER_CASE and not k.bundle_only)
RULE_KINDS = ("case", *DOCUMENT_KINDS)


@dataclass(frozen=True)
class Allocated:
    """A number taken from a sequence, to be tied to the case once it has an id."""

    text: str
    rule_id: int
    scope_key: str
    year: int
    seq: int


def org_short(org: Organisation) -> str:
    """An organisation's short name for {org_short}: its name without the usual committee suffix."""
    name = org.name.strip()
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)][:12]
    return name[:12]


def _fields(pattern: str) -> list[tuple[str, str]]:
    try:
        return [(name, spec or "") for _, name, spec, _ in Formatter().parse(pattern) if name is not None]
    except ValueError:
        raise ValidationFailed("error.numbering_pattern_invalid") from None


def render(pattern: str, *, year: int, seq: int, short: str, code: str) -> str:
    """The printed number for these values (the pattern already validated)."""
    return pattern.format(year=year, seq=seq, org_short=short, org_code=code)


def validate_rule(pattern: str, scope: str, short: str) -> None:
    """Refuse a pattern that could repeat a number or not fit: {year} and {seq} are required, only known
    placeholders, an integer format for {seq}, and a per-organisation rule must name the organisation."""
    fields = _fields(pattern)
    names = {name for name, _ in fields}
    if not names <= FIELDS or "year" not in names or "seq" not in names:
        raise ValidationFailed("error.numbering_pattern_fields")
    if any(spec and not (name == "seq" and _SEQ_SPEC.match(spec)) for name, spec in fields):
        raise ValidationFailed("error.numbering_pattern_invalid")
    if scope not in ("org", "rule"):
        raise ValidationFailed("error.numbering_scope")
    if scope == "org" and "org_code" not in names and ("org_short" not in names or short.strip()):
        raise ValidationFailed("error.numbering_org_missing")
    sample = render(pattern, year=2026, seq=99999, short=short.strip() or "某某某某某某某某某某某某", code="X" * 12)
    if len(sample) > CASE_NO_MAX:
        raise ValidationFailed("error.numbering_too_long", limit=CASE_NO_MAX)


def rule_for(session: Session, org: Organisation, kind: str = "case") -> NumberingRule | None:
    """The active rule of the nearest organisation at or above `org` (a village's own rule beats its county's)."""
    ancestors = [int(p) for p in org.path.strip("/").split("/") if p] or [org.id or 0]
    rules = session.exec(
        select(NumberingRule).where(
            col(NumberingRule.org_id).in_(ancestors), NumberingRule.kind == kind, col(NumberingRule.active)
        )
    ).all()
    depth = {oid: i for i, oid in enumerate(ancestors)}
    return max(rules, key=lambda r: depth.get(r.org_id, -1), default=None)


def _next_seq(session: Session, scope_key: str, year: int) -> int:
    """Increment (or start) the counter of (scope_key, year) and return the new value, in one statement."""
    stmt = (
        upsert_into(session, NumberCounter)
        .values(scope_key=scope_key, year=year, last=1)
        .on_conflict_do_update(index_elements=["scope_key", "year"], set_={"last": NumberCounter.last + 1})
        .returning(col(NumberCounter.last))
    )
    return int(session.exec(stmt).scalar_one())


def allocate(session: Session, org: Organisation, year: int, kind: str = "case") -> Allocated | None:
    """Take the next printed number for a case of `org` received in China-time `year`; None when no rule applies
    (the caller keeps its built-in format). Call inside the write transaction that inserts the case."""
    rule = rule_for(session, org, kind)
    if rule is None or rule.id is None:
        return None
    scope_key = f"rule:{rule.id}" if rule.scope == "rule" else f"rule:{rule.id}:org:{org.id}"
    seq = _next_seq(session, scope_key, year)
    text = render(rule.pattern, year=year, seq=seq, short=rule.short.strip() or org_short(org), code=org.code)
    return Allocated(text, rule.id, scope_key, year, seq)


def attach(session: Session, allocated: Allocated | None, case: Case) -> None:
    """Record which sequence number the (flushed) case took; the unique index refuses a repeat."""
    if allocated is None or case.id is None:
        return
    session.add(
        CaseNumber(
            case_id=case.id,
            rule_id=allocated.rule_id,
            scope_key=allocated.scope_key,
            year=allocated.year,
            seq=allocated.seq,
        )
    )
    session.flush()


def set_rule(
    session: Session,
    *,
    actor: Actor,
    org_id: int,
    pattern: str,
    short: str = "",
    scope: str = "org",
    kind: str = "case",
) -> NumberingRule:
    """Make a new numbering rule the active one for an organisation's subtree and `kind` (cases, or a document
    kind of RULE_KINDS); the old one stays, inactive."""
    require(actor, P.ASSESSMENT_EDIT)
    if kind not in RULE_KINDS:
        raise ValidationFailed("error.numbering_kind")
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound("error.org_unknown", code=org_id)
    if not org.path.startswith(actor_area(session, actor=actor).path):
        raise OutOfScope("error.out_of_scope")
    pattern, short = pattern.strip(), short.strip()
    validate_rule(pattern, scope, short)
    for old in session.exec(
        select(NumberingRule).where(
            NumberingRule.org_id == org_id, NumberingRule.kind == kind, col(NumberingRule.active)
        )
    ).all():
        old.active = False
        session.add(old)
    session.flush()
    rule = NumberingRule(org_id=org_id, kind=kind, pattern=pattern, short=short, scope=scope, created_by=actor.user_id)
    session.add(rule)
    session.flush()
    audit.record(
        session,
        action="numbering.set",
        actor_id=actor.user_id,
        entity="numberingrule",
        entity_id=rule.id,
        org_id=org_id,
        pattern=pattern,
        scope=scope,
        kind=kind,
    )
    return rule


def preview(session: Session, org: Organisation, year: int, kind: str = "case") -> str | None:
    """What the next case (or `kind` document) number of `org` in `year` would look like (without taking it)."""
    rule = rule_for(session, org, kind)
    if rule is None or rule.id is None:
        return None
    scope_key = f"rule:{rule.id}" if rule.scope == "rule" else f"rule:{rule.id}:org:{org.id}"
    last = session.exec(
        select(NumberCounter.last).where(NumberCounter.scope_key == scope_key, NumberCounter.year == year)
    ).first()
    return render(
        rule.pattern, year=year, seq=(last or 0) + 1, short=rule.short.strip() or org_short(org), code=org.code
    )


def rule_in_area(
    session: Session, *, actor: Actor, year: int, kind: str = "case"
) -> tuple[Organisation, NumberingRule | None, str | None]:
    """The actor's region, the rule numbering `kind` (cases or a document) there and what its next number would be."""
    require(actor, P.ASSESSMENT_EDIT)
    if kind not in RULE_KINDS:
        raise ValidationFailed("error.numbering_kind")
    area = actor_area(session, actor=actor)
    return area, rule_for(session, area, kind), preview(session, area, year, kind)


def document_number(session: Session, case: Case, kind: str) -> str | None:
    """The number printed on the case's `kind` document: the one it took before, else the next of the rule in force
    for its organisation and kind (China-time year of now), taken in the caller's write transaction. None when no
    rule numbers the kind (the document prints as before). Two writers numbering the same document: one number
    stands (uq_documentnumber_once), the other's increment is rolled back with its savepoint (no gap)."""
    if case.id is None:
        return None
    mine = select(DocumentNumber.text).where(DocumentNumber.case_id == case.id, DocumentNumber.kind == kind)
    taken = session.exec(mine).first()
    if taken is not None:
        return taken
    org = session.get(Organisation, case.org_id)
    if org is None or kind not in DOCUMENT_KINDS:
        return None
    try:
        with session.begin_nested():
            allocated = allocate(session, org, clock.today().year, kind)
            if allocated is None:
                return None
            session.add(
                DocumentNumber(
                    case_id=case.id,
                    kind=kind,
                    rule_id=allocated.rule_id,
                    scope_key=allocated.scope_key,
                    year=allocated.year,
                    seq=allocated.seq,
                    text=allocated.text,
                )
            )
            session.flush()
    except IntegrityError:
        return session.exec(mine).one()  # numbered by someone else meanwhile: theirs stands
    return allocated.text


def numbered_document(session: Session, case_id: int, kind: str) -> str | None:
    """The number a case's `kind` document took, if it took one (read only: exports and the verify page)."""
    return session.exec(
        select(DocumentNumber.text).where(DocumentNumber.case_id == case_id, DocumentNumber.kind == kind)
    ).first()
