"""The light pages' HTML: one small page shell (inline CSS, no script, no web font) and escaping helpers.

Every value that is not a literal of this package goes through `esc` (text and attributes alike); the pages
never build markup from stored or typed text any other way.
"""

from __future__ import annotations

import html
import re
from typing import Any

from services.core.i18n import translate

LANG = "zh-CN"
_UNSHOWABLE = re.compile(r"[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

CSS = """
*{box-sizing:border-box}
body{margin:0;font:16px/1.55 system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;
color:#1f2328;background:#f6f7f9}
main{max-width:560px;margin:0 auto;padding:12px 14px 40px}
h1{font-size:1.35rem;margin:.4em 0 .2em}h2{font-size:1.1rem;margin:1.2em 0 .4em}
.org{background:#fff;border:1px solid #d8dee4;border-radius:8px;padding:10px 12px;margin:8px 0}
.org b{display:block}.muted{color:#59636e;font-size:.9rem}
label{display:block;font-weight:600;margin:14px 0 4px}
.opt{font-weight:400;color:#59636e}
input[type=text],input[type=tel],input[type=number],input[type=date],input[type=password],select,textarea{
width:100%;font:inherit;padding:10px;border:1px solid #8c959f;border-radius:6px;background:#fff}
textarea{min-height:7em;resize:vertical}
.check{display:flex;gap:8px;align-items:flex-start;font-weight:400;margin:12px 0}
.check input{width:22px;height:22px;flex:none;margin-top:2px}
.radios{display:flex;gap:16px;font-weight:400}.radios label{display:flex;gap:6px;font-weight:400;margin:4px 0}
.help{font-size:.88rem;color:#59636e;margin:2px 0}
.err{color:#b42318;font-size:.92rem;margin:4px 0;font-weight:600}
.box{border-radius:8px;padding:10px 12px;margin:10px 0}
.bad{background:#fdecea;border:1px solid #f3b2ac}.ok{background:#e9f6ec;border:1px solid #a6d8b1}
.info{background:#eaf2fd;border:1px solid #b3cdf5}
button{width:100%;font:inherit;font-weight:700;padding:12px;margin:18px 0 6px;border:0;border-radius:8px;
background:#c8102e;color:#fff}
.code{font:700 1.6rem/1.3 ui-monospace,monospace;letter-spacing:.06em;text-align:center;margin:8px 0;
word-break:break-all}
.trap{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}
a{color:#0b57d0}.qr{display:block;margin:8px auto;width:132px;height:132px;image-rendering:pixelated}
details{margin:10px 0}summary{cursor:pointer;color:#0b57d0}
footer{margin-top:28px;font-size:.85rem;color:#59636e}
"""


def t(key: str, **params: Any) -> str:
    """The catalogue text in Chinese (the light pages are for residents; the same keys as the full pages)."""
    return translate(key, LANG, **params)


def esc(value: object) -> str:
    """Text or attribute value, escaped; a lone surrogate (undecodable input) or a control character (which the
    services refuse anyway) shows as U+FFFD."""
    return html.escape(_UNSHOWABLE.sub("\ufffd", str(value)), quote=True)


def page(title: str, body: str, *, note: str = "") -> str:
    """The whole document: a phone viewport, the stylesheet, the body and a small footer."""
    foot = f"<footer>{note}</footer>" if note else ""
    return (
        f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1">'
        f'<meta name="robots" content="noindex"><title>{esc(title)}</title><style>{CSS}</style></head>'
        f"<body><main>{body}{foot}</main></body></html>"
    )


def box(kind: str, text: str) -> str:
    """A message box: kind 'bad' (refusal), 'ok' (done) or 'info'; `text` must already be escaped."""
    role = ' role="alert"' if kind == "bad" else ""
    return f'<div class="box {kind}"{role}>{text}</div>'


def error_line(message: str | None) -> str:
    return f'<p class="err">{esc(message)}</p>' if message else ""


def label(for_id: str, text: str, *, optional: bool = False) -> str:
    opt = f'<span class="opt">{esc(t("intake.optional"))}</span>' if optional else ""
    return f'<label for="{esc(for_id)}">{esc(text)}{opt}</label>'


def help_line(text: str) -> str:
    return f'<p class="help">{esc(text)}</p>' if text else ""
