"""Every time a person sees is China time through services/core/clock.py: a scan of pages/ and services/ for
displays of a stored moment that bypass the formatter (AST, not text).

A "moment" is an expression that reads like a stored time: a name or attribute `at`, `*_at`, `now`, `when`,
`moment`, `timestamp`, or a call of `now()` / `utc_now()` / `utcnow()`. Flagged outside clock.py:

* `strftime` — any `.strftime(...)`: formatting belongs to clock.format_local / format_local_date;
* `fstring_spec` — an f-string field with a strftime spec (`f"{x:%m-%d %H:%M}"`);
* `iso` — `<moment>.isoformat()`;
* `str` — `str(<moment>)`;
* `fstring` — `f"{<moment>}"`;
* `utc_date` — `<moment>.date()` (the UTC date, a day early before 08:00 in China): use clock.local_date/today;
* `raw` — a moment handed as it is to a text: `t(key, at=row.created_at)` or `st.text(row.created_at)` (str() of
  a UTC datetime).

A machine format (file names, JSON, webhooks, keys) is allowed only through ALLOWED, each entry with its reason.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from tests.test_architecture import parse, python_files, rel

CLOCK = Path("services/core/clock.py")
MOMENT_NAME = re.compile(r"^(at|now|when|moment|timestamp)$|_at$")
NOW_CALLS = {"now", "utc_now", "utcnow"}
TEXT_CALLS = {"t", "translate"}  # message texts: their parameters are shown with str()
ST_TEXT = {"write", "text", "caption", "markdown", "info", "warning", "error", "success", "metric", "badge", "toast"}
STRFTIME_SPEC = re.compile(r"%[A-Za-z]")  # '%Y', '%H' — not a percentage such as '+.1%'


OWNED_ELSEWHERE = "owned by another helper — to fix"
# (file, rule, the flagged expression as ast.unparse prints it) → why it is not a display of a stored moment.
ALLOWED: dict[tuple[str, str, str], str] = {
    # machine formats: names, keys and stored JSON, never read as a time by a person
    ("pages/ui/admin_table.py", "fstring_spec", "clock.today():%Y%m%d"): "file name of the xlsx export (China date)",
    ("services/ledger/payout.py", "fstring_spec", "clock.today():%Y%m%d"): "payout batch code, a DB key (China date)",
    ("services/demo/outcomes.py", "fstring_spec", "paid:%Y%m%d"): "demo payout batch code, a DB key",
    ("services/demo/people.py", "fstring_spec", "born:%Y%m%d"): "birth date digits inside a generated ID number",
    ("services/cases/joint.py", "iso", "when.isoformat()"): "event data (JSON); the case timeline formats it",
    ("services/core/config.py", "strftime", "value.strftime('%H:%M')"): "a time-of-day setting written as the env",
    ("services/lowcode/register_views.py", "strftime", "r.day.strftime('%Y-%m')"): "chart key of a calendar date",
    ("services/notify/outbox.py", "strftime", "last_ok.strftime('%Y%m%d%H%M%S%f')"): "a failing streak's dedupe key",
    # not stored moments: configured times of day and calendar dates, already China wall-clock
    ("pages/staff/duty.py", "strftime", "get_settings().duty_day_start.strftime('%H:%M')"): "a time-of-day setting",
    ("pages/staff/duty.py", "strftime", "get_settings().duty_day_end.strftime('%H:%M')"): "a time-of-day setting",
    ("services/documents/context.py", "fstring_spec", "d:%Y.%m.%d"): "a document's dotted form of a China date",
    # China time but around the formatter: clock.format_local_time(...)
    # the UTC date of a stored moment (a day early before 08:00 in China): clock.local_date(...) / clock.today()
}


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def is_moment(node: ast.AST) -> bool:
    """Does the expression read like a stored time (a datetime, not a calendar date)?"""
    if isinstance(node, ast.Call):
        return _name(node.func) in NOW_CALLS
    return bool(MOMENT_NAME.search(_name(node)))


def _spec(spec: ast.expr | None) -> str:
    """The literal text of an f-string field's format spec ('%m-%d %H:%M'; '' when none)."""
    if not isinstance(spec, ast.JoinedStr):
        return ""
    return "".join(str(v.value) for v in spec.values if isinstance(v, ast.Constant))


