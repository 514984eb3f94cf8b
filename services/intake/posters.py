"""QR codes and printable A4 posters (PNG and PDF) that send residents to an organisation's intake form.

The host always comes from the PUBLIC_BASE_URL setting, so the code and the printed address agree
(and only the app makes QR images). Chinese text needs Noto Sans CJK from Debian's fonts-noto-cjk; without
it the poster is refused with a message naming the font, never printed as empty boxes.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

import qrcode
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_M, ERROR_CORRECT_Q
from sqlmodel import Session, col, select

from models import Organisation, OrgKind
from services.access.authz import Actor, require
from services.access.permissions import P
from services.core.config import get_settings
from services.core.errors import DomainError, NotFound
from services.intake.pipeline import INTAKE_KINDS

FONT_DIR = Path("/usr/share/fonts/opentype/noto")
BOLD_FONT = FONT_DIR / "NotoSansCJK-Bold.ttc"
REGULAR_FONT = FONT_DIR / "NotoSansCJK-Regular.ttc"
SC_FACE = 2  # faces in the .ttc: 0 JP, 1 KR, 2 SC, 3 TC, 4 HK
A4_PRINT = (2480, 3508)  # 300 dpi
A4_SCREEN = (1240, 1754)  # 150 dpi
RED = (200, 16, 46)
INK = (33, 33, 33)
GREY = (97, 97, 97)
INSTRUCTIONS = (
    "1. 打开微信或手机相机，扫描上方二维码",
    "2. 填写纠纷情况并提交，记下查询码",
    "3. 凭查询码和手机号后四位查询办理进度",
)


class PosterFontMissing(DomainError):
    key = "error.poster_font_missing"


@dataclass(frozen=True)
class PosterOrg:
    code: str
    name: str
    address: str = ""
    phone: str = ""


def intake_url(org_code: str, base_url: str | None = None) -> str:
    """The public intake address of an organisation, on the configured host."""
    base = (base_url or get_settings().public_base_url).rstrip("/")
    return f"{base}/intake?org={quote(org_code, safe='')}"


def track_url(code: str = "", base_url: str | None = None) -> str:
    base = (base_url or get_settings().public_base_url).rstrip("/")
    return f"{base}/track" + (f"?code={quote(code, safe='')}" if code else "")


def short_url(url: str) -> str:
    """The address as printed: no scheme, no trailing slash."""
    parts = urlsplit(url)
    return parts.netloc + parts.path.rstrip("/") + (f"?{parts.query}" if parts.query else "")


def qr_image(url: str, *, box_size: int = 10, border: int = 4, strong: bool = False) -> Image.Image:
    qr = qrcode.QRCode(
        error_correction=ERROR_CORRECT_Q if strong else ERROR_CORRECT_M, box_size=box_size, border=border
    )
    qr.add_data(url)
    qr.make(fit=True)
    img: Image.Image = qr.make_image(fill_color="black", back_color="white").get_image()
    return img.convert("RGB")


def qr_png(url: str, *, box_size: int = 10, border: int = 4) -> bytes:
    """A QR code for `url` as PNG bytes."""
    out = io.BytesIO()
    qr_image(url, box_size=box_size, border=border).save(out, "PNG")
    return out.getvalue()


def _font(bold: bool, size: int) -> ImageFont.FreeTypeFont:
    settings = get_settings()
    path = Path((settings.poster_font or BOLD_FONT) if bold else (settings.poster_font_regular or REGULAR_FONT))
    if not path.is_file():  # checked here: Pillow would quietly search other folders for the file name
        raise PosterFontMissing(path=str(path))
    try:
        return ImageFont.truetype(str(path), size, index=SC_FACE if path.suffix == ".ttc" else 0)
    except OSError as exc:
        raise PosterFontMissing(path=str(path)) from exc


BREAK_BEFORE = ("人民调解", "调解委员会", "调解室", "调解中心", "派出所", "人民法院")


def _split(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str] | None:
    """Two lines that fit, breaking before a word like 人民调解 when possible, else near the middle."""
    fits = [
        i
        for i in range(1, len(text))
        if draw.textlength(text[:i], font=font) <= width and draw.textlength(text[i:], font=font) <= width
    ]
    if not fits:
        return None
    nice = [i for i in fits if text[i:].startswith(BREAK_BEFORE)]
    cut = min(nice or fits, key=lambda i: abs(len(text) / 2 - i))
    return [text[:cut], text[cut:]]


def _fit(
    draw: ImageDraw.ImageDraw, text: str, bold: bool, size: int, width: int
) -> tuple[list[str], ImageFont.FreeTypeFont]:
    """Lines of `text` at the largest size ≤ `size` that fits `width` in at most two lines."""
    while True:
        font = _font(bold, size)
        if draw.textlength(text, font=font) <= width:
            return [text], font
        lines = _split(draw, text, font, width)
        if lines is not None:
            return lines, font
        if size <= 20:
            return [text], font
        size = int(size * 0.9)


def _centered(
    draw: ImageDraw.ImageDraw, y: int, text: str, font: ImageFont.FreeTypeFont, width: int, fill: tuple[int, int, int]
) -> int:
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    draw.text(((width - (right - left)) // 2 - left, y - top), text, font=font, fill=fill)
    return int(y + (bottom - top))


def poster_image(org: PosterOrg, url: str, *, size: tuple[int, int] = A4_PRINT) -> Image.Image:
    """An A4 poster: banner, the organisation's Chinese name, the QR code, the short URL, three instructions."""
    w, h = size
    u = w / 1240  # layout unit: everything is laid out for 150 dpi and scaled
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, w, int(180 * u)), fill=RED)
    _centered(draw, int(52 * u), "人民调解  扫码申请", _font(True, int(76 * u)), w, (255, 255, 255))
    lines, font = _fit(draw, org.name, True, int(76 * u), int(1080 * u))
    y = int(240 * u)
    for line in lines:
        y = _centered(draw, y, line, font, w, INK) + int(24 * u)
    if org.address:
        addr_lines, addr_font = _fit(draw, org.address, False, int(38 * u), int(1080 * u))
        for line in addr_lines:
            y = _centered(draw, y + int(4 * u), line, addr_font, w, GREY) + int(10 * u)
    # bottom up: footer, the three steps, the printed address; the QR code takes the space left
    footer_y = h - int(120 * u)
    draw.line(
        (int(90 * u), footer_y - int(36 * u), w - int(90 * u), footer_y - int(36 * u)),
        fill=RED,
        width=max(2, int(3 * u)),
    )
    footer = "人民调解不收费" + (f" · 电话 {org.phone}" if org.phone else "")
    _centered(draw, footer_y, footer, _font(False, int(34 * u)), w, GREY)
    place_code_and_steps(img, url, top=y, bottom=footer_y - int(80 * u), steps=INSTRUCTIONS)
    return img


