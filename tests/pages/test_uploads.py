"""Uploads in the Chinese UI: accepted types and size limit in a caption, every refused file with a Chinese reason."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from pages.ui import streamlit_texts, widgets
from services.core.i18n import translate


@dataclass
class FakeFile:
    name: str
    size: int


@pytest.fixture
def shown(monkeypatch):
    said: dict[str, list[str]] = {"caption": [], "error": []}
    monkeypatch.setattr(widgets.st, "caption", lambda text, **kw: said["caption"].append(text))
    monkeypatch.setattr(widgets.st, "error", lambda text, **kw: said["error"].append(text))
    monkeypatch.setattr(widgets, "t", lambda key, **p: translate(key, "zh-CN", **p))
    return said


def _uploader(monkeypatch, files, seen):
    def fake(label, **kwargs):
        seen.update(kwargs)
        return files if kwargs.get("accept_multiple_files") else (files[0] if files else None)

    monkeypatch.setattr(widgets.st, "file_uploader", fake)


def test_refused_upload_says_why_in_chinese_and_the_browser_refuses_nothing(monkeypatch, shown):
    seen: dict[str, object] = {}
    big = FakeFile("大照片.jpg", 11 * 1024 * 1024)
    pdf = FakeFile("合同.pdf", 1000)
    ok = FakeFile("现场.JPEG", 2000)
    _uploader(monkeypatch, [big, pdf, ok], seen)
    got = widgets.upload_files("照片", types=["jpg", "jpeg", "png"], key="k")
    assert got == [ok]
    assert "type" not in seen and "max_upload_size" not in seen  # no English refusal by the browser
    assert shown["caption"] == ["可上传 JPG、PNG，每个文件不超过 10 MB。"]
    assert len(shown["error"]) == 2
    assert "文件超过 10 MB" in shown["error"][0] and "大照片\\.jpg" in shown["error"][0]
    assert "只能上传 JPG、PNG 文件" in shown["error"][1]


def test_single_upload_returns_the_file_or_none(monkeypatch, shown):
    seen: dict[str, object] = {}
    _uploader(monkeypatch, [FakeFile("名单.xlsx", 10)], seen)
    assert widgets.upload_file("名单", types=["xlsx"], key="k", max_mb=20).name == "名单.xlsx"
    _uploader(monkeypatch, [FakeFile("名单.xls", 10)], seen)
    assert widgets.upload_file("名单", types=["xlsx"], key="k", max_mb=20) is None
    assert shown["caption"][-1] == "可上传 XLSX，每个文件不超过 20 MB。"


def test_server_upload_limit_is_above_every_limit_our_code_checks():
    import tomllib

    from services.core.config import ROOT

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] == streamlit_texts.SERVER_UPLOAD_LIMIT_MB
    assert streamlit_texts.SERVER_UPLOAD_LIMIT_MB > 20


def test_chinese_stylesheet_hides_streamlit_english_and_says_choose_in_chinese():
    css = streamlit_texts.stylesheet()
    assert '"请选择"' in css and '"选择文件"' in css and "InputInstructions" in css
    assert "stFileUploaderDropzoneInstructions" in css and "stSkipToContent" in css
