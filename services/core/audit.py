"""Write audit rows; the table is append-only (database triggers refuse UPDATE and DELETE)."""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import Session

from models import AuditLog

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def clean_for_log(value: str, limit: int = 200) -> str:
    """One line, no control characters (LOG-5)."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)[:limit]


def record(
    session: Session,
    *,
    action: str,
    actor_id: int | None = None,
    entity: str = "",
    entity_id: int | None = None,
    client: str = "",
    **detail: Any,
) -> None:
    """Add an audit row to the current transaction."""
    session.add(
        AuditLog(
            action=action,
            actor_id=actor_id,
            entity=entity,
            entity_id=entity_id,
            client=clean_for_log(client, 64),
            detail=detail,
        )
    )
