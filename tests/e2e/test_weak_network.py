"""A village's weak network (issue 24): the resident's QR path and the staff app, measured in bytes.

Chromium's network emulation through the DevTools protocol at 390×844 — 400 kbit/s both ways, 400 ms round
trip ("slow 3G"). With JavaScript off (nothing on the resident's path needs it): the light /intake?org=CODE,
a refusal that keeps the text, the receipt with its tracking code and /track, each measured, bytes asserted
and seconds printed (seconds depend on the machine, bytes do not). With JavaScript on, on the same profile: a
filing with 2 photos as taken (≤ 3 MB each), which the page shrinks in the phone before sending. The staff
app's first and repeat loads are measured without the throttle (bytes asserted; the seconds they would take
on the profile are printed as bytes / 50 kB/s). Bytes are everything on the wire that DevTools counts
(headers included) plus the WebSocket frames' payloads."""

from __future__ import annotations

import io
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, ImageChops
from playwright.sync_api import BrowserContext, CDPSession, Page

from scripts.screenshots import DEMO_PASSWORD, PHONE_CONTEXT, LiveServer, sign_in, wait_for_app
from services.core.db import make_database
from services.intake import posters as qr

KBIT = 1000 / 8  # bytes per second per kbit/s
SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 400 * KBIT, "uploadThroughput": 400 * KBIT}
LIGHT_PAGE_BUDGET = 100_000
# Issue 24 asks 1.2 MB for the staff app's first load and 100 KB for a repeat. Staff sign in on the light /signin
# (a few KB; the server sets the cookie), so the Streamlit front end loads once, signed in; the cookie component
# that used to write the cookie (1 MB of JavaScript and Bootstrap CSS in its own frame) is gone.
STAFF_FIRST_BUDGET = 1_200_000
STAFF_REPEAT_BUDGET = 100_000
STORY = "村口修路占了我家的承包地，施工队说是村里同意的，村里说不知道，已经协商两次没有结果。"


@dataclass
class Meter:
    """Bytes on the wire since `reset`, from DevTools network events (cache hits count nothing)."""

    cdp: CDPSession
    http: int = 0
    ws: int = 0
    requests: int = 0
    encodings: dict[str, str] = field(default_factory=dict)  # url → Content-Encoding
    sizes: dict[str, int] = field(default_factory=dict)  # url → bytes on the wire
    urls: dict[str, str] = field(default_factory=dict)  # request id → url

    def __post_init__(self) -> None:
        self.cdp.send("Network.enable")
        self.cdp.on("Network.loadingFinished", self._finished)
        self.cdp.on("Network.webSocketFrameReceived", self._frame)
        self.cdp.on("Network.webSocketFrameSent", self._frame)
        self.cdp.on("Network.responseReceived", self._response)

    def _finished(self, event: dict[str, Any]) -> None:
        self.http += int(event.get("encodedDataLength", 0))
        self.requests += 1
        url = self.urls.get(event["requestId"], "")
        self.sizes[url] = self.sizes.get(url, 0) + int(event.get("encodedDataLength", 0))

    def _frame(self, event: dict[str, Any]) -> None:
        self.ws += len(event["response"].get("payloadData", ""))

    def _response(self, event: dict[str, Any]) -> None:
        response = event["response"]
        self.urls[event["requestId"]] = response["url"]
        headers = {k.lower(): v for k, v in response.get("headers", {}).items()}
        self.encodings[response["url"]] = headers.get("content-encoding", "")

    @property
    def total(self) -> int:
        return self.http + self.ws

    def reset(self) -> None:
        self.http = self.ws = self.requests = 0
        self.encodings.clear()
        self.sizes.clear()


