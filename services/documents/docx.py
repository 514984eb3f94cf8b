"""Fill `{{placeholders}}` in a DOCX template and save it byte-for-byte reproducibly.

Word splits text into runs wherever formatting, spell-checking or editing history changes, so a
placeholder typed as `{{case_no}}` may sit in three `<w:t>` elements. Filling therefore works on the
text of a whole paragraph and writes the value into the first text node of the match, emptying the
rest of it; the first node keeps its run's formatting.

Lists repeat: a table row holding `{{party.name}}` (a field of the list `party`) is copied once per
item; outside a table the paragraph is copied. An empty list leaves one copy reading `empty_text`.
Body, tables, text boxes, headers and footers are all filled.
"""

from __future__ import annotations

import copy
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import docx
from docx.opc.part import XmlPart
from docx.oxml.ns import qn
from lxml import etree

NAME = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?"
PLACEHOLDER = re.compile(r"\{\{\s*(" + NAME + r")\s*\}\}")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_FILLED_PARTS = re.compile(r"^/word/(document|header\d*|footer\d*)\.xml$")
W_P, W_T, W_TR, W_PPR, W_RPR = qn("w:p"), qn("w:t"), qn("w:tr"), qn("w:pPr"), qn("w:rPr")
W_BOOKMARK_START, W_BOOKMARK_END = qn("w:bookmarkStart"), qn("w:bookmarkEnd")
W14 = "{http://schemas.microsoft.com/office/word/2010/wordml}"
W14_PARA_ID, W14_TEXT_ID = W14 + "paraId", W14 + "textId"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)

Loops = Mapping[str, Sequence[Mapping[str, str]]]


@dataclass(frozen=True)
class DocMeta:
    """Core properties written into the file (python-docx would otherwise stamp the current time)."""

    title: str
    subject: str
    author: str
    when: datetime


def clean_text(value: object) -> str:
    """Text safe inside XML: no control characters, Windows line ends made plain."""
    text = "" if value is None else str(value)
    return _XML_ILLEGAL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _roots(document: docx.document.Document) -> Iterator[etree._Element]:
    """The XML of the body, every header and every footer."""
    for part in document.part.package.iter_parts():
        if isinstance(part, XmlPart) and _FILLED_PARTS.match(str(part.partname)):
            yield part.element


def _owner(node: etree._Element) -> etree._Element | None:
    return next(node.iterancestors(W_P), None)


def _texts(p: etree._Element) -> list[etree._Element]:
    """The paragraph's own text nodes (not those of a text box nested inside it)."""
    return [t for t in p.iter(W_T) if _owner(t) is p]


def paragraph_text(p: etree._Element) -> str:
    return "".join(t.text or "" for t in _texts(p))


def _replace_span(texts: list[etree._Element], start: int, end: int, value: str) -> None:
    pos = 0
    first = True
    for t in texts:
        text = t.text or ""
        lo, hi = pos, pos + len(text)
        pos = hi
        if hi <= start or lo >= end or not text:
            continue
        a, b = max(start - lo, 0), min(end - lo, len(text))
        t.text = text[:a] + (value if first else "") + text[b:]
        t.set(XML_SPACE, "preserve")
        first = False


def _prune(node: etree._Element, top: etree._Element, *, after: bool) -> None:
    """Remove what lies after (or before) `node` at every level up to `top`, keeping properties."""
    while node is not top:
        parent = node.getparent()
        assert parent is not None
        for sibling in list(node.itersiblings(preceding=not after)):
            if sibling.tag not in (W_PPR, W_RPR):
                parent.remove(sibling)
        node = parent


def _split_at(p: etree._Element, t: etree._Element, offset: int) -> etree._Element:
    """Split the paragraph at the newline at `offset` in its text node `t`; returns the new second half,
    a paragraph with the same properties placed right after it."""
    index = list(p.iter()).index(t)
    tail = copy.deepcopy(p)
    tail_t = list(tail.iter())[index]
    text = t.text or ""
    t.text, tail_t.text = text[:offset], text[offset + 1 :]
    _prune(t, p, after=True)
    _prune(tail_t, tail, after=False)
    p.addnext(tail)
    return tail


def _split_lines(p: etree._Element) -> list[etree._Element]:
    """A value's lines become paragraphs of their own (so each keeps the indent and spacing)."""
    out = [p]
    while (t := next((t for t in _texts(out[-1]) if t.text and "\n" in t.text), None)) is not None:
        out.append(_split_at(out[-1], t, (t.text or "").index("\n")))
    return out


def fill_paragraph(p: etree._Element, values: Mapping[str, str]) -> list[etree._Element]:
    """Replace the placeholders of one paragraph (unknown names become empty); returns the paragraphs it
    became. Values are inserted as text once and never read again as placeholders."""
    texts = _texts(p)
    full = "".join(t.text or "" for t in texts)
    if "{{" not in full:
        return [p]
    for match in reversed(list(PLACEHOLDER.finditer(full))):
        _replace_span(texts, match.start(), match.end(), clean_text(values.get(match.group(1), "")))
    return _split_lines(p)


def _loop_of(p: etree._Element, loops: Loops) -> str | None:
    for name in PLACEHOLDER.findall(paragraph_text(p)):
        head = str(name).split(".")[0]
        if "." in name and head in loops:
            return head
    return None


