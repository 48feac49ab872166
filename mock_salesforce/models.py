"""SQLAlchemy 2.0 models of one org. Attribute names are the canonical Salesforce field names.

Custom fields live in generic typed slots (`CustomText1..N`) that the org's field declarations
(`CustomField` rows) map to their API names, so SOQL can filter and sort them like any column;
a declared external id / unique field gets an index on `lower(slot)` when it is declared.
Datetimes are stored as naive UTC with millisecond precision; dates as DATE; booleans as BOOLEAN.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

CUSTOM_TEXT_SLOTS = 10


def id_string(length: int = 18) -> String:
    """Ids compare and sort byte-wise (`0-9 < A-Z < a-z`), as keyset paging on (SystemModstamp, Id) and
    `ORDER BY Id` need; PostgreSQL would follow the database's locale (`a` next to `A`) without `"C"`."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "sf_user"

    Id: Mapped[str] = mapped_column(id_string(), primary_key=True)
    Username: Mapped[str] = mapped_column(String(80), unique=True)
    FirstName: Mapped[str | None] = mapped_column(String(40))
    LastName: Mapped[str] = mapped_column(String(80))
    Name: Mapped[str] = mapped_column(String(121))
    Email: Mapped[str] = mapped_column(String(80))
    IsActive: Mapped[bool] = mapped_column(Boolean, default=True)
    TimeZoneSidKey: Mapped[str] = mapped_column(String(40), default="UTC")
    Password: Mapped[str] = mapped_column(String(255))
    SecurityToken: Mapped[str] = mapped_column(String(255))
    CreatedDate: Mapped[datetime] = mapped_column(DateTime)
    LastModifiedDate: Mapped[datetime] = mapped_column(DateTime)
    SystemModstamp: Mapped[datetime] = mapped_column(DateTime)


class Task(Base):
    __tablename__ = "sf_task"

    Id: Mapped[str] = mapped_column(id_string(), primary_key=True)
    Subject: Mapped[str | None] = mapped_column(String(255))
    Status: Mapped[str] = mapped_column(String(40))
    Priority: Mapped[str] = mapped_column(String(40))
    ActivityDate: Mapped[date | None] = mapped_column(Date)
    Description: Mapped[str | None] = mapped_column(Text)
    OwnerId: Mapped[str] = mapped_column(id_string())
    WhoId: Mapped[str | None] = mapped_column(id_string())
    WhatId: Mapped[str | None] = mapped_column(id_string())
    Type: Mapped[str | None] = mapped_column(String(40))
    TaskSubtype: Mapped[str | None] = mapped_column(String(40))
    IsClosed: Mapped[bool] = mapped_column(Boolean, default=False)
    IsHighPriority: Mapped[bool] = mapped_column(Boolean, default=False)
    IsReminderSet: Mapped[bool] = mapped_column(Boolean, default=False)
    ReminderDateTime: Mapped[datetime | None] = mapped_column(DateTime)
    CompletedDateTime: Mapped[datetime | None] = mapped_column(DateTime)
    IsArchived: Mapped[bool] = mapped_column(Boolean, default=False)
    IsDeleted: Mapped[bool] = mapped_column(Boolean, default=False)
    DeletedDate: Mapped[datetime | None] = mapped_column(DateTime)  # internal: when it went to the bin
    CreatedDate: Mapped[datetime] = mapped_column(DateTime)
    CreatedById: Mapped[str] = mapped_column(id_string())
    LastModifiedDate: Mapped[datetime] = mapped_column(DateTime)
    LastModifiedById: Mapped[str] = mapped_column(id_string())
    SystemModstamp: Mapped[datetime] = mapped_column(DateTime)
    # generic slots for declared custom text fields (see CustomField)
    CustomText1: Mapped[str | None] = mapped_column(String(255))
    CustomText2: Mapped[str | None] = mapped_column(String(255))
    CustomText3: Mapped[str | None] = mapped_column(String(255))
    CustomText4: Mapped[str | None] = mapped_column(String(255))
    CustomText5: Mapped[str | None] = mapped_column(String(255))
    CustomText6: Mapped[str | None] = mapped_column(String(255))
    CustomText7: Mapped[str | None] = mapped_column(String(255))
    CustomText8: Mapped[str | None] = mapped_column(String(255))
    CustomText9: Mapped[str | None] = mapped_column(String(255))
    CustomText10: Mapped[str | None] = mapped_column(String(255))

    __table_args__ = (
        Index("ix_task_owner_modstamp_id", "OwnerId", "SystemModstamp", "Id"),
        Index("ix_task_modstamp_id", "SystemModstamp", "Id"),
        Index("ix_task_deleted_date", "DeletedDate"),
    )


class CustomField(Base):
    """A custom field declared on an object of this org, mapped to a storage slot."""

    __tablename__ = "sf_custom_field"

    Name: Mapped[str] = mapped_column(String(80), primary_key=True)  # API name, e.g. SIA_Task_Id__c
    SObject: Mapped[str] = mapped_column(String(40), primary_key=True)
    Label: Mapped[str] = mapped_column(String(80))
    Type: Mapped[str] = mapped_column(String(20), default="string")
    Length: Mapped[int] = mapped_column(Integer, default=255)
    ExternalId: Mapped[bool] = mapped_column(Boolean, default=False)
    IsUnique: Mapped[bool] = mapped_column(Boolean, default=False)
    CaseSensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    Slot: Mapped[str] = mapped_column(String(20))


class Setting(Base):
    """Small per-org settings that must survive a restart (org id, picklists)."""

    __tablename__ = "sf_setting"

    Key: Mapped[str] = mapped_column(String(80), primary_key=True)
    Value: Mapped[str] = mapped_column(Text)
