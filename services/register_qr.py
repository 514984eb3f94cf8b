"""A register's QR poster: the register's title, the organisation, its QR code and the printed address."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from services.qr import A4_SCREEN, GREY, INK, RED, _centered, _fit, _font, qr_image, short_url

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
    step_font = _font(False, int(44 * u))
    step_h = int(72 * u)
    steps_top = h - int(120 * u) - step_h * len(STEPS)
    left = (w - int(max(draw.textlength(s, font=step_font) for s in STEPS))) // 2
    for i, line in enumerate(STEPS):
        draw.text((left, steps_top + i * step_h), line, font=step_font, fill=INK)
    url_lines, url_font = _fit(draw, short_url(url), False, int(40 * u), int(1100 * u))
    url_top = steps_top - int(50 * u) - int(56 * u) * len(url_lines)
    for i, line in enumerate(url_lines):
        _centered(draw, url_top + i * int(56 * u), line, url_font, w, INK)
    code = qr_image(url, box_size=1, border=4, strong=True)
    room = url_top - int(30 * u) - (y + int(30 * u))
    side = min(int(760 * u), room) // code.width * code.width
    top = y + int(30 * u) + (room - side) // 2
    img.paste(code.resize((side, side), Image.Resampling.NEAREST), ((w - side) // 2, top))
    out = io.BytesIO()
    img.save(out, "PNG", optimize=True)
    return out.getvalue()
