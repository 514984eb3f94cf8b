"""LOAD-2 / INT-8 on SQLite (one instance, behind deploy/nginx.conf so everything runs under the CSP).

5 Chromium sessions file 10 disputes each through the real /intake page while a signed-in coordinator
browses the workbench, the intake queue and the case list. All 50 rows must be there, nobody may see
"database is locked" (or any error), the coordinator's page times are reported (p95), and the server's
memory after the sessions close must come back near its level before them.

Test settings, not production changes: every session comes from 127.0.0.1 through the proxy, so the
per-client and per-organisation intake limits are raised for this server (MEDIATION_INTAKE_*_LIMIT) and
the minimum fill time is 1 s instead of 3 (MEDIATION_INTAKE_MIN_SECONDS); the bot checks stay on. Closed
sessions are dropped after 10 s instead of 120 (server.disconnectedSessionTTL) so memory can be measured
within the test.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import secrets
import statistics
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import BrowserContext, Page, async_playwright, expect
from sqlmodel import col, func, select

from models import Case
from scripts.screenshots import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DEMO_PASSWORD,
    PHONE_CONTEXT,
    _manage,
    free_port,
    start_streamlit,
)
from services.core.db import make_database
from tests.deploy.conftest import base_env, instance_env, start_nginx

SESSIONS = int(os.environ.get("MH_LOAD_SESSIONS", "5"))  # smaller for a quick local try
INTAKES = int(os.environ.get("MH_LOAD_INTAKES", "4"))  # LOAD-2 proper: MH_LOAD_INTAKES=10
FILL_WAIT_S = 1.2
TOPICS = ("排水", "停车", "噪音", "树木", "围墙")
STAFF_PATHS = ["/workbench", "/intake-queue", "/stats-cases"]
BAD_TEXT = ("database is locked", "Traceback", "OperationalError")
SETTLED = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
      && app.getAttribute('data-test-connection-state') === 'CONNECTED';
}"""


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


async def settle(page: Page, timeout_ms: int = 120_000) -> None:
    await page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    await page.wait_for_function(SETTLED, timeout=timeout_ms)
    await page.wait_for_timeout(300)
    await page.wait_for_function(SETTLED, timeout=timeout_ms)


async def open_page(page: Page, url: str) -> None:
    """A deep link, once more if a just-started instance showed home instead (see test_two_instances)."""
    for _ in range(2):
        await page.goto(url)
        await settle(page)
        if page.url.split("?")[0] == url.split("?")[0]:
            return
    raise AssertionError(f"{url} shows {page.url}")


async def errors_shown(page: Page) -> list[str]:
    alerts = await page.locator('[data-testid="stAlertContentError"], [data-testid="stException"]').all_inner_texts()
    body = await page.locator("body").inner_text()
    return alerts + [w for w in BAD_TEXT if w in body]


async def open_intake(page: Page, url: str) -> None:
    """Open the form and wait until the page has loaded as a person would see it before typing."""
    await open_page(page, url)
    await settle(page)


async def resident(ctx: BrowserContext, base: str, tag: str, n: int, codes: list[str], problems: list[str]) -> None:
    """One phone filing INTAKES disputes, one after another in the same session ("send another")."""
    page = await ctx.new_page()
    await open_intake(page, base + "/intake?org=V001&ui=full")
    for i in range(INTAKES):
        another = page.get_by_role("button", name="再提交一份申请")
        if i and codes_shown(problems, n, i - 1):
            await another.click()
            await expect(page.get_by_role("button", name="提交申请")).to_be_visible()
            await settle(page)
        elif i:  # the last one failed (recorded below): start afresh
            await page.close()
            page = await ctx.new_page()
            await open_intake(page, base + "/intake?org=V001&ui=full")
        shown = time.monotonic()
        phone = "137" + "".join(secrets.choice("0123456789") for _ in range(8))
        await page.get_by_role("textbox", name="您的姓名", exact=True).fill(f"测试居民{n}{i}")
        await page.get_by_role("textbox", name="手机号码", exact=True).fill(phone)
        await page.get_by_role("textbox", name="发生了什么", exact=True).fill(
            f"负载测试 {tag}-{n}-{i}：第{n}组第{i}件，邻里之间因为{TOPICS[i % 5]}问题发生争执。"
        )
        await page.get_by_text("我已阅读并同意上述个人信息处理说明").click()
        await asyncio.sleep(max(0.0, FILL_WAIT_S - (time.monotonic() - shown)))
        await page.get_by_role("button", name="提交申请").click()
        try:
            await expect(page.get_by_text("申请已提交。")).to_be_visible(timeout=120_000)
            await settle(page)
            codes.append((await page.get_by_test_id("stMetricValue").first.inner_text()).strip())
            print(f"  [{time.strftime('%H:%M:%S')}] session {n} intake {i} filed", flush=True)
        except AssertionError:
            text = (await page.locator('[data-testid="stMain"]').inner_text())[:300]
            problems.append(f"session {n} intake {i}: no result; shown {await errors_shown(page)}: {text!r}")
        problems.extend(f"session {n} intake {i}: {e}" for e in await errors_shown(page))
    await page.close()