def photo(target: int = 2_900_000) -> bytes:
    """A 12-megapixel phone photo "as taken", just under `target` bytes, with EXIF (camera, GPS)."""
    exif = Image.Exif()
    exif[0x010F] = "VillagePhone"
    exif[0x8825] = {1: "N", 2: (28.0, 44.0, 1.0), 3: "E", 4: (104.0, 38.0, 2.0)}
    scene = Image.effect_noise((250, 188), 90).convert("RGB").resize((4000, 3000), Image.Resampling.BICUBIC)
    img = ImageChops.add(scene, Image.effect_noise((4000, 3000), 8).convert("RGB"), offset=-128)
    for quality in (92, 88, 84, 80, 76, 72, 68):
        out = io.BytesIO()
        img.save(out, "JPEG", quality=quality, exif=exif)
        if out.tell() <= target:
            return out.getvalue()
    raise AssertionError("no photo under the target size")


def poster_address(server: LiveServer, out: Path) -> str:
    """What the printed poster of demo village V001 says, as zbarimg reads its QR code (or, without zbarimg, the
    address the poster is made from)."""
    url = qr.intake_url("V001", server.env["PUBLIC_BASE_URL"])
    if shutil.which("zbarimg") is None:
        return url
    db = make_database(server.db_url)
    try:
        with db.read() as s:
            org = qr.poster_orgs(s, code="V001")[0]
    finally:
        db.dispose()
    out.write_bytes(qr.poster_png(org, url))
    decoded = subprocess.run(["zbarimg", "--raw", "-q", str(out)], capture_output=True, text=True, timeout=60)
    return decoded.stdout.strip()


def _context(browser: Any, *, script: bool = True) -> tuple[BrowserContext, Page, Meter]:
    context = browser.new_context(**PHONE_CONTEXT, java_script_enabled=script)
    page = context.new_page()
    return context, page, Meter(context.new_cdp_session(page))


def _settled(page: Page) -> None:
    """Every request of the page done, in every frame (one may load after the app's script has settled, and its
    bytes count)."""
    page.wait_for_load_state("networkidle")
    for frame in page.frames:
        frame.wait_for_load_state("load")
    page.wait_for_load_state("networkidle")


def _timed(action: Any) -> float:
    start = time.monotonic()
    action()
    return time.monotonic() - start


def _fill(page: Page, name: str, phone: str, story: str) -> None:
    page.fill("#applicant_name", name)
    page.fill("#applicant_phone", phone)
    page.fill("#description", story)


