"""The canary sweep: cases whose parties, phones, ID numbers, addresses and narratives carry unique canary
values; typical cases and statistics published from them; every board view and the big screen fetched in
Chromium; no canary value and no 11-digit phone or 18-character ID pattern may appear. Then unpublishing
removes an item at the next load."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from sqlmodel import col, select

from models import BoardPost, Case, Organisation, User
from scripts.screenshots import LiveServer, start_live_server, wait_for_app
from services.access.accounts import create_user, load_actor
from services.access.authz import Actor
from services.board import posts as B
from services.cases.create import CaseInput, PartyInput, create_case
from services.core.db import Database, make_database
from services.core.security import ID_CHECK, ID_WEIGHTS

CASES = 500
PUBLISHED = 20
SURNAMES = "赵钱孙周吴郑冯陈卫蒋沈韩杨朱秦尤许何吕施"
RARE = "淼垚焱犇骉琦瑾璇璐瑶玥珂琰瑛琪瑜璋璟璞瑄玮珺琛琨璘珩琮瑭璠瓒珣琇"  # 32 distinct: 1024 given names
PHONE_11 = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ID_18 = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


def id_number(n: int) -> str:
    born = date(1960, 1, 1) + timedelta(days=n * 7)
    body = f"511523{born:%Y%m%d}{n % 1000:03d}"
    return body + ID_CHECK[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def person(n: int) -> tuple[str, str, str, str, str]:
    """(name, given name, phone, ID number, address) of canary person n, all unique."""
    given = RARE[n // 32 % 32] + RARE[n % 32]
    village = RARE[(n * 7) % 32] + RARE[(n * 11 + 3) % 32]
    return (
        SURNAMES[n % 20] + given,
        given,
        f"139{n:08d}",
        id_number(n),
        f"江安县红桥镇{village}村{n % 9 + 1}组{n + 100}号",
    )


def narrative(a: tuple[str, ...], b: tuple[str, ...], n: int) -> str:
    return (
        f"{a[0]}（电话{a[2]}，身份证号{a[3]}）与{b[0]}（手机{b[2]}，身份证{b[3]}）因{a[4]}门前排水沟发生纠纷。"
        f"{a[1]}称{b[1]}的车川Q·{n:05d}长期占道，{b[1]}另留电话138 {n:04d} {n % 10000:04d}、"
        f"邮箱c{n}@example.com，住{b[4]}。"
    )


def canaries(n: int) -> list[str]:
    a, b = person(2 * n), person(2 * n + 1)
    return [*a, *b, f"川Q·{n:05d}", f"c{n}@example.com", a[4].removeprefix("江安县"), b[4].removeprefix("江安县")]


def seed(db: Database) -> list[int]:
    """CASES canary cases (closed, most with consent), then PUBLISHED typical cases approved by a second person."""
    with db.write() as s:
        orgs = s.exec(
            select(Organisation).where(col(Organisation.kind) == "village_committee").order_by(col(Organisation.id))
        ).all()
        root = s.exec(select(Organisation).where(col(Organisation.parent_id).is_(None))).one()
        for n in range(CASES):
            a, b = person(2 * n), person(2 * n + 1)
            case = create_case(
                s,
                actor_id=None,
                data=CaseInput(
                    org_id=orgs[n % len(orgs)].id or 0,
                    source="walk_in",
                    category="neighbour",
                    description=narrative(a, b, n),
                    request=f"要求{b[0]}赔偿，联系{a[2]}",
                    parties=[
                        PartyInput(side="applicant", name=a[0], phone=a[2], id_number=a[3], address=a[4]),
                        PartyInput(side="respondent", name=b[0], phone=b[2], id_number=b[3], address=b[4]),
                    ],
                ),
            )
            case.status = "succeeded"
            case.publication_consent = n % 10 != 9
            case.non_public = n % 25 == 0
            case.outcome_note = f"{a[0]}与{b[0]}达成协议，{b[1]}赔偿2000元，于{a[4]}当面履行。"
            s.add(case)
        users = [
            create_user(
                s,
                username=f"canary_editor{i}",
                display_name=f"编辑{i}",
                password="canary-edit-2026",
                org_code=root.code,
                roles=["coordinator"],
            )
            for i in (1, 2)
        ]
    with db.read() as s:
        editor, approver = (load_actor(s, u.id or 0) for u in users)
    assert isinstance(editor, Actor) and isinstance(approver, Actor)
    posts = []
    with db.write() as s:
        for i, pick in enumerate(B.pickable_cases(s, actor=editor, limit=PUBLISHED)):
            post = B.draft_typical_case(s, actor=editor, case_id=pick.case_id)
            B.review_typical_case(s, actor=editor, post_id=post.id or 0, title=f"典型案例第{i + 1}号", body=post.body)
            B.approve_typical_case(s, actor=approver, post_id=post.id or 0)
            posts.append(post.id or 0)
        private = s.exec(select(Case.id).where(Case.non_public == True)).all()  # noqa: E712
        assert not set(private) & {p.case_id for p in B.pickable_cases(s, actor=editor, limit=CASES)}
    return posts


@pytest.fixture(scope="module")
def canary_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, list[int], Actor]]:
    server = start_live_server(tmp_path_factory.mktemp("canary"), cases=30, seed=3)
    saved = {k: os.environ.get(k) for k in ("DATA_KEY", "DATABASE_URL")}
    os.environ.update(DATA_KEY=server.env["DATA_KEY"], DATABASE_URL=server.db_url)
    db = make_database(server.db_url)
    try:
        posts = seed(db)
        with db.read() as s:
            user_id = s.exec(select(User.id).where(User.username == "canary_editor1")).one()
            actor = load_actor(s, user_id or 0)
        assert actor is not None
        yield server, posts, actor
    finally:
        db.dispose()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        server.stop()


def open_page(page: Page, url: str) -> None:
    """Go to url and wait for the app; once more if a just-started server answered with the default page."""
    for _ in range(2):
        page.goto(url)
        wait_for_app(page)
        if page.url == url:
            return


def board_views(page: Page, url: str) -> str:
    """The text and HTML of /board with every tab opened in turn (and every expander open)."""
    open_page(page, url + "/board")
    page.get_by_role("tab").first.wait_for(timeout=20_000)
    seen = []
    tabs = page.get_by_role("tab")
    for i in range(tabs.count()):
        tabs.nth(i).click()
        page.wait_for_timeout(300)
        for summary in page.locator("summary").all():
            if summary.is_visible():
                summary.click()
        seen.append(page.locator("body").inner_text())
    seen.append(page.content())
    return "\n".join(seen)


def assert_clean(text: str) -> None:
    values = [v for n in range(CASES) for v in canaries(n)]
    leaked = [v for v in values if v in text]
    assert not leaked, f"{len(leaked)} canary values on the board, e.g. {leaked[:5]}"
    assert not PHONE_11.findall(text) and not ID_18.findall(text)


def test_sweep_board_and_big_screen(
    canary_server: tuple[LiveServer, list[int], Actor], page: Page, browser: Browser, shot: Callable[[Page, str], Path]
) -> None:
    server, posts, _ = canary_server
    assert len(posts) == PUBLISHED
    text = board_views(page, server.url)
    assert "典型案例第1号" in text and "调解成功率" in text, (page.url, page.locator("body").inner_text()[:1500])
    assert_clean(text)
    page.get_by_role("tab").nth(0).click()
    shot(page, "board")
    wide = browser.new_page(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    for path in ("/board?screen=1", "/big-screen"):
        open_page(wide, server.url + path)
        wide.get_by_text("人民调解工作实时数据").wait_for(timeout=15_000)
        assert_clean(wide.locator("body").inner_text() + wide.content())
    shot(wide, "big-screen")
    wide.close()


def test_unpublish_removes_at_next_load(canary_server: tuple[LiveServer, list[int], Actor], page: Page) -> None:
    server, posts, actor = canary_server
    db = make_database(server.db_url)
    try:
        with db.write() as s:
            title = s.get(BoardPost, posts[2]).title
            B.unpublish(s, actor=actor, post_id=posts[2])
    finally:
        db.dispose()
    text = board_views(page, server.url)
    assert title not in text and "典型案例第1号" in text


CHROME = ("stHeader", "stToolbar", "stSidebar", "stSidebarCollapsedControl", "stExpandSidebarButton", "stDecoration")
LOWEST_ELEMENT_JS = """() => Math.max(...[...document.querySelectorAll(
    '[data-testid="stMainBlockContainer"] [data-testid="stElementContainer"]')]
    .map(e => e.getBoundingClientRect().bottom))"""


def test_big_screen_fills_the_wall_without_chrome_or_scrolling(
    canary_server: tuple[LiveServer, list[int], Actor], browser: Browser
) -> None:
    """At 1920×1080: no Streamlit header, toolbar or sidebar; everything within the screen; no personal data."""
    server, _, _ = canary_server
    wall = browser.new_page(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    try:
        open_page(wall, server.url + "/big-screen")
        wall.get_by_text("人民调解工作实时数据").wait_for(timeout=30_000)
        wall.get_by_text("光荣榜").wait_for(timeout=30_000)
        wall.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=30_000)
        for testid in CHROME:
            shown = wall.locator(f'[data-testid="{testid}"]')
            assert not any(shown.nth(i).is_visible() for i in range(shown.count())), f"{testid} is shown"
        assert wall.evaluate(LOWEST_ELEMENT_JS) <= 1080, "the wall display runs past the screen"
        assert wall.evaluate("() => document.documentElement.scrollHeight") <= 1080
        assert wall.get_by_text("每分钟自动刷新").count() == 1  # the figures refresh themselves (run_every=60)
        assert_clean(wall.locator("body").inner_text() + wall.content())
    finally:
        wall.close()
