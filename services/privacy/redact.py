"""De-identification of free text for the public board: names → 张某 (the parties', and other people's written
after a relation or role word), and every phone, ID number, bank-card number, WeChat or QQ id, address below
county level, plate number and e-mail removed wherever it occurs. `redact` also lists each replacement, so the
approver sees what was changed.

Deliberately over-eager: a long digit run that is not a phone is still removed (a board loses a number,
never a person). The text is first normalised (NFKC: full-width digits and letters become ASCII;
zero-width characters dropped) so look-alike spellings do not slip through.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from services.privacy import patterns

PHONE, ID_NO, ADDRESS, PLATE, EMAIL = "（电话已隐去）", "（证件号已隐去）", "某地", "（车牌已隐去）", "（邮箱已隐去）"
CARD, WECHAT, QQ, NUMBER = "（银行卡号已隐去）", "（微信号已隐去）", "（QQ号已隐去）", "（号码已隐去）"
PLACEHOLDERS = (PHONE, ID_NO, ADDRESS, PLATE, EMAIL, CARD, WECHAT, QQ, NUMBER)
COMPOUND_SURNAMES = (
    "欧阳",
    "司马",
    "诸葛",
    "上官",
    "东方",
    "皇甫",
    "尉迟",
    "公孙",
    "慕容",
    "令狐",
    "长孙",
    "夏侯",
    "宇文",
    "司徒",
    "申屠",
    "南宫",
    "端木",
    "独孤",
    "西门",
    "呼延",
)
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_SEP = r"[\s\-—–·.()（）]{0,2}"
_EMAIL = re.compile(
    r"[\w.+\-]+(?: ?@ ?|[(\[（【]at[)\]）】])[\w\-]+(?:(?:\.|[(\[（【]dot[)\]）】])[\w\-]+)+", re.ASCII | re.IGNORECASE
)
_ID = re.compile(
    r"(?<![0-9A-Za-z])\d(?:" + _SEP + r"\d){14}(?:(?:" + _SEP + r"\d){2}(?:" + _SEP + r"[\dXx])|)"
    r"(?![0-9])"
)
_MOBILE = re.compile(r"(?:(?:\+|00)?86" + _SEP + r")?(?<!\d)1" + _SEP + r"[3-9](?:" + _SEP + r"\d){9}(?!\d)")
_LANDLINE = re.compile(
    r"(?<!\d)[(（]?0\d{2,3}[)）]?" + _SEP + r"\d{3,4}" + _SEP + r"\d{3,4}"
    r"(?:" + _SEP + r"转?\d{1,5})?(?!\d)"
)
_DIGITS = re.compile(r"(?<!\d)\d(?:[\s\-－—–·]{0,2}\d){6,}[Xx]?(?!\d)")  # any other long number
_DATE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}")
_PLATE = re.compile(
    r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领][\s·•.\-]{0,2}[A-Za-z]"
    r"[\s·•.\-]{0,2}(?:[A-Za-z0-9][\s]?){4,5}[A-Za-z0-9挂学警港澳]"
)
_STOP = "在住于的和与到从是了向将把被给对就也都而及或为曾已因称说某"
_C = rf"[^\s\d\W{_STOP}]"
_CN_NUM = "一二三四五六七八九十百零〇两"
_PLACE = "镇|乡|街道|村|社区|小区|花园|家园|大厦|公寓|新村|路|街|巷|弄|胡同|屯|寨|坝"
_NUMBERED = "组|社|队|号|栋|幢|座|单元|室|楼|层|号院|号楼"
_NAMED_UNIT = rf"{_C}{{1,8}}?(?:{_PLACE})"
_NUM_UNIT = rf"{_C}{{0,2}}?(?:\d+|[{_CN_NUM}]+)(?:[-－]\d+)?(?:{_NUMBERED})"
_ADDRESS = re.compile(rf"(?:{_NAMED_UNIT}){{2,}}(?:{_NUM_UNIT})*|(?:{_NAMED_UNIT})*(?:{_NUM_UNIT})+")
_COUNTY_TAIL = re.compile(r"^.*?(?:自治县|自治州|县|区|市|旗)")


@dataclass(frozen=True)
class Person:
    """A party as the redactor needs it: the name to hide and their known address."""

    name: str
    address: str = ""
    kind: str = "person"


def _ascii_form(ch: str) -> str:
    if ch.isascii():
        return ch
    folded = unicodedata.normalize("NFKC", ch)
    return folded if len(folded) == 1 and folded.isascii() and (folded.isalnum() or folded in "+-@._") else ch


def normalise(text: str) -> str:
    """Look-alike digits and letters (full-width, mathematical) as ASCII, no invisible characters.

    Chinese punctuation is kept as written."""
    return "".join(_ascii_form(ch) for ch in _INVISIBLE.sub("", text or ""))


def surname(name: str) -> str:
    """The surname of a Chinese name (compound surnames kept whole); the first character otherwise."""
    name = normalise(name).strip()
    return next((s for s in COMPOUND_SURNAMES if name.startswith(s) and len(name) > len(s)), name[:1])


ALIASES = ("某", "某某", "某甲", "某乙", "某丙", "某丁")


@dataclass(frozen=True)
class Change:
    """One replacement the redactor made: the original fragment and what stands there now."""

    original: str
    replacement: str


@dataclass
class Redacted:
    """A redacted text, each replacement made (first occurrence of each, in order), and the strings to highlight."""

    text: str
    changes: list[Change] = field(default_factory=list)

    @property
    def marks(self) -> set[str]:
        """What a reader should see highlighted: the placeholders and every pseudonym used."""
        return set(PLACEHOLDERS) | {c.replacement for c in self.changes if len(c.replacement) <= 6}

    def note(self, original: str, replacement: str) -> None:
        change = Change(original, replacement)
        if original != replacement and original not in PLACEHOLDERS and change not in self.changes:
            self.changes.append(change)


def _aliases(names: Iterable[str], used: dict[str, int]) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw in names:
        name = normalise(raw).strip()
        if not name or name in out:
            continue
        sur = surname(name)
        n = used.get(sur, 0)
        used[sur] = n + 1
        out[name] = sur + ALIASES[min(n, 5)] + (str(n) if n > 5 else "")
    return out


def pseudonyms(people: Sequence[Person]) -> dict[str, str]:
    """Each distinct name → 张某, a second 张 → 张某某, a third → 张某甲…; organisations → 某单位-like 张某."""
    return _aliases((p.name for p in people), {})


def _spaced(word: str) -> str:
    return r"\s*".join(re.escape(ch) for ch in word)


def _name_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    """Full names first (longest first), so the given-name-alone pass never splits a full name."""
    words = sorted({w for w in names if w}, key=len, reverse=True)
    if not words:
        return None
    return re.compile("|".join(_spaced(w) for w in words), re.IGNORECASE)


def _sub(pattern: re.Pattern[str] | None, repl: str | Callable[[re.Match[str]], str], text: str, log: Redacted) -> str:
    """pattern.sub, noting each replacement made."""
    if pattern is None:
        return text

    def one(m: re.Match[str]) -> str:
        new = repl(m) if callable(repl) else repl
        log.note(m.group(), new)
        return new

    return pattern.sub(one, text)


def _keep_label(m: re.Match[str], label: str) -> str:
    """The label word kept (微信号：), the id after it (group 1) replaced."""
    return m.group()[: m.start(1) - m.start()] + label


def _card(m: re.Match[str]) -> str:
    kind = patterns.card_kind(m.group(), m.string[: m.start()])
    return {"card": CARD, "id": ID_NO}.get(kind or "", m.group())


def _sub_numbers(text: str, log: Redacted) -> str:
    text = _sub(_EMAIL, EMAIL, text, log)
    text = _sub(patterns.WXID, WECHAT, text, log)
    text = _sub(patterns.WECHAT, lambda m: _keep_label(m, WECHAT), text, log)
    text = _sub(patterns.QQ, lambda m: _keep_label(m, QQ), text, log)
    text = _sub(patterns.CARD_RUN, _card, text, log)
    text = _sub(_ID, ID_NO, text, log)
    text = _sub(_MOBILE, PHONE, text, log)
    text = _sub(_LANDLINE, PHONE, text, log)
    text = _sub(_DIGITS, lambda m: m.group() if _DATE.fullmatch(m.group()) else NUMBER, text, log)
    return _sub(_PLATE, PLATE, text, log)


def _known_addresses(people: Sequence[Person]) -> list[str]:
    """Each party's address, and its part below the county (what remains after 县/区/市)."""
    out: list[str] = []
    for p in people:
        addr = normalise(p.address).strip()
        if not addr:
            continue
        out.append(addr)
        tail = _COUNTY_TAIL.sub("", addr)
        if len(tail) >= 2:
            out.append(tail)
    return out