def _method(node: ast.AST, name: str) -> ast.expr | None:
    """The receiver of `<receiver>.name(...)`, else None."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == name:
        return node.func.value
    return None


def _stored(node: ast.AST) -> bool:
    """A stored moment read off a row (`row.created_at`, `e.at`) or now(); a local name may hold formatted text."""
    return not isinstance(node, ast.Name) and is_moment(node)


def _shows_raw(call: ast.Call) -> bool:
    """A text call (t(), translate(), st.text()…) with a stored moment among its values."""
    func = call.func
    if isinstance(func, ast.Name) and func.id in TEXT_CALLS:
        return any(_stored(kw.value) for kw in call.keywords if kw.arg)
    if isinstance(func, ast.Attribute) and func.attr in ST_TEXT and _name(func.value) == "st":
        return any(_stored(a) for a in call.args)
    return False


def findings(tree: ast.AST) -> Iterator[tuple[int, str, str]]:
    """(line, rule, expression) for every bypass of the formatter in one module."""
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if _method(node, "strftime") is not None:
            yield line, "strftime", ast.unparse(node)
        elif (recv := _method(node, "isoformat")) is not None and is_moment(recv):
            yield line, "iso", ast.unparse(node)
        elif (recv := _method(node, "date")) is not None and is_moment(recv):
            yield line, "utc_date", ast.unparse(node)
        elif isinstance(node, ast.Call) and _name(node.func) == "str" and node.args and is_moment(node.args[0]):
            yield line, "str", ast.unparse(node)
        elif isinstance(node, ast.Call) and _shows_raw(node):
            yield line, "raw", ast.unparse(node)
        elif isinstance(node, ast.FormattedValue):
            spec = _spec(node.format_spec)
            if STRFTIME_SPEC.search(spec):
                yield line, "fstring_spec", f"{ast.unparse(node.value)}:{spec}"
            elif is_moment(node.value):
                yield line, "fstring", ast.unparse(node.value)


def scan() -> list[tuple[str, int, str, str]]:
    found = []
    for path in python_files("pages", "services"):
        if rel(path) == CLOCK:
            continue
        for line, rule, expr in findings(parse(path)):
            found.append((str(rel(path)), line, rule, expr))
    return found


def test_every_shown_time_goes_through_the_china_time_formatter():
    bypass = [f for f in scan() if (f[0], f[2], f[3]) not in ALLOWED]
    assert not bypass, "times shown without services/core/clock.py (use format_local / format_local_date):\n" + (
        "\n".join(f"{p}:{line}: {rule}: {expr}" for p, line, rule, expr in bypass)
    )


def test_every_allowed_bypass_still_exists_and_says_why():
    present = {(p, rule, expr) for p, _, rule, expr in scan()}
    assert not [k for k in ALLOWED if k not in present], "stale ALLOWED entries"
    assert all(reason.strip() for reason in ALLOWED.values())


SAMPLE = """
st.caption(f"{row.received_at:%m-%d %H:%M} · {rate:+.1%}")
st.text(case.created_at.strftime("%Y-%m-%d"))
st.text(event.at.isoformat() + day.isoformat())
st.text(str(row.updated_at) + str(row.count))
st.text(f"{n.created_at} {n.count}")
received_on = case.received_at.date()
today = datetime.now(UTC).date()
local_day = clock.local_time(moment).date()
st.caption(t("inbox.read_mark", at=n.created_at), format_local(n.created_at))
st.text(row.updated_at)
"""


def test_scan_flags_each_way_around_the_formatter():
    found = sorted((line, rule) for line, rule, _ in findings(ast.parse(SAMPLE)))
    assert found == [
        (2, "fstring_spec"),
        (3, "strftime"),
        (4, "iso"),
        (5, "str"),
        (6, "fstring"),
        (7, "utc_date"),
        (8, "utc_date"),
        (10, "raw"),
        (11, "raw"),
    ]
