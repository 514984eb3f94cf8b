"""A register's QR poster: the register's title, the organisation, its QR code and the printed address."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from services.intake.posters import A4_SCREEN, GREY, INK, RED, _centered, _fit, _font, place_code_and_steps

STEPS = ("1. 用微信或手机相机扫描上方二维码", "2. 按表格填写并提交", "3. 记下登记编号")


def register_poster_png(title: str, org_name: str, url: str, *, size: tuple[int, int] = A4_SCREEN) -> bytes:
    """An A4 poster (PNG) for a public register: banner, title, organisation, QR code, address and steps."""
    w, h = size
    u = w / 1240
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, w, int(180 * u)), fill=RED)
    _centered(draw, int(52 * u), "扫码登记", _font(True, int(76 * u)), w, (255, 255, 255))
    y = int(240 * u)
    for text, bold, px, colour in ((title, True, 72, INK), (org_name, False, 44, GREY)):
        if text:
            lines, font = _fit(draw, text, bold, int(px * u), int(1080 * u))
            for line in lines:
                y = _centered(draw, y, line, font, w, colour) + int(20 * u)
    place_code_and_steps(img, url, top=y, bottom=h - int(120 * u), steps=STEPS)
    out = io.BytesIO()
    img.save(out, "PNG", optimize=True)
    return out.getvalue()