def _sub_names(text: str, names: Mapping[str, str], log: Redacted) -> str:
    """Full names (any spacing or case) and given names of two characters or more → their pseudonym."""

    def alias(m: re.Match[str]) -> str:
        key = re.sub(r"\s+", "", m.group())
        return names[key] if key in names else _by_casefold(names, m.group())

    text = _sub(_name_pattern(names), alias, text, log)
    given: dict[str, str] = {}
    for name, pseudonym in names.items():
        rest = name[len(surname(name)) :]
        if len(rest) >= 2 and rest not in given:  # a one-character given name alone is too common to hunt
            given[rest] = pseudonym
    return _sub(_name_pattern(given), lambda m: given.get(re.sub(r"\s+", "", m.group()), "某某"), text, log)


def redact(text: str, people: Sequence[Person] = ()) -> Redacted:
    """The text with names pseudonymised and every phone, ID, card, WeChat/QQ id, address, plate and e-mail
    removed, with the list of replacements made."""
    log = Redacted("")
    out = _sub(_name_pattern(_known_addresses(people)), ADDRESS, normalise(text), log)
    out = _sub_numbers(out, log)
    used: dict[str, int] = {}
    names = _aliases((p.name for p in people), used)
    out = _sub_names(out, names, log)
    others = _aliases((n for n in patterns.other_names(out) if n not in names), used)
    out = _sub_names(out, others, log)
    out = _sub(_ADDRESS, ADDRESS, out, log)
    log.text = re.sub(f"(?:{ADDRESS}){{2,}}", ADDRESS, out)
    return log


