"""De-identification of free text for the public board: names → 张某, and every phone, ID number, address
below county level, plate number and e-mail removed wherever it occurs.

Deliberately over-eager: a long digit run that is not a phone is still removed (a board loses a number,
never a person). The text is first normalised (NFKC: full-width digits and letters become ASCII;
zero-width characters dropped) so look-alike spellings do not slip through.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

PHONE, ID_NO, ADDRESS, PLATE, EMAIL = "（电话已隐去）", "（证件号已隐去）", "某地", "（车牌已隐去）", "（邮箱已隐去）"
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
_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+", re.ASCII)
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


def pseudonyms(people: Sequence[Person]) -> dict[str, str]:
    """Each distinct name → 张某, a second 张 → 张某某, a third → 张某甲…; organisations → 某单位-like 张某."""
    out: dict[str, str] = {}
    used: dict[str, int] = {}
    for person in people:
        name = normalise(person.name).strip()
        if not name or name in out:
            continue
        sur = surname(name)
        n = used.get(sur, 0)
        used[sur] = n + 1
        out[name] = sur + ("某", "某某", "某甲", "某乙", "某丙", "某丁")[min(n, 5)] + (str(n) if n > 5 else "")
    return out


def _spaced(word: str) -> str:
    return r"\s*".join(re.escape(ch) for ch in word)


def _name_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    """Full names first (longest first), so the given-name-alone pass never splits a full name."""
    words = sorted({w for w in names if w}, key=len, reverse=True)
    if not words:
        return None
    return re.compile("|".join(_spaced(w) for w in words), re.IGNORECASE)


def _sub_numbers(text: str) -> str:
    text = _EMAIL.sub(EMAIL, text)
    text = _ID.sub(ID_NO, text)
    text = _MOBILE.sub(PHONE, text)
    text = _LANDLINE.sub(PHONE, text)
    text = _DIGITS.sub(lambda m: m.group() if _DATE.fullmatch(m.group()) else ID_NO, text)
    return _PLATE.sub(PLATE, text)


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


def redact_text(text: str, people: Sequence[Person] = ()) -> str:
    """The text with names pseudonymised and every phone, ID, address, plate and e-mail removed."""
    out = normalise(text)
    known = _name_pattern(_known_addresses(people))
    if known:
        out = known.sub(ADDRESS, out)
    out = _sub_numbers(out)
    names = pseudonyms(people)
    full = _name_pattern(names)
    if full:
        out = full.sub(
            lambda m: (
                names[re.sub(r"\s+", "", m.group())]
                if re.sub(r"\s+", "", m.group()) in names
                else _by_casefold(names, m.group())
            ),
            out,
        )
    given: dict[str, str] = {}
    for name, alias in names.items():
        rest = name[len(surname(name)) :]
        if len(rest) >= 2 and rest not in given:  # a one-character given name alone is too common to hunt
            given[rest] = alias
    given_pattern = _name_pattern(given)
    if given_pattern:
        out = given_pattern.sub(lambda m: given.get(re.sub(r"\s+", "", m.group()), "某某"), out)
    out = _ADDRESS.sub(ADDRESS, out)
    return re.sub(f"(?:{ADDRESS}){{2,}}", ADDRESS, out)


def _by_casefold(names: dict[str, str], found: str) -> str:
    key = re.sub(r"\s+", "", found).casefold()
    return next((alias for name, alias in names.items() if name.casefold() == key), "某某")


def leaks(text: str) -> list[str]:
    """What still looks like personal data in a text meant for the public (a last check before publishing)."""
    text = normalise(text)
    found = [m.group() for p in (_ID, _MOBILE, _DIGITS, _EMAIL, _PLATE) for m in p.finditer(text)]
    return [f for f in found if not _DATE.fullmatch(f)]
