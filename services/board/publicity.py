"""The publication layer: everything the public board may show, as *Public dataclasses of whitelisted fields.

The board's pages read only this module. It never returns a party, a case narrative or a contact of a
person: typical cases are the reviewed, approved BoardPost text; statistics are counts from the KPI
services (services/stats/dashboard.py, as the system actor); any count broken down below county level that is
under SMALL is shown as "<5".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, or_, select

from models import BoardPost, Mediator, Organisation, OrgKind, TitleAward
from services.access.authz import Actor
from services.board.texts import DEFAULT_TEXTS
from services.core.clock import local_date
from services.intake.posters import directory, intake_url
from services.ledger.payout import published_notices
from services.lowcode.dictionaries import labels
from services.stats import dashboard as stats
from services.stats import kpi as K
from services.stats.sql import Filters, Period

SMALL = 5
AT_OR_ABOVE_COUNTY = (OrgKind.CITY, OrgKind.COUNTY)


@dataclass(frozen=True)
class TextPublic:
    slug: str
    kind: str
    title: str
    body: str


@dataclass(frozen=True)
class OrgPublic:
    code: str
    name: str
    address: str
    phone: str
    hours: str
    intake_url: str


@dataclass(frozen=True)
class AreaPublic:
    county: str
    town: str
    orgs: tuple[OrgPublic, ...]


@dataclass(frozen=True)
class HonourPublic:
    name: str
    org_name: str
    stars: int | None
    titles: tuple[str, ...]
    photo: bytes | None


@dataclass(frozen=True)
class CountPublic:
    label: str
    received: str
    succeeded: str


@dataclass(frozen=True)
class StatsPublic:
    year: int
    received: int
    succeeded: int
    mediated: int
    success_rate: float | None
    formula: str
    by_category: tuple[CountPublic, ...]
    by_month: tuple[tuple[int, int, int], ...]  # (YYYYMM, received, succeeded)
    by_county: tuple[CountPublic, ...]
    by_town: tuple[CountPublic, ...] = ()  # below county level: small counts shown as "<5"


@dataclass(frozen=True)
class TypicalCasePublic:
    id: int
    title: str
    body: str
    published_on: date | None


@dataclass(frozen=True)
class NoticeLinePublic:
    mediator: str
    org_name: str
    cases: int
    amount_yuan: str


@dataclass(frozen=True)
class NoticePublic:
    code: str
    region: str
    paid_on: date
    until: date
    lines: tuple[NoticeLinePublic, ...]
    total_yuan: str


def shown_count(n: int, *, below_county: bool) -> str:
    """A count as the public sees it: under 5 below county level becomes "<5"."""
    return f"<{SMALL}" if below_county and 0 < n < SMALL else str(n)


def _area_count(name: str, received: int, succeeded: int, below_county: bool) -> CountPublic:
    return CountPublic(
        name, shown_count(received, below_county=below_county), shown_count(succeeded, below_county=below_county)
    )


def _towns(
    session: Session, actor: Actor, counties: list[int], today: date, kinds: dict[int | None, str]
) -> list[CountPublic]:
    """Each county's towns (below county level, so counts under 5 become "<5")."""
    out: list[CountPublic] = []
    for county_id in counties:
        board = stats.dashboard(
            session,
            actor=actor,
            filters=Filters(period=Period.year(today.year), org_id=county_id),
            compare=None,
            today=today,
        )
        out += [
            _area_count(r.name, r["received"], r["succeeded"], kinds.get(r.key) not in AT_OR_ABOVE_COUNTY)
            for r in board.by_org
            if r["received"] and r.key != county_id
        ]
    return out


def texts(session: Session) -> list[TextPublic]:
    """The board's texts: rules, legal basis, scope, principles, process, supervision.

    The office's edited rows where they exist, the shipped defaults otherwise (read-only: seeding is the
    editor's job), in the shipped order."""
    rows = {p.slug: p for p in session.exec(select(BoardPost).where(col(BoardPost.slug).is_not(None))).all()}
    out = []
    for slug, kind, title, body in DEFAULT_TEXTS:
        row = rows.get(slug)
        if row is None:
            out.append(TextPublic(slug, kind, title, body))
        elif row.status == "published":
            out.append(TextPublic(slug, row.kind, row.title, row.body))
    return out


def org_directory(session: Session, base_url: str | None = None) -> list[AreaPublic]:
    """Organisations taking public intake by county and town, each with its office contact and intake link."""
    return [
        AreaPublic(
            g.county,
            g.area,
            tuple(OrgPublic(o.code, o.name, o.address, o.phone, o.hours, intake_url(o.code, base_url)) for o in g.orgs),
        )
        for g in directory(session)
    ]


