"""Organisations: the city → county → town → village tree, mediation bodies and partner agencies."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from models.base import created_at_field


class OrgKind(StrEnum):
    CITY = "city"
    COUNTY = "county"
    TOWN = "town"
    VILLAGE_COMMITTEE = "village_committee"
    TOWN_COMMITTEE = "town_committee"
    POLICE_ROOM = "police_room"
    COURT_ROOM = "court_room"
    PETITION_ROOM = "petition_room"
    PROFESSIONAL = "professional"
    COORDINATION = "coordination"
    POLICE_STATION = "police_station"
    COURT = "court"
    JUSTICE_OFFICE = "justice_office"


MEDIATION_KINDS = frozenset(
    {
        OrgKind.VILLAGE_COMMITTEE,
        OrgKind.TOWN_COMMITTEE,
        OrgKind.POLICE_ROOM,
        OrgKind.COURT_ROOM,
        OrgKind.PETITION_ROOM,
        OrgKind.PROFESSIONAL,
    }
)


class Organisation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, description="short public code used in QR links")
    name: str = Field(max_length=120)
    kind: str = Field(max_length=32, index=True)
    parent_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    path: str = Field(
        default="/",
        max_length=255,
        index=True,
        description="materialised path of ids, e.g. /1/4/17/, for subtree scoping",
    )
    depth: int = 0
    county_id: int | None = Field(default=None, index=True, description="id of the county above (denormalised)")
    sector: str | None = Field(default=None, max_length=40, description="professional committee's sector")
    address: str = Field(default="", max_length=200)
    phone: str = Field(default="", max_length=40, description="public office phone")
    hours: str = Field(default="", max_length=80)
    population: int = Field(default=0, description="people living in the area it covers")
    active: bool = True
    created_at: datetime = created_at_field()


class OrgHistory(SQLModel, table=True):
    """A move in the tree or a rename; the organisation keeps its id and history."""

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    field: str = Field(max_length=40)
    old_value: str = Field(default="", max_length=255)
    new_value: str = Field(default="", max_length=255)
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    at: datetime = created_at_field()
