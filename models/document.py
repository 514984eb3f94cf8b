"""Document templates an office has put in place of the shipped ones (assets/templates)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import created_at_field


class DocumentTemplate(SQLModel, table=True):
    """One version of an organisation's template for a document kind; the newest version is in force for
    the organisation's subtree. A version without content hands back to the template above it."""

    __table_args__ = (
        UniqueConstraint("org_id", "kind", "version"),
        Index("ix_documenttemplate_kind_org", "kind", "org_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", description="the template applies to this subtree")
    kind: str = Field(max_length=40, description="document kind, e.g. agreement (services/documents/kinds.py)")
    version: int = 1
    filename: str = Field(default="", max_length=120, description="name of the uploaded file")
    content: bytes | None = Field(
        default=None, repr=False, description="the DOCX; NULL = back to the inherited or shipped template"
    )
    sha256: str = Field(default="", max_length=64)
    size: int = 0
    note: str = Field(default="", max_length=500)
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = created_at_field()
