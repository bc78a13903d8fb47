"""Contacts (SPEC §10): the contact, its handles, its tags and the ids merged into it.

The figures of §6.7 are kept on every handle row and, summed over a contact's handles, on
the contact row, by the events store's write path (app/events/store/_contact_rollup.py) in
the transaction of each event insert and delete. ``first_inbound_at`` / ``last_inbound_at``
keep "inbound on ≥ 2 distinct local days" exact: the local days of the first and the last
inbound event differ. Rows without events keep zeros and null instants and stage.
"""

import uuid
from datetime import datetime

from sqlalchemy import JSON, Column, ForeignKey, Index, Table, text
from sqlmodel import Field, SQLModel

from app.calc.vocabulary import DEFAULT_KEEP_IN_TOUCH_DAYS
from app.core.types import UTCDateTime, utc_now


class Contact(SQLModel, table=True):
    __tablename__ = "contact"
    __table_args__ = (
        # sort=last_contact, and sort=due with a stage: one range per distinct cadence (within
        # a cadence, due_at = last_contact_at + the cadence, so both sorts and the due
        # filters are ranges of last_contact_at). Migration 0014.
        Index("ix_contact_user_cadence_last", "user_id", "cadence_days", "last_contact_at", "id"),
        Index(
            "ix_contact_user_stage_cadence_last",
            "user_id",
            "stage",
            "cadence_days",
            "last_contact_at",
            "id",
        ),
        # sort=due, stale with sort=due, and contact.stale's pass (webhooks/stale.py).
        Index("ix_contact_user_due", "user_id", "due_at", "id"),
        # q: the named contacts only, scanned in the index for the substring.
        Index(
            "ix_contact_user_name",
            "user_id",
            "name",
            "id",
            sqlite_where=text("name IS NOT NULL"),
            postgresql_where=text("name IS NOT NULL"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="app_user.id", ondelete="CASCADE")
    name: str | None = Field(default=None, max_length=200)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    keep_in_touch_days: int | None = None
    notes: str | None = Field(default=None, max_length=5000)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    # The summary over the contact's handles (all of the user's events).
    first_contact_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_contact_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    outbound: int = 0
    inbound: int = 0
    non_sales: int = 0
    sales: int = 0
    first_inbound_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_inbound_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    stage: str | None = Field(default=None, max_length=8)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The keep-in-touch days in force: its own, or the user's (kept with due_at).
    cadence_days: int = DEFAULT_KEEP_IN_TOUCH_DAYS


class ContactHandle(SQLModel, table=True):
    __tablename__ = "contact_handle"
    __table_args__ = (
        # §6.7 pages: newest last contact first, ties by handle, with or without a stage.
        Index("ix_contact_handle_user_last", "user_id", "last_contact_at", "handle"),
        Index("ix_contact_handle_user_stage_last", "user_id", "stage", "last_contact_at", "handle"),
        # A page's handles, read from the index alone (migration 0014 added ``handle``).
        Index("ix_contact_handle_contact", "contact_id", "handle"),
    )

    user_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True)
    )
    handle: str = Field(primary_key=True, max_length=200)
    contact_id: uuid.UUID = Field(foreign_key="contact.id", ondelete="CASCADE")
    first_contact_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_contact_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    outbound: int = 0
    inbound: int = 0
    non_sales: int = 0
    sales: int = 0
    first_inbound_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_inbound_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    stage: str | None = Field(default=None, max_length=8)


class ContactTag(SQLModel, table=True):
    """One tag of a contact (the ``tag`` filter); the contact's ``tags`` keep their order."""

    __tablename__ = "contact_tag"

    user_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True)
    )
    tag: str = Field(primary_key=True, max_length=50)
    contact_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("contact.id", ondelete="CASCADE"), primary_key=True)
    )


class ContactMerged(SQLModel, table=True):
    """A contact id merged into another: repeating the merge is a no-op."""

    __tablename__ = "contact_merged"

    merged_id: uuid.UUID = Field(primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="app_user.id", ondelete="CASCADE", index=True)
    into_id: uuid.UUID = Field(foreign_key="contact.id", ondelete="CASCADE")


CONTACT_TABLE: Table = SQLModel.metadata.tables["contact"]
HANDLE_TABLE: Table = SQLModel.metadata.tables["contact_handle"]
TAG_TABLE: Table = SQLModel.metadata.tables["contact_tag"]
MERGED_TABLE: Table = SQLModel.metadata.tables["contact_merged"]
# The summary columns, alike on a handle and a contact.
SUMMARY = (
    "first_contact_at",
    "last_contact_at",
    "outbound",
    "inbound",
    "non_sales",
    "sales",
    "first_inbound_at",
    "last_inbound_at",
    "stage",
)