async def staff(
    ctx: BrowserContext, base: str, ready: asyncio.Event, stop: asyncio.Event, times: list[float], problems: list[str]
) -> None:
    """The coordinator signs in, then opens the case pages in turn until the residents are done."""
    page = await ctx.new_page()
    await page.goto(base + "/workbench")  # signed out: the light sign-in page, which comes back here
    await page.locator('input[name="username"]').fill("coordinator")
    await page.locator('input[type="password"]').fill(DEMO_PASSWORD)
    async with page.expect_navigation(timeout=120_000):
        await page.get_by_role("button", name="登录").click()
    await settle(page)
    if "/signin" in page.url:
        problems.append(f"staff sign-in refused: {await page.locator('main').inner_text()}")
    ready.set()
    n = 0
    while not stop.is_set():
        path = STAFF_PATHS[n % len(STAFF_PATHS)]
        started = time.monotonic()
        await page.goto(base + path)
        await settle(page)
        times.append(time.monotonic() - started)
        if await page.locator('input[type="password"]').count():
            problems.append(f"staff signed out at {path}")
        problems.extend(f"staff {path}: {e}" for e in await errors_shown(page))
        n += 1
    await page.close()


def codes_shown(problems: list[str], n: int, i: int) -> bool:
    """Whether session n's intake i showed its result (no problem recorded for it)."""
    return not any(p.startswith(f"session {n} intake {i}:") for p in problems)


def p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=20, method="inclusive")[18]


async def drive(base: str, tag: str, pid: int) -> tuple[list[str], list[float], list[str], float, float]:
    codes: list[str] = []
    times: list[float] = []
    problems: list[str] = []
    expect.set_options(timeout=120_000)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        contexts = [await browser.new_context(**PHONE_CONTEXT, ignore_https_errors=True) for _ in range(SESSIONS + 1)]
        for ctx in contexts:
            ctx.set_default_timeout(120_000)  # 2 shared cores: slow is measured, not failed
            ctx.on(
                "console",
                lambda m: (
                    "Content Security Policy" in m.text
                    and "fonts.gstatic.com" not in m.text
                    and problems.append(f"CSP: {m.text}")
                ),
            )
        ready, stop = asyncio.Event(), asyncio.Event()
        staff_task = asyncio.create_task(staff(contexts[-1], base, ready, stop, times, problems))
        await asyncio.wait_for(ready.wait(), 120)
        warm = await contexts[0].new_page()  # every page module imported once before the baseline
        await open_page(warm, base + "/intake?org=V001&ui=full")
        await warm.close()
        baseline = rss_mb(pid)
        started = time.monotonic()
        await asyncio.gather(*(resident(contexts[n], base, tag, n, codes, problems) for n in range(SESSIONS)))
        elapsed = time.monotonic() - started
        stop.set()
        await staff_task
        for ctx in contexts:
            await ctx.close()
        await browser.close()
    return codes, times, problems, elapsed, baseline


def _run_in_own_thread(coro: Any) -> Any:
    """asyncio.run() in a thread of its own: pytest-playwright's sync API keeps an event loop in the main thread."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.mark.timeout(600)  # 2 shared CI cores; the figures printed say how long it really took
def test_file_50_intakes_from_5_phones_while_staff_works(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    env.update(
        MEDIATION_INTAKE_CLIENT_LIMIT="500/600",
        MEDIATION_INTAKE_ORG_LIMIT="500/3600",
        MEDIATION_INTAKE_MIN_SECONDS="1",
        STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL="10",
    )
    _manage(env, "init-db")
    _manage(env, "seed-demo", "--cases", "100", "--seed", "11")
    port, https_port = free_port(), free_port()
    env = instance_env(
        env,
        database_url=env["DATABASE_URL"],
        public_url=f"https://127.0.0.1:{https_port}",
        cookie_secret=env["STREAMLIT_SERVER_COOKIE_SECRET"],
    )
    server = start_streamlit(env, port, tmp_path / "instance.log")
    try:
        nginx = start_nginx(tmp_path / "nginx", [port], https_port=https_port)
        try:
            tag = secrets.token_hex(3)
            codes, times, problems, elapsed, baseline = _run_in_own_thread(drive(nginx.url, tag, server.process.pid))
            peak = rss_mb(server.process.pid)
            time.sleep(25)  # > disconnectedSessionTTL: the closed sessions are dropped
            after = rss_mb(server.process.pid)
        finally:
            nginx.stop()
        log = server.log_path.read_text(encoding="utf-8", errors="replace")
    finally:
        server.stop()
    db = make_database(env["DATABASE_URL"])
    try:
        with db.read() as s:
            rows = s.exec(
                select(func.count()).select_from(Case).where(col(Case.description).contains(f"负载测试 {tag}-"))
            ).one()
    finally:
        db.dispose()
    print(
        f"\nLOAD: {SESSIONS}×{INTAKES} intakes in {elapsed:.1f} s; {rows} rows; {len(set(codes))} codes; "
        f"staff pages {len(times)}, p50 {statistics.median(times):.2f} s, p95 {p95(times):.2f} s, "
        f"max {max(times):.2f} s; RSS baseline {baseline:.0f} MB, peak {peak:.0f} MB, after close {after:.0f} MB"
    )
    assert problems == [], problems[:10]
    assert rows == SESSIONS * INTAKES and len(set(codes)) == SESSIONS * INTAKES
    assert "database is locked" not in log
    assert len(times) >= 5
    assert after <= baseline * 1.5 + 100, (baseline, peak, after)