def redact_text(text: str, people: Sequence[Person] = ()) -> str:
    """The text with names pseudonymised and every phone, ID, card, WeChat/QQ id, address, plate and e-mail removed."""
    return redact(text, people).text


def _by_casefold(names: Mapping[str, str], found: str) -> str:
    key = re.sub(r"\s+", "", found).casefold()
    return next((alias for name, alias in names.items() if name.casefold() == key), "某某")


def marked_segments(text: str, marks: Iterable[str]) -> list[tuple[str, bool]]:
    """The text cut into (segment, highlighted) pieces: each occurrence of a mark is its own highlighted piece."""
    words = sorted({m for m in marks if m}, key=len, reverse=True)
    if not text or not words:
        return [(text, False)] if text else []
    out: list[tuple[str, bool]] = []
    pos = 0
    for m in re.finditer("|".join(re.escape(w) for w in words), text):
        if m.start() > pos:
            out.append((text[pos : m.start()], False))
        out.append((m.group(), True))
        pos = m.end()
    if pos < len(text):
        out.append((text[pos:], False))
    return out


def masked(fragment: str) -> str:
    """A fragment as staff may see it beside its replacement: names and places as written, but the letters and
    digits of a number, id or e-mail starred out except at the ends (138****5678)."""
    spots = [i for i, ch in enumerate(fragment) if ch.isascii() and ch.isalnum()]
    if len(spots) < 5:
        return fragment
    hide = set(spots[3:-4] if len(spots) >= 10 else spots[1:-1])
    return "".join("*" if i in hide else ch for i, ch in enumerate(fragment))


def leaks(text: str) -> list[str]:
    """What still looks like personal data in a text meant for the public (a last check before publishing)."""
    text = normalise(text)
    found = [m.group() for p in (_ID, _MOBILE, _DIGITS, _EMAIL, _PLATE, patterns.WXID) for m in p.finditer(text)]
    found += [m.group(1) for p in (patterns.WECHAT, patterns.QQ) for m in p.finditer(text)]
    return [f for f in found if not _DATE.fullmatch(f)]