def place_code_and_steps(img: Image.Image, url: str, *, top: int, bottom: int, steps: tuple[str, ...]) -> None:
    """Bottom up above `bottom`: the steps, the printed address; the QR code takes the space left below `top`."""
    draw = ImageDraw.Draw(img)
    w = img.width
    u = w / 1240
    step_font = _font(False, int(44 * u))
    step_h = int(72 * u)
    steps_top = bottom - step_h * len(steps)
    left = (w - int(max(draw.textlength(s, font=step_font) for s in steps))) // 2
    for i, line in enumerate(steps):
        draw.text((left, steps_top + i * step_h), line, font=step_font, fill=INK)
    url_lines, url_font = _fit(draw, short_url(url), False, int(40 * u), int(1100 * u))
    url_top = steps_top - int(50 * u) - int(56 * u) * len(url_lines)
    for i, line in enumerate(url_lines):
        _centered(draw, url_top + i * int(56 * u), line, url_font, w, INK)
    code = qr_image(url, box_size=1, border=4, strong=True)
    room = url_top - int(30 * u) - (top + int(30 * u))
    side = min(int(760 * u), room) // code.width * code.width
    code_top = top + int(30 * u) + (room - side) // 2
    img.paste(code.resize((side, side), Image.Resampling.NEAREST), ((w - side) // 2, code_top))


def poster_png(org: PosterOrg, url: str, *, size: tuple[int, int] = A4_PRINT) -> bytes:
    out = io.BytesIO()
    poster_image(org, url, size=size).save(out, "PNG", dpi=(size[0] / 8.27, size[1] / 11.69), optimize=True)
    return out.getvalue()


def posters_pdf(
    orgs: Iterable[PosterOrg],
    *,
    base_url: str | None = None,
    size: tuple[int, int] = A4_SCREEN,
    path: Path | None = None,
) -> bytes:
    """One PDF page per organisation, by Pillow's PDF writer, appending page by page (one page in memory)."""
    dpi = size[0] / 8.27
    with tempfile.TemporaryDirectory(prefix="posters-") as tmp:
        target = path or Path(tmp) / "posters.pdf"
        pages = 0
        for org in orgs:
            page = poster_image(org, intake_url(org.code, base_url), size=size)
            page.save(target, "PDF", resolution=dpi, append=pages > 0)
            pages += 1
        if pages == 0:
            raise NotFound("error.poster_none")
        return target.read_bytes()


def _poster_org(o: Organisation) -> PosterOrg:
    return PosterOrg(o.code, o.name, o.address, o.phone)


def poster_orgs(
    session: Session, *, county_id: int | None = None, under_path: str = "/", code: str | None = None
) -> list[PosterOrg]:
    """Active organisations that take public intake (optionally one county, a subtree, or one code)."""
    stmt = select(Organisation).where(
        col(Organisation.kind).in_(INTAKE_KINDS),
        Organisation.active == True,  # noqa: E712
        col(Organisation.path).startswith(under_path),
    )
    if county_id is not None:
        stmt = stmt.where(Organisation.county_id == county_id)
    if code:
        stmt = stmt.where(Organisation.code == code.strip().upper())
    return [_poster_org(o) for o in session.exec(stmt.order_by(col(Organisation.path))).all()]


@dataclass(frozen=True)
class PosterScope:
    county_id: int | None
    county_name: str
    orgs: list[PosterOrg]


def poster_scope(session: Session, *, actor: Actor) -> PosterScope:
    """What a staff user may print: every intake point of their county (posters hold only public data),
    or of their subtree when they sit above county level."""
    require(actor, P.INTAKE_QUEUE)
    org = session.get(Organisation, actor.org_id)
    if org is None:
        raise NotFound("error.not_found")
    county = session.get(Organisation, org.county_id) if org.county_id else None
    if county is not None:
        return PosterScope(county.id, county.name, poster_orgs(session, county_id=county.id))
    return PosterScope(None, org.name, poster_orgs(session, under_path=actor.org_path))


def write_posters(
    session: Session,
    out_dir: Path,
    *,
    org_code: str | None = None,
    county_code: str | None = None,
    size: tuple[int, int] = A4_PRINT,
    base_url: str | None = None,
) -> list[Path]:
    """`<code>.png` for each intake organisation (or one, or one county's) and a PDF of them all; the paths."""
    county_id = None
    if county_code:
        county = session.exec(
            select(Organisation).where(Organisation.code == county_code.strip().upper(), Organisation.kind == "county")
        ).first()
        if county is None:
            raise NotFound("error.org_unknown", code=county_code)
        county_id = county.id
    orgs = poster_orgs(session, county_id=county_id, code=org_code)
    if not orgs:
        raise NotFound("error.org_unknown", code=org_code or county_code or "")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for org in orgs:
        path = out_dir / f"{org.code}.png"
        path.write_bytes(poster_png(org, intake_url(org.code, base_url), size=size))
        written.append(path)
    name = (org_code or county_code or "").strip().upper() or "posters"
    pdf = out_dir / f"{name}.pdf"
    posters_pdf(orgs, base_url=base_url, size=A4_SCREEN, path=pdf)
    return [*written, pdf]


@dataclass(frozen=True)
class DirectoryEntry:
    code: str
    name: str
    address: str
    phone: str
    hours: str


@dataclass
class DirectoryGroup:
    county: str
    area: str  # the town, or "" for county-level bodies
    orgs: list[DirectoryEntry] = field(default_factory=list)


def directory(session: Session) -> list[DirectoryGroup]:
    """Active organisations that take public intake, grouped by county and town, in tree order."""
    rows = session.exec(
        select(Organisation)
        .where(Organisation.active == True)  # noqa: E712
        .order_by(col(Organisation.path))
    ).all()
    names = {o.id: o for o in rows}
    groups: dict[tuple[str, str], DirectoryGroup] = {}
    for org in rows:
        if org.kind not in INTAKE_KINDS:
            continue
        ids = [int(p) for p in org.path.strip("/").split("/") if p]
        county = next((names[i].name for i in ids if i in names and names[i].kind == OrgKind.COUNTY), "")
        town = next((names[i].name for i in ids if i in names and names[i].kind == OrgKind.TOWN), "")
        group = groups.setdefault((county, town), DirectoryGroup(county, town))
        group.orgs.append(DirectoryEntry(org.code, org.name, org.address, org.phone, org.hours))
    return sorted(groups.values(), key=lambda g: (g.county, g.area != "", g.area))
