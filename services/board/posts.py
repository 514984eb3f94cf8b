"""Board posts: the shipped texts, and typical cases (典型案例) from pick → de-identified draft → reviewed
preview → a second person's approval → published; unpublished at any time. Every action is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from models import BoardPost, Case, Party
from services.access.authz import Actor, case_in_scope_clause, require, require_any
from services.access.permissions import P
from services.board.texts import DEFAULT_TEXTS
from services.cases import states
from services.core import audit
from services.core.errors import NotFound, PermissionDenied, ValidationFailed
from services.lowcode.dictionaries import labels
from services.privacy.patterns import other_names
from services.privacy.redact import Change, Person, leaks, marked_segments, masked, redact

TYPICAL = "typical_case"


@dataclass(frozen=True)
class RedactionPreview:
    """What the approver sees: each replacement made in the case's text, and what to highlight in the post."""

    changes: list[Change]
    marks: set[str]

    def segments(self, text: str) -> list[tuple[str, bool]]:
        """The text cut into (segment, highlighted) pieces."""
        return marked_segments(text, self.marks)


@dataclass(frozen=True)
class Pickable:
    """A closed case staff may turn into a typical case (no party data: number, category, month)."""

    case_id: int
    case_no: str
    category: str
    month: int


def _now() -> datetime:
    return datetime.now(UTC)


def seed_board_texts(session: Session) -> int:
    """Add the shipped texts that are missing (by slug), published; never overwrites an office's edit."""
    have = set(session.exec(select(BoardPost.slug).where(col(BoardPost.slug).is_not(None))).all())
    added = 0
    for position, (slug, kind, title, body) in enumerate(DEFAULT_TEXTS):
        if slug in have:
            continue
        session.add(
            BoardPost(
                kind=kind, slug=slug, title=title, body=body, position=position, status="published", published_at=_now()
            )
        )
        added += 1
    if added:
        session.flush()
    return added


def update_text(session: Session, *, actor: Actor, slug: str, title: str, body: str) -> BoardPost:
    """Edit one of the board's own texts (rules, legal basis, … supervision); published at once."""
    require(actor, P.BOARD_EDIT)
    post = session.exec(select(BoardPost).where(BoardPost.slug == slug)).first()
    if post is None:
        raise NotFound("error.not_found")
    if not title.strip() or not body.strip():
        raise ValidationFailed("error.board_text_empty")
    post.title, post.body = title.strip()[:120], body.strip()
    post.reviewed_by, post.reviewed_at = actor.user_id, _now()
    session.add(post)
    audit.record(
        session, action="board.text_edit", actor_id=actor.user_id, entity="boardpost", entity_id=post.id, slug=slug
    )
    session.flush()
    return post


def pickable_cases(session: Session, *, actor: Actor, limit: int = 50) -> list[Pickable]:
    """Closed cases in the actor's area whose parties consented to publication and did not ask for privacy."""
    require(actor, P.BOARD_EDIT)
    taken = select(BoardPost.case_id).where(
        BoardPost.kind == TYPICAL, col(BoardPost.case_id).is_not(None), BoardPost.status != "withdrawn"
    )
    rows = session.exec(
        select(Case.id, Case.case_no, Case.category, Case.received_month)
        .where(
            col(Case.status).in_(states.PUBLISHABLE),
            Case.publication_consent == True,  # noqa: E712
            Case.non_public == False,  # noqa: E712
            case_in_scope_clause(actor),
            col(Case.id).not_in(taken),
        )
        .order_by(col(Case.id).desc())
        .limit(limit)
    ).all()
    return [Pickable(i or 0, n, c, m) for i, n, c, m in rows]


def _pickable_case(session: Session, actor: Actor, case_id: int) -> Case:
    case = session.exec(select(Case).where(Case.id == case_id, case_in_scope_clause(actor))).first()
    if case is None:
        raise NotFound("error.not_found")
    if case.status not in states.PUBLISHABLE:
        raise ValidationFailed("error.board_case_open")
    if case.non_public or not case.publication_consent:
        raise ValidationFailed("error.board_case_private")
    return case


def people_of(session: Session, case_id: int) -> list[Person]:
    """The case's parties as the redactor needs them."""
    parties = session.exec(select(Party).where(Party.case_id == case_id).order_by(col(Party.id))).all()
    return [Person(p.name, p.address, p.kind) for p in parties]


def _narrative(case: Case) -> str:
    parts = [
        case.description,
        case.request and f"诉求：{case.request}",
        case.outcome_note and f"调解结果：{case.outcome_note}",
    ]
    return "\n".join(p for p in parts if p)


def draft_typical_case(session: Session, *, actor: Actor, case_id: int) -> BoardPost:
    """A de-identified draft from a closed case: the narrative and outcome with names, numbers and places removed."""
    require(actor, P.BOARD_EDIT)
    case = _pickable_case(session, actor, case_id)
    people = people_of(session, case_id)
    category = labels(session, "category", "zh-CN").get(case.category, case.category)
    body = redact(_narrative(case), people).text
    post = BoardPost(
        kind=TYPICAL,
        org_id=case.org_id,
        case_id=case.id,
        title=f"{category}典型案例",
        body=body,
        status="draft",
        created_by=actor.user_id,
    )
    session.add(post)
    session.flush()
    audit.record(
        session, action="board.draft", actor_id=actor.user_id, entity="boardpost", entity_id=post.id, case_id=case.id
    )
    return post


