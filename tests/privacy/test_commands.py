"""The manage.py commands: rotate-data-key, subject-export (json, xlsx) and retention (--dry-run, real)."""

from __future__ import annotations

import json

from openpyxl import load_workbook

import manage
from services.core.config import get_settings
from tests.privacy.canary import Canary, seed

OLD_KEY = "test-data-key-" + "y" * 40
NEW_KEY = "command-rotated-key-" + "k" * 40


def _env(monkeypatch, db, key=OLD_KEY, previous=""):
    monkeypatch.setenv("DATABASE_URL", db.url)
    monkeypatch.setenv("DATA_KEY", key)
    monkeypatch.setenv("DATA_KEY_PREVIOUS", previous)
    get_settings.cache_clear()


def test_commands_rotate_export_and_retain(db, monkeypatch, tmp_path, capsys):
    _env(monkeypatch, db)
    seed(db, 2, 1)
    _env(monkeypatch, db, NEW_KEY, OLD_KEY)
    assert manage.main(["rotate-data-key", "--batch", "2"]) == 0
    assert "reencrypted 6" in capsys.readouterr().out
    _env(monkeypatch, db, NEW_KEY)  # old key dropped
    out = tmp_path / "me.json"
    assert manage.main(["subject-export", "--id-number", Canary(4).id_number, "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["parties"][0]["id_number"] == Canary(4).id_number and oct(out.stat().st_mode)[-3:] == "600"
    xlsx = tmp_path / "me.xlsx"
    assert manage.main(["subject-export", "--phone", Canary(1).phone, "--out", str(xlsx)]) == 0
    assert "parties" in load_workbook(xlsx).sheetnames
    assert manage.main(["subject-export", "--id-number", "not-an-id"]) == 2
    capsys.readouterr()
    assert manage.main(["retention", "--dry-run"]) == 0
    assert "2 eligible, 0 anonymised" in capsys.readouterr().out
    assert manage.main(["retention"]) == 0
    assert "2 eligible, 2 anonymised" in capsys.readouterr().out
    assert manage.main(["subject-export", "--phone", Canary(1).phone]) == 0
    assert json.loads(capsys.readouterr().out) == {"parties": []}
