"""Every page of every demo role's menu, on a phone, in Chinese: no English text of Streamlit's own, no raw key.

One browser; one page per role, signed in through the real form; each page of the role's menu (read from the
sidebar, which must show the whole menu: no "View 9 more") is opened and its visible text checked. A page a
role before it has already shown is not opened again (the widgets that draw Streamlit's English are the same
for every role; this keeps the walk inside the suite's time). Material icons are ligatures (their names are
text), so they are hidden while the text is read.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser

from scripts.screenshots import DEMO_PASSWORD, PHONE_CONTEXT, sign_in, wait_for_app
from services.core.i18n import catalogue
from services.demo.people import ROLES

# English texts Streamlit draws itself (uploader, selects, forms, the menu, the status widget, booleans)
STREAMLIT_ENGLISH = re.compile(
    r"\b(View \d+ more|View less|more|Upload|Drag and drop|Browse files|per file|Choose|Select all|Press Enter"
    r"|Press Ctrl|No results|No options|Deploy|Running|True|False|Skip to main content|Add files|files are not"
    r" allowed|or smaller|Error)\b"
)
RAW_KEY = re.compile(r"\b[a-z_]+\.[a-z_.]+\b")

# the page's visible text without icon ligatures, plus placeholders a person can see (not made see-through)
VISIBLE_TEXT_JS = """() => {
  const style = document.createElement('style');
  style.textContent = '[data-testid="stIconMaterial"] { display: none !important; }';
  document.head.appendChild(style);
  const text = document.body.innerText;
  style.remove();
  const shown = [...document.querySelectorAll('input[placeholder], textarea[placeholder]')].filter(el =>
    el.placeholder && !el.value && el.offsetParent !== null
    && getComputedStyle(el, '::placeholder').color !== 'rgba(0, 0, 0, 0)');
  return text + '\\n' + shown.map(el => el.placeholder).join('\\n');
}"""

MENU_JS = """() => [...document.querySelectorAll('[data-testid="stSidebarNav"] a[href]')]
  .map(a => [a.getAttribute('href'), a.href])"""


def _problems(text: str, keys: set[str]) -> list[str]:
    english = sorted({m.group(0) for m in STREAMLIT_ENGLISH.finditer(text)})
    raw = sorted({m.group(0) for m in RAW_KEY.finditer(text)} & keys)
    return [f"English {w!r}" for w in english] + [f"raw key {k!r}" for k in raw]


@pytest.mark.timeout(900)  # about 90 pages on a loaded 2-core machine
def test_chinese_ui_shows_no_streamlit_english_and_no_raw_key_on_any_page_of_any_role(browser: Browser, live_server):
    keys = set(catalogue())
    visited: list[str] = []
    seen: set[str] = set()
    failures: list[str] = []
    for role in ROLES:
        context = browser.new_context(**PHONE_CONTEXT)
        page = context.new_page()
        page.set_default_timeout(60_000)
        sign_in(page, live_server.url, role, DEMO_PASSWORD)
        page.get_by_test_id("stExpandSidebarButton").click()
        page.get_by_test_id("stSidebarNav").wait_for()
        menu = list(dict.fromkeys(tuple(link) for link in page.evaluate(MENU_JS)))
        assert len(menu) > 3, f"{role}: menu has {len(menu)} links"
        for href, url in menu:
            if href in seen:
                continue
            seen.add(href)
            # through the menu, as a person does (no reload: the same session, so no new sign-in per page)
            if not page.get_by_test_id("stSidebarNav").is_visible():
                page.get_by_test_id("stExpandSidebarButton").click()
            page.locator(f'[data-testid="stSidebarNav"] a[href="{href}"]').click()
            page.wait_for_url(lambda u, url=url: u.split("?")[0] == url)  # a page may add its query
            wait_for_app(page)
            path = url.removeprefix(live_server.url)
            found = _problems(page.evaluate(VISIBLE_TEXT_JS), keys)
            visited.append(f"{role} {path}")
            failures += [f"{role} {path}: {p}" for p in found]
            print(f"{role} {path}: {found or 'ok'}", flush=True)
        context.close()
    print(f"\nChinese UI check: {len(visited)} pages visited over {len(ROLES)} roles")
    assert len(visited) >= 30
    assert not failures, "\n".join(failures)