def _typical(session: Session, actor: Actor, post_id: int) -> BoardPost:
    post = session.get(BoardPost, post_id)
    if post is None or post.kind != TYPICAL:
        raise NotFound("error.not_found")
    if post.case_id is not None:
        _pickable_case(session, actor, post.case_id)  # in scope, and consent not since withdrawn
    return post


def privacy_problems(session: Session, case_id: int | None, title: str, body: str) -> list[str]:
    """What in a text still looks like a party's data: numbers, and the case's parties' names or addresses."""
    text = f"{title}\n{body}"
    found = leaks(text) + other_names(text)
    if case_id is not None:
        for person in people_of(session, case_id):
            found += [v for v in (person.name, person.address) if len(v) >= 2 and v in text]
    return found


def review_typical_case(session: Session, *, actor: Actor, post_id: int, title: str, body: str) -> BoardPost:
    """The editor's reviewed text (exactly what will be published); refused while it still leaks data."""
    require(actor, P.BOARD_EDIT)
    post = _typical(session, actor, post_id)
    if post.status == "published":
        raise ValidationFailed("error.board_published_locked")
    title, body = title.strip()[:120], body.strip()
    if not title or not body:
        raise ValidationFailed("error.board_text_empty")
    if privacy_problems(session, post.case_id, title, body):
        raise ValidationFailed("error.board_leak")
    post.title, post.body = title, body
    post.status, post.reviewed_by, post.reviewed_at = "draft", actor.user_id, _now()
    session.add(post)
    audit.record(session, action="board.review", actor_id=actor.user_id, entity="boardpost", entity_id=post.id)
    session.flush()
    return post


def approve_typical_case(session: Session, *, actor: Actor, post_id: int) -> BoardPost:
    """A second person (not the reviewer) approves the reviewed text: it is published."""
    require(actor, P.BOARD_PUBLISH)
    post = _typical(session, actor, post_id)
    if post.reviewed_by is None or post.status != "draft":
        raise ValidationFailed("error.board_not_reviewed")
    if post.created_by == actor.user_id:
        raise PermissionDenied("error.board_drafter_approves")
    if post.reviewed_by == actor.user_id:
        raise PermissionDenied("error.board_second_person")
    if privacy_problems(session, post.case_id, post.title, post.body):
        raise ValidationFailed("error.board_leak")
    post.status, post.approved_by, post.published_at, post.withdrawn_at = "published", actor.user_id, _now(), None
    session.add(post)
    audit.record(session, action="board.publish", actor_id=actor.user_id, entity="boardpost", entity_id=post.id)
    session.flush()
    return post


def redaction_preview(session: Session, *, actor: Actor, post_id: int) -> RedactionPreview:
    """For the reviewer and approver: what de-identification replaced in the case's own text (原文片段 → 替换为), and
    the placeholders and pseudonyms to highlight in the post."""
    require_any(actor, P.BOARD_EDIT, P.BOARD_PUBLISH)
    post = _typical(session, actor, post_id)
    changes: list[Change] = []
    marks: set[str] = set()
    case = session.get(Case, post.case_id) if post.case_id is not None else None
    if case is not None:
        done = redact(_narrative(case), people_of(session, case.id or 0))
        changes = [Change(masked(c.original), c.replacement) for c in done.changes]
        marks = done.marks
    else:
        marks = redact("").marks
    return RedactionPreview(changes, marks)


def unpublish(session: Session, *, actor: Actor, post_id: int, reason: str = "") -> BoardPost:
    """Take a typical case off the board at once (it stays, withdrawn, for the record)."""
    require_any(actor, P.BOARD_EDIT, P.BOARD_PUBLISH)
    post = session.get(BoardPost, post_id)
    if post is None or post.kind != TYPICAL:
        raise NotFound("error.not_found")
    if (
        post.case_id is not None
        and session.exec(select(Case.id).where(Case.id == post.case_id, case_in_scope_clause(actor))).first() is None
    ):
        raise NotFound("error.not_found")  # another area's post (withdrawn consent does not block this)
    post.status, post.withdrawn_at = "withdrawn", _now()
    session.add(post)
    audit.record(
        session,
        action="board.unpublish",
        actor_id=actor.user_id,
        entity="boardpost",
        entity_id=post.id,
        reason=reason[:200],
    )
    session.flush()
    return post


def list_typical(session: Session, *, actor: Actor) -> list[BoardPost]:
    """Typical cases of the actor's area, newest first (editor's list)."""
    require_any(actor, P.BOARD_EDIT, P.BOARD_PUBLISH)
    in_area = select(Case.id).where(case_in_scope_clause(actor))
    return list(
        session.exec(
            select(BoardPost)
            .where(BoardPost.kind == TYPICAL, col(BoardPost.case_id).in_(in_area))
            .order_by(col(BoardPost.id).desc())
            .limit(100)
        ).all()
    )


def list_texts(session: Session) -> list[BoardPost]:
    """The board's own texts (rules … supervision) in their order."""
    return list(
        session.exec(select(BoardPost).where(col(BoardPost.slug).is_not(None)).order_by(col(BoardPost.position))).all()
    )
