"""Printed document numbers (issue 19 item 4): the number a case's document of one kind took from its office's
numbering rule, e.g. （2026）江安调协字第0001号 for an agreement. Once per case and kind (a re-issue prints the
same number); gap-free per sequence and year. Migration 0027_document_numbers, mirrored here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import created_at_field


class DocumentNumber(SQLModel, table=True):
    """Which sequence number a case's document of `kind` took, and the text printed."""

    __table_args__ = (
        UniqueConstraint("case_id", "kind", name="uq_documentnumber_once"),
        UniqueConstraint("scope_key", "year", "seq", name="uq_documentnumber_seq"),
    )
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    kind: str = Field(max_length=40, description="document kind (services/documents/kinds.py), e.g. agreement")
    rule_id: int = Field(foreign_key="numberingrule.id", index=True)
    scope_key: str = Field(max_length=40)
    year: int
    seq: int
    text: str = Field(max_length=40, description="the number as printed")
    created_at: datetime = created_at_field()