def honour_roll(session: Session, *, limit: int = 30) -> list[HonourPublic]:
    """Star mediators and title holders (调解能手, 优秀调解室): public names, their organisation, stars, titles."""
    orgs = dict(session.exec(select(Organisation.id, Organisation.name)).all())
    awards = session.exec(
        select(TitleAward.title, TitleAward.period, TitleAward.mediator_id, TitleAward.org_id).order_by(
            col(TitleAward.id).desc()
        )
    ).all()
    by_mediator: dict[int, list[str]] = {}
    rooms: list[HonourPublic] = []
    for title, period, mediator_id, org_id in awards:
        if mediator_id is not None:
            by_mediator.setdefault(mediator_id, []).append(f"{period} {title}".strip())
        elif org_id is not None:
            rooms.append(HonourPublic(orgs.get(org_id, ""), "", None, (f"{period} {title}".strip(),), None))
    mediators = session.exec(
        select(Mediator)
        .where(
            Mediator.status == "active", or_(col(Mediator.stars) >= 3, col(Mediator.id).in_(list(by_mediator) or [-1]))
        )
        .order_by(col(Mediator.stars).desc(), col(Mediator.id))
        .limit(limit)
    ).all()
    people = [
        HonourPublic(m.name, orgs.get(m.org_id, ""), m.stars, tuple(by_mediator.get(m.id or 0, ())), m.photo)
        for m in mediators
    ]
    return people + rooms


def statistics(session: Session, *, today: date, lang: str = "zh-CN") -> StatsPublic:
    """This year's figures for the whole region, by category, month and county (from the KPI services)."""
    try:
        actor = stats.system_actor(session)
    except Exception:  # no organisation yet: an empty board
        return StatsPublic(today.year, 0, 0, 0, None, K.get("success_rate").formula(lang), (), (), ())
    board = stats.dashboard(
        session, actor=actor, filters=Filters(period=Period.year(today.year)), compare=None, today=today
    )
    names = labels(session, "category", lang)
    current = board.current
    kinds = dict(session.exec(select(Organisation.id, Organisation.kind)).all())
    cats = tuple(
        CountPublic(names.get(r.key, r.key) or "—", str(r["received"]), str(r["succeeded"]))
        for r in board.by_category
        if r["received"]
    )
    counties = tuple(
        _area_count(r.name, r["received"], r["succeeded"], kinds.get(r.key) not in AT_OR_ABOVE_COUNTY)
        for r in board.by_org
        if r["received"]
    )
    months = tuple((int(r.key), r["received"], r["succeeded"]) for r in board.by_month)
    towns = tuple(
        _towns(session, actor, [r.key for r in board.by_org if kinds.get(r.key) == OrgKind.COUNTY], today, kinds)
    )
    rate = current.get("success_rate")
    return StatsPublic(
        today.year,
        int(current.get("received") or 0),
        int(current.get("succeeded") or 0),
        int(current.get("mediated") or 0),
        rate,
        K.get("success_rate").formula(lang),
        cats,
        months,
        counties,
        towns,
    )


def typical_cases(session: Session, *, today: date, limit: int = 20) -> list[TypicalCasePublic]:
    """Approved typical cases now on the board (published, inside their publication window)."""
    rows = session.exec(
        select(BoardPost)
        .where(
            BoardPost.kind == "typical_case",
            BoardPost.status == "published",
            col(BoardPost.approved_by).is_not(None),
            or_(col(BoardPost.publish_from).is_(None), col(BoardPost.publish_from) <= today),
            or_(col(BoardPost.publish_until).is_(None), col(BoardPost.publish_until) >= today),
        )
        .order_by(col(BoardPost.published_at).desc())
        .limit(limit)
    ).all()
    return [preview(p) for p in rows]


def preview(post: BoardPost) -> TypicalCasePublic:
    """A post exactly as the board shows it (the editor's preview uses the same)."""
    published = local_date(post.published_at) if post.published_at else None
    return TypicalCasePublic(post.id or 0, post.title, post.body, published)


def _yuan(fen: int) -> str:
    return f"{fen / 100:,.2f}"


def notices(session: Session, *, today: date) -> list[NoticePublic]:
    """Subsidy notices inside their notice period: mediators, case counts and amounts (ledger service)."""
    return [
        NoticePublic(
            n.code,
            n.region_name,
            n.paid_on,
            n.notice_until,
            tuple(NoticeLinePublic(ln.mediator_name, ln.org_name, ln.cases, _yuan(ln.amount_fen)) for ln in n.lines),
            _yuan(n.total_fen),
        )
        for n in published_notices(session, today)
    ]
