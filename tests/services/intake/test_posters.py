"""QR codes and A4 posters: sizes, Chinese text, decoding with zbarimg, PDFs, scope, the CLI."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from PIL.PdfParser import PdfParser

from services.core.errors import NotFound, PermissionDenied
from services.intake import posters as qr
from services.intake.posters import A4_PRINT, A4_SCREEN, PosterFontMissing, PosterOrg
from tests.factories import make_actor, make_tree

ROOT = Path(__file__).resolve().parents[3]
BASE = "https://tiaojie.example.gov.cn"
ORG = PosterOrg("V001", "红桥镇东村人民调解委员会", "红桥镇东村便民服务中心", "0831-1234567")
needs_zbar = pytest.mark.skipif(shutil.which("zbarimg") is None, reason="zbarimg missing (apt-get install zbar-tools)")
needs_font = pytest.mark.skipif(not qr.BOLD_FONT.exists(), reason="fonts-noto-cjk missing")


def decode(png: bytes, tmp_path: Path) -> str:
    path = tmp_path / "code.png"
    path.write_bytes(png)
    done = subprocess.run(["zbarimg", "--raw", "-q", str(path)], capture_output=True, text=True, timeout=30)
    return done.stdout.strip()


def test_intake_and_track_urls_use_public_base_url(monkeypatch):
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://mediation.example.cn/")
    assert qr.intake_url("V 1/x") == "https://mediation.example.cn/intake?org=V%201%2Fx"
    assert qr.track_url("ABCD-EFGH-JKMN") == "https://mediation.example.cn/track?code=ABCD-EFGH-JKMN"
    assert qr.short_url("https://mediation.example.cn/intake?org=V001") == "mediation.example.cn/intake?org=V001"


@needs_zbar
def test_qr_png_decodes_to_the_url(tmp_path):
    url = qr.intake_url("V001", BASE)
    png = qr.qr_png(url)
    assert png.startswith(b"\x89PNG") and decode(png, tmp_path) == url


@needs_zbar
@needs_font
@pytest.mark.parametrize("size", [A4_PRINT, A4_SCREEN])
def test_poster_png_is_a4_and_decodes(tmp_path, size):
    url = qr.intake_url(ORG.code, BASE)
    png = qr.poster_png(ORG, url, size=size)
    with Image.open(io.BytesIO(png)) as im:
        assert im.size == size and im.mode == "RGB"
    assert decode(png, tmp_path) == url


@needs_font
def test_poster_draws_the_chinese_name():
    """The name area differs between two names (glyphs drawn, not the same tofu boxes)."""
    url = qr.intake_url("V001", BASE)
    one = qr.poster_image(ORG, url, size=A4_SCREEN).crop((0, 200, 1240, 420))
    two = qr.poster_image(PosterOrg("V001", "西村调委会"), url, size=A4_SCREEN).crop((0, 200, 1240, 420))
    assert one.tobytes() != two.tobytes()
    dark = one.convert("L").point(lambda px: 255 if px < 128 else 0).histogram()[255]
    assert dark > 5000  # bold CJK strokes, not an empty band


@needs_font
def test_poster_fits_long_names_in_two_lines():
    img = qr.poster_image(
        PosterOrg("X", "某某省某某市某某县某某镇某某村第一村民小组人民调解委员会驻派出所调解工作室"),
        qr.intake_url("X", BASE),
        size=A4_SCREEN,
    )
    assert img.size == A4_SCREEN


def test_poster_refuses_clearly_without_the_font(monkeypatch):
    monkeypatch.setenv("MEDIATION_POSTER_FONT", "/nonexistent/NotoSansCJK-Bold.ttc")
    with pytest.raises(PosterFontMissing) as err:
        qr.poster_png(ORG, qr.intake_url("V001", BASE))
    assert err.value.key == "error.poster_font_missing"
    assert err.value.params == {"path": "/nonexistent/NotoSansCJK-Bold.ttc"}


@needs_font
def test_posters_pdf_has_one_page_per_org():
    orgs = [ORG, PosterOrg("V2", "西村调委会"), PosterOrg("P1", "红桥派出所调解室")]
    pdf = qr.posters_pdf(orgs, base_url=BASE)
    assert pdf.startswith(b"%PDF")
    assert len(PdfParser(buf=pdf).pages) == 3
    with pytest.raises(NotFound):
        qr.posters_pdf([], base_url=BASE)


@needs_font
def test_poster_scope_is_the_actors_county(db):
    with db.write() as s:
        tree = make_tree(s)
        mediator = make_actor(s, tree["v1"], ["mediator"])
        justice = make_actor(s, tree["justice"], ["justice"])
        scope = qr.poster_scope(s, actor=mediator)
        assert (scope.county_name, [o.code for o in scope.orgs]) == ("江安县", ["V1", "V2", "P1"])
        with pytest.raises(PermissionDenied):
            qr.poster_scope(s, actor=justice)


@needs_zbar
@needs_font
@pytest.mark.slow
def test_cli_writes_png_per_org_and_pdf(db, tmp_path, monkeypatch):
    with db.write() as s:
        make_tree(s)
    env = {"DATABASE_URL": db.url, "PUBLIC_BASE_URL": BASE}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    out = tmp_path / "posters"
    done = subprocess.run(
        [sys.executable, "manage.py", "qr-posters", "--out", str(out), "--dpi", "150"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["P1.png", "ROOT.png", "V1.png", "V2.png", "posters.pdf"]
    assert decode((out / "V1.png").read_bytes(), tmp_path) == f"{BASE}/intake?org=V1"
    one = subprocess.run(
        [sys.executable, "manage.py", "qr-posters", "--out", str(tmp_path / "one"), "--org", "v2", "--dpi", "150"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert one.returncode == 0, one.stderr
    assert sorted(p.name for p in (tmp_path / "one").iterdir()) == ["V2.pdf", "V2.png"]
    bad = subprocess.run(
        [sys.executable, "manage.py", "qr-posters", "--out", str(tmp_path / "x"), "--org", "CT1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert bad.returncode == 2 and "CT1" in bad.stderr