def _loop_units(root: etree._Element, loops: Loops) -> list[tuple[etree._Element, str]]:
    """(row or paragraph, list name) for each element that repeats: the table row a list field sits in,
    or its paragraph when it is not in a table."""
    units: dict[etree._Element, str] = {}
    for p in root.iter(W_P):
        if name := _loop_of(p, loops):
            units.setdefault(next(p.iterancestors(W_TR), p), name)
    return list(units.items())


def _fields(unit: etree._Element, name: str) -> list[str]:
    """The list's fields used in the unit, in reading order."""
    paragraphs = [unit] if unit.tag == W_P else list(unit.iter(W_P))
    names = [n for p in paragraphs for n in PLACEHOLDER.findall(paragraph_text(p))]
    return list(dict.fromkeys(n.split(".", 1)[1] for n in names if n.startswith(name + ".")))


def _fresh_copy(unit: etree._Element) -> etree._Element:
    """A copy without the ids Word wants unique (bookmarks, paragraph ids); the copies would repeat them."""
    clone = copy.deepcopy(unit)
    for mark in list(clone.iter(W_BOOKMARK_START, W_BOOKMARK_END)):
        parent = mark.getparent()
        if parent is not None:
            parent.remove(mark)
    for element in clone.iter():
        for attr in (W14_PARA_ID, W14_TEXT_ID):
            element.attrib.pop(attr, None)
    return clone


def _expand(
    unit: etree._Element, name: str, items: Sequence[Mapping[str, str]], scalars: Mapping[str, str], empty_text: str
) -> set[etree._Element]:
    """Copy the unit once per item, filling each copy; returns the paragraphs filled."""
    fields = _fields(unit, name)
    rows = items or [{f: (empty_text if i == 0 else "") for i, f in enumerate(fields)}]
    filled: set[etree._Element] = set()
    anchor = unit
    for item in rows:
        clone = _fresh_copy(unit)
        anchor.addnext(clone)
        values = {**scalars, **{f"{name}.{k}": v for k, v in item.items()}}
        produced = [
            q for p in ([clone] if clone.tag == W_P else list(clone.iter(W_P))) for q in fill_paragraph(p, values)
        ]
        filled.update(produced)
        anchor = produced[-1] if clone.tag == W_P else clone
    parent = unit.getparent()
    if parent is not None:
        parent.remove(unit)
    return filled


def fill_document(
    document: docx.document.Document, scalars: Mapping[str, str], loops: Loops, *, empty_text: str = ""
) -> None:
    """Expand the lists, then fill every other placeholder; every paragraph is filled exactly once."""
    for root in _roots(document):
        done: set[etree._Element] = set()
        for unit, name in _loop_units(root, loops):
            done |= _expand(unit, name, list(loops[name]), scalars, empty_text)
        for p in list(root.iter(W_P)):
            if p not in done:
                fill_paragraph(p, scalars)


def placeholders(document: docx.document.Document) -> set[str]:
    """Every placeholder name the template uses."""
    found: set[str] = set()
    for root in _roots(document):
        for p in root.iter(W_P):
            found.update(PLACEHOLDER.findall(paragraph_text(p)))
    return found


def stray_braces(document: docx.document.Document) -> list[str]:
    """Paragraph snippets with `{{` or `}}` that are not a well-formed placeholder."""
    bad = []
    for root in _roots(document):
        for p in root.iter(W_P):
            rest = PLACEHOLDER.sub("", paragraph_text(p))
            if "{{" in rest or "}}" in rest:
                bad.append(rest.strip()[:60])
    return bad


def open_docx(content: bytes) -> docx.document.Document:
    """Parse DOCX bytes (raises ValueError-family errors on anything else)."""
    return docx.Document(io.BytesIO(content))


def zip_time(when: datetime) -> tuple[int, int, int, int, int, int]:
    stamp = when.timetuple()[:6]
    return (stamp[0], stamp[1], stamp[2], stamp[3], stamp[4], stamp[5]) if stamp >= ZIP_EPOCH else ZIP_EPOCH


def write_zip(entries: Iterable[tuple[str, bytes]], when: datetime) -> bytes:
    """A ZIP whose bytes depend only on the entries (in the given order) and `when`."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=zip_time(when))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            zf.writestr(info, data, compresslevel=6)
    return out.getvalue()


def save_docx(document: docx.document.Document, meta: DocMeta) -> bytes:
    """Save with the given core properties and fixed ZIP timestamps, so equal input gives equal bytes."""
    when = meta.when.astimezone(UTC).replace(tzinfo=None)
    props = document.core_properties
    props.title, props.subject, props.author = meta.title[:255], meta.subject[:255], meta.author[:255]
    props.last_modified_by, props.comments, props.keywords, props.category = meta.author[:255], "", "", ""
    props.created = props.modified = props.last_printed = when
    props.revision = 1
    raw = io.BytesIO()
    document.save(raw)
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as zf:
        entries = [(info.filename, zf.read(info)) for info in zf.infolist()]
    return write_zip(entries, when)


def render(template: bytes, scalars: Mapping[str, str], loops: Loops, meta: DocMeta, *, empty_text: str = "") -> bytes:
    """Template bytes in, filled and reproducible DOCX bytes out."""
    document = open_docx(template)
    fill_document(document, scalars, loops, empty_text=empty_text)
    return save_docx(document, meta)
