"""Data-key rotation: re-encrypt every ID number and recompute every blind index under a new DATA_KEY.

Order of work for an operator: set DATA_KEY to the new key and DATA_KEY_PREVIOUS to the old one(s),
restart the app, run `manage.py rotate-data-key`, then drop DATA_KEY_PREVIOUS. The run goes through the
parties in id order, in batches, each batch one short write transaction; a row already on the new key is
left alone, so a run that stopped half way is simply started again. Each UPDATE is a compare-and-set on
the values it read, so an edit made between the read and the write is never overwritten (the row is
counted as skipped and taken up by the next run).

ID numbers typed into custom fields and register entries sit inside JSON values as {"masked", "enc"}
(services/lowcode/fields.py): those in case.custom and formsubmission.data are re-encrypted the same way, each
batch read and rewritten inside one write transaction (rows locked on PostgreSQL).

Other HMACs keyed by DATA_KEY hold no stored personal data: rate-limit buckets (minutes long) and intake
form tokens (an unsent form opened before the switch must be reloaded).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlmodel import col
from sqlmodel import select as sm_select

from models import Case, FormSubmission, Party
from services.core import audit
from services.core.db import Database
from services.core.security import blind_index, decrypt_id, encrypt_id, normalise_phone

log = logging.getLogger("mediation.keys")
BATCH = 500


@dataclass
class RotationReport:
    """What a rotation run did; `undecryptable` rows need a key that was not given."""

    scanned: int = 0
    reencrypted: int = 0
    reindexed: int = 0
    unchanged: int = 0
    skipped: int = 0
    undecryptable: int = 0
    json_values: int = 0


Row = tuple[int, str, str | None, str | None, str | None]


def _on_key(token: str, key: str) -> bool:
    try:
        decrypt_id(token, [key])
    except ValueError:
        return False
    return True


def new_values(row: Row, new_key: str, keys: list[str]) -> dict[str, str | None] | None:
    """The columns of one party that change under `new_key` ({} when none); None if undecryptable."""
    _, phone, phone_idx, enc, id_idx = row
    out: dict[str, str | None] = {}
    want_phone = blind_index(normalise_phone(phone), new_key, "phone") if phone else None
    if phone and want_phone != phone_idx:
        out["phone_index"] = want_phone
    if enc:
        try:
            plain = decrypt_id(enc, keys)
        except ValueError:
            return None
        if not _on_key(enc, new_key):
            out["id_number_enc"] = encrypt_id(plain, new_key)
        want_id = blind_index(plain, new_key)
        if want_id != id_idx:
            out["id_number_index"] = want_id
    return out


def _batch(db: Database, after: int, size: int) -> list[Row]:
    with db.read() as s:
        stmt = (
            select(
                Party.id,
                Party.phone,
                Party.phone_index,
                Party.id_number_enc,  # type: ignore[call-overload]
                Party.id_number_index,
            )
            .where(col(Party.id) > after)
            .order_by(col(Party.id))
            .limit(size)
        )
        return [(r[0] or 0, r[1], r[2], r[3], r[4]) for r in s.connection().execute(stmt).all()]


def _write(db: Database, changes: list[tuple[Row, dict[str, str | None]]], report: RotationReport) -> None:
    with db.write() as s:
        for row, values in changes:
            pid, phone, phone_idx, enc, id_idx = row
            stmt = (
                update(Party)
                .where(
                    col(Party.id) == pid,
                    col(Party.phone) == phone,
                    col(Party.phone_index).is_not_distinct_from(phone_idx),
                    col(Party.id_number_enc).is_not_distinct_from(enc),
                    col(Party.id_number_index).is_not_distinct_from(id_idx),
                )
                .values(**values)
            )
            if s.connection().execute(stmt).rowcount != 1:
                report.skipped += 1
                continue
            report.reencrypted += "id_number_enc" in values
            report.reindexed += bool({"phone_index", "id_number_index"} & values.keys())


def rotate_data_key(db: Database, *, new_key: str, old_keys: list[str], batch: int = BATCH) -> RotationReport:
    """Move every encrypted ID number and blind index of every party onto `new_key`; safe to run again."""
    keys = [new_key, *(k for k in old_keys if k and k != new_key)]
    report, after = RotationReport(), 0
    while rows := _batch(db, after, batch):
        after = rows[-1][0]
        report.scanned += len(rows)
        changes = []
        for row in rows:
            values = new_values(row, new_key, keys)
            if values is None:
                report.undecryptable += 1
            elif values:
                changes.append((row, values))
            else:
                report.unchanged += 1
        if changes:
            _write(db, changes, report)
    for model, column in ((Case, "custom"), (FormSubmission, "data")):
        rotate_json(db, model, column, new_key, keys, report, batch)
    with db.write() as s:
        audit.record(s, action="key.rotate", entity="party", **vars(report))
    log.info("data key rotation: %s", vars(report))
    return report


def reencrypt_json(value: Any, new_key: str, keys: list[str], report: RotationReport) -> Any:
    """The JSON value with every {"masked", "enc"} ID number encrypted under `new_key`."""
    if isinstance(value, list):
        return [reencrypt_json(v, new_key, keys, report) for v in value]
    if not isinstance(value, dict):
        return value
    if isinstance(value.get("enc"), str) and "masked" in value:
        if _on_key(value["enc"], new_key):
            return value
        try:
            plain = decrypt_id(value["enc"], keys)
        except ValueError:
            report.undecryptable += 1
            return value
        report.json_values += 1
        return {**value, "enc": encrypt_id(plain, new_key)}
    return {k: reencrypt_json(v, new_key, keys, report) for k, v in value.items()}


def rotate_json(
    db: Database, model: Any, column: str, new_key: str, keys: list[str], report: RotationReport, batch: int
) -> None:
    """Re-encrypt the ID numbers held in one JSON column, batch by batch (read and write in one transaction)."""
    after = 0
    while True:
        with db.write() as s:
            rows = s.exec(
                sm_select(model).where(col(model.id) > after).order_by(col(model.id)).limit(batch).with_for_update()
            ).all()
            if not rows:
                return
            after = rows[-1].id
            for row in rows:
                old = getattr(row, column)
                if not old or '"enc"' not in json.dumps(old):
                    continue
                new = reencrypt_json(old, new_key, keys, report)
                if new != old:
                    setattr(row, column, new)
                    s.add(row)
