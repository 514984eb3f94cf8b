"""Data-key rotation: every ID number and blind index moves to the new key; the old key can then go."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from models import AuditLog, Organisation, Party
from services.cases.workbench import search_cases
from services.core.config import get_settings
from services.core.security import decrypt_id
from services.privacy.key_rotation import rotate_data_key
from services.privacy.subject_access import find_parties
from tests.factories import make_actor
from tests.privacy.canary import Canary, seed

OLD_KEY = "test-data-key-" + "y" * 40
NEW_KEY = "rotated-data-key-" + "z" * 40


def _use(monkeypatch, key, previous=""):
    monkeypatch.setenv("DATA_KEY", key)
    monkeypatch.setenv("DATA_KEY_PREVIOUS", previous)
    get_settings.cache_clear()


def test_rotate_data_key_moves_every_value(db, monkeypatch):
    _use(monkeypatch, OLD_KEY)
    seed(db, 10, 10)
    _use(monkeypatch, NEW_KEY, OLD_KEY)
    report = rotate_data_key(db, new_key=NEW_KEY, old_keys=[OLD_KEY], batch=7)
    assert (report.scanned, report.reencrypted, report.reindexed, report.undecryptable) == (40, 40, 40, 0)
    _use(monkeypatch, NEW_KEY)  # the old key is dropped
    with db.read() as s:
        for p in s.exec(select(Party)).all():
            assert decrypt_id(p.id_number_enc, [NEW_KEY])
        for n in (0, 17, 39):
            found = find_parties(s, id_number=Canary(n).id_number)
            assert [p.name for p in found] == [Canary(n).name]
            assert [p.name for p in find_parties(s, phone=Canary(n).phone)] == [Canary(n).name]
        assert s.exec(select(AuditLog).where(AuditLog.action == "key.rotate")).first() is not None
    with db.write() as s:  # the staff search by full ID number or phone (exact match by blind index)
        staff = make_actor(s, s.exec(select(Organisation).where(Organisation.code == "C1")).one(), ["coordinator"])
        assert len(search_cases(s, actor=staff, query=Canary(5).id_number)) == 1
        assert len(search_cases(s, actor=staff, query=Canary(30).phone)) == 1


def test_rotate_data_key_again_changes_nothing(db, monkeypatch):
    _use(monkeypatch, OLD_KEY)
    seed(db, 3, 0)
    rotate_data_key(db, new_key=NEW_KEY, old_keys=[OLD_KEY])
    with db.read() as s:
        before = [p.model_dump() for p in s.exec(select(Party).order_by(col(Party.id)))]
    again = rotate_data_key(db, new_key=NEW_KEY, old_keys=[OLD_KEY])
    assert (again.unchanged, again.reencrypted, again.reindexed) == (6, 0, 0)
    with db.read() as s:
        assert [p.model_dump() for p in s.exec(select(Party).order_by(col(Party.id)))] == before


def test_rotate_data_key_resumes_after_a_stop(db, monkeypatch):
    _use(monkeypatch, OLD_KEY)
    seed(db, 5, 0)
    calls = {"n": 0}
    import services.privacy.key_rotation as K

    real = K._write

    def stop_after_one(*args, **kw):
        calls["n"] += 1
        if calls["n"] > 1:
            raise KeyboardInterrupt
        real(*args, **kw)

    monkeypatch.setattr(K, "_write", stop_after_one)
    with pytest.raises(KeyboardInterrupt):
        rotate_data_key(db, new_key=NEW_KEY, old_keys=[OLD_KEY], batch=4)
    monkeypatch.setattr(K, "_write", real)
    report = rotate_data_key(db, new_key=NEW_KEY, old_keys=[OLD_KEY], batch=4)
    assert (report.unchanged, report.reencrypted) == (4, 6)


def test_rotate_data_key_without_the_old_key_reports_undecryptable(db, monkeypatch):
    _use(monkeypatch, OLD_KEY)
    seed(db, 1, 0)
    report = rotate_data_key(db, new_key=NEW_KEY, old_keys=[])
    assert report.undecryptable == 3  # two parties and the custom ID field of the case
    with db.read() as s:
        assert all(decrypt_id(p.id_number_enc, [OLD_KEY]) for p in s.exec(select(Party)))  # left as it was


def test_rotate_data_key_covers_id_numbers_in_custom_fields(db, monkeypatch):
    from models import Case, FormSpec, FormSubmission
    from services.lowcode.fields import _id_number

    _use(monkeypatch, OLD_KEY)
    seed(db, 1, 0)
    value = _id_number(Canary(77).id_number, "idn", [])
    with db.write() as s:
        case = s.exec(select(Case)).first()
        case.custom = {"idn": value, "other": "x"}
        s.add(case)
        form_id = s.exec(select(FormSpec.id)).first()
        s.add(FormSubmission(form_id=form_id, form_code="screening", data={"rows": [{"idn": value}]}))
    report = rotate_data_key(db, new_key=NEW_KEY, old_keys=[OLD_KEY])
    assert report.json_values == 2  # the custom field of the case and the register entry
    with db.read() as s:
        custom = s.exec(select(Case)).first().custom
        sub = s.exec(select(FormSubmission)).first().data
    assert decrypt_id(custom["idn"]["enc"], [NEW_KEY]) == Canary(77).id_number and custom["other"] == "x"
    assert decrypt_id(sub["rows"][0]["idn"]["enc"], [NEW_KEY]) == Canary(77).id_number
    assert rotate_data_key(db, new_key=NEW_KEY, old_keys=[OLD_KEY]).json_values == 0