def test_resident_path_and_staff_app_on_slow_3g(
    browser: Any, live_server: LiveServer, shot: Any, tmp_path: Path
) -> None:
    base = live_server.url
    poster = poster_address(live_server, tmp_path / "V001.png")
    assert poster == f"{base}/intake?org=V001"  # the posters are unchanged: their address now opens the light form
    report: list[str] = []
    log = live_server.log_path.read_text(encoding="utf-8", errors="replace")
    assert "background dispatcher started with the server" in log  # by serve.py's st.App lifespan

    # 1–4 with JavaScript off: nothing on the resident's path needs it
    context, page, meter = _context(browser, script=False)
    try:
        meter.cdp.send("Network.emulateNetworkConditions", SLOW_3G)
        seconds = _timed(lambda: (page.goto(poster), page.wait_for_selector("#description")))
        form_bytes = meter.total
        report.append(f"light /intake?org=V001: usable after {seconds:.1f} s, {form_bytes} B")
        shot(page, "light_intake")

        _fill(page, "李桂兰", "1351234", STORY)  # a refusal keeps what was typed
        meter.reset()
        seconds = _timed(lambda: (page.click("button[type=submit]"), page.wait_for_selector("p.err")))
        refusal_bytes = meter.total
        report.append(f"refusal: {seconds:.1f} s, {refusal_bytes} B")
        assert page.input_value("#description") == STORY and page.input_value("#applicant_name") == "李桂兰"
        assert "手机号码格式不正确" in page.inner_text("main")
        shot(page, "light_refusal")

        page.fill("#applicant_phone", "13512348866")
        page.check("input[name=consent]")
        meter.reset()
        seconds = _timed(lambda: (page.click("button[type=submit]"), page.wait_for_selector("#code")))
        receipt_bytes = meter.total
        code = page.inner_text("#code")
        report.append(f"receipt: {seconds:.1f} s, {receipt_bytes} B")
        assert len(code) == 14 and code.count("-") == 2
        shot(page, "light_receipt")

        meter.reset()
        seconds = _timed(lambda: (page.click("a[href^='/track']"), page.wait_for_selector("#last4")))
        page.fill("#last4", "8866")
        seconds += _timed(lambda: (page.click("button[type=submit]"), page.wait_for_selector("#result")))
        track_bytes = meter.total
        report.append(f"/track (open and look up): {seconds:.1f} s, {track_bytes} B")
        assert "待受理" in page.inner_text("#result") and "李桂兰" not in page.inner_text("main")
        shot(page, "light_track")
    finally:
        context.close()
    for measured in (form_bytes, refusal_bytes, receipt_bytes, track_bytes):
        assert measured <= LIGHT_PAGE_BUDGET

    # 5. two photos as taken (≤ 3 MB each), on the same profile: the page shrinks them in the phone first
    taken = photo()
    photos = [taken, taken]
    context, page, meter = _context(browser)
    try:
        meter.cdp.send("Network.emulateNetworkConditions", SLOW_3G)
        page.goto(f"{base}/intake?org=V001")
        _fill(page, "王德福", "13512347711", STORY + "（附现场照片两张）")
        page.check("input[name=consent]")
        page.set_input_files(
            "#photos", [{"name": f"IMG_{i}.jpg", "mimeType": "image/jpeg", "buffer": b} for i, b in enumerate(photos)]
        )
        seconds = _timed(lambda: (page.click("button[type=submit]"), page.wait_for_selector("#code", timeout=90_000)))
        sizes = " and ".join(f"{len(b) / 1e6:.1f} MB" for b in photos)
        report.append(f"filing with 2 photos of {sizes} as taken: {seconds:.1f} s to the tracking code")
        assert len(page.inner_text("#code")) == 14
    finally:
        context.close()

    # 6. the staff app: first load (empty cache) through sign-in, then a repeat load
    context, page, meter = _context(browser)
    try:
        seconds = _timed(lambda: page.goto(f"{base}/workbench"))  # signed out: sent to the light /signin
        shell_bytes = meter.total
        report.append(f"staff sign-in page (/workbench → /signin): {seconds:.1f} s, {shell_bytes} B")
        assert page.locator("form[action='/signin'] input[name=password]").count() == 1
        shot(page, "light_signin")
        sign_in(page, base, "mediator", DEMO_PASSWORD)
        wait_for_app(page)
        _settled(page)
        first_bytes = meter.total
        js = [
            meter.encodings.get(url, "")
            for url, size in meter.sizes.items()
            if url.endswith(".js") and "/static/" in url and size > 2000
        ]
        biggest = sorted(meter.sizes.items(), key=lambda kv: -kv[1])[:12]
        report += [f"  {n:>8} B {meter.encodings.get(url, '-'):4} {url.split('?')[0][-70:]}" for url, n in biggest]
        meter.reset()
        page.reload()
        wait_for_app(page)
        _settled(page)
        repeat_bytes = meter.total
        again = sorted(meter.sizes.items(), key=lambda kv: -kv[1])[:6]
        report += [f"  repeat {size:>8} B {url.split('?')[0][-70:]}" for url, size in again]
        report.append(
            f"staff app first load: {shell_bytes} B to the sign-in page, {first_bytes} B signed in to the "
            f"workbench (≈ {first_bytes / (400 * KBIT):.0f} s on the profile), compressed with "
            f"{'brotli' if js and all(e == 'br' for e in js) else 'gzip'}; repeat load {repeat_bytes} B "
            f"(≈ {repeat_bytes / (400 * KBIT):.1f} s)"
        )
    finally:
        context.close()
        print("\n" + "\n".join(f"[weak network] {line}" for line in report))
    assert js and all(enc in ("gzip", "br") for enc in js), "static bundles must travel compressed"
    assert shell_bytes <= LIGHT_PAGE_BUDGET
    assert first_bytes <= STAFF_FIRST_BUDGET
    assert repeat_bytes <= STAFF_REPEAT_BUDGET
