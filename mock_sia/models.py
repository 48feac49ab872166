"""The SIA mock's tables (SQLAlchemy 2.0 typed models). Times are stored as UTC epoch milliseconds."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


# Public ids print the key with ten digits (`tsk_0000000042`), so every one of them must fit the column:
# BIGINT (BIGSERIAL) on PostgreSQL, where INTEGER stops at 2**31 - 1 and `tsk_9999999999` would be a
# database error instead of a 404; SQLite keeps INTEGER PRIMARY KEY (its 64-bit rowid, autoincrementing).
Pk = BigInteger().with_variant(Integer(), "sqlite")


class User(Base):
    __tablename__ = "sia_users"

    pk: Mapped[int] = mapped_column(Pk, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(255), unique=True)
    time_zone: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16), default="user")
    created_ms: Mapped[int] = mapped_column(BigInteger)
    # The login page's password, hashed (werkzeug.security); each user has one of their own.
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", cascade="all, delete-orphan")
    task_sync: Mapped[TaskSyncSetting | None] = relationship(
        back_populates="user", cascade="all, delete-orphan", uselist=False
    )
    salesforce: Mapped[SalesforceConnection | None] = relationship(
        back_populates="user", cascade="all, delete-orphan", uselist=False
    )

    @property
    def public_id(self) -> str:
        return f"usr_{self.pk}"


class ApiToken(Base):
    __tablename__ = "sia_api_tokens"

    token: Mapped[str] = mapped_column(String(128), primary_key=True)
    user_pk: Mapped[int] = mapped_column(Pk, ForeignKey("sia_users.pk", ondelete="CASCADE"), index=True)
    created_ms: Mapped[int] = mapped_column(BigInteger)

    user: Mapped[User] = relationship(back_populates="tokens")


class PageSession(Base):
    """A signed-in page session. The cookie carries only `sid`; logging out deletes the row, so a
    cookie captured before the logout is refused afterwards."""

    __tablename__ = "sia_page_sessions"

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_pk: Mapped[int] = mapped_column(Pk, ForeignKey("sia_users.pk", ondelete="CASCADE"), index=True)
    created_ms: Mapped[int] = mapped_column(BigInteger)


class TaskSyncSetting(Base):
    """R1.1/R1.3: the per-user task-sync switch and when it was first/last enabled and last disabled."""

    __tablename__ = "sia_task_sync_settings"

    user_pk: Mapped[int] = mapped_column(Pk, ForeignKey("sia_users.pk", ondelete="CASCADE"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    first_enabled_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_enabled_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_disabled_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    user: Mapped[User] = relationship(back_populates="task_sync")


class SalesforceConnection(Base):
    """R1.1: at most one Salesforce connection per user (the primary key is the user)."""

    __tablename__ = "sia_salesforce_connections"

    user_pk: Mapped[int] = mapped_column(Pk, ForeignKey("sia_users.pk", ondelete="CASCADE"), primary_key=True)
    instance_url: Mapped[str] = mapped_column(String(500))
    username: Mapped[str] = mapped_column(String(255))
    password: Mapped[str] = mapped_column(String(255))
    security_token: Mapped[str] = mapped_column(String(255), default="")
    salesforce_user_id: Mapped[str | None] = mapped_column(String(18), nullable=True)
    connected_ms: Mapped[int] = mapped_column(BigInteger)

    user: Mapped[User] = relationship(back_populates="salesforce")


class Task(Base):
    """A reminder task; a deleted one stays as a tombstone (`deleted_ms`) so deletions read back."""

    __tablename__ = "sia_tasks"
    # The change list's keyset (a user's tasks by (updated_at, id)) is one index range, in order (issue 9).
    __table_args__ = (Index("ix_sia_tasks_user_updated", "user_pk", "updated_ms", "pk"),)

    pk: Mapped[int] = mapped_column(Pk, primary_key=True, autoincrement=True)
    user_pk: Mapped[int] = mapped_column(Pk, ForeignKey("sia_users.pk", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(16), default="custom")
    name: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    details: Mapped[str | None] = mapped_column(Text, nullable=True)
    sales_campaign_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    sales_campaign_day: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sales_campaign_step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    call_outcome: Mapped[str | None] = mapped_column(String(255), nullable=True)
    call_reason: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_ms: Mapped[int] = mapped_column(BigInteger)
    updated_ms: Mapped[int] = mapped_column(BigInteger)
    deleted_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    @property
    def public_id(self) -> str:
        return f"tsk_{self.pk:010d}"


class IdempotencyKey(Base):
    """A create's `Idempotency-Key`, per user: the body's hash and the first answer."""

    __tablename__ = "sia_idempotency_keys"
    __table_args__ = (UniqueConstraint("user_pk", "key"),)

    pk: Mapped[int] = mapped_column(Pk, primary_key=True, autoincrement=True)
    user_pk: Mapped[int] = mapped_column(Pk, ForeignKey("sia_users.pk", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(255))
    body_hash: Mapped[str] = mapped_column(String(64))
    task_pk: Mapped[int] = mapped_column(Pk)
    response_json: Mapped[str] = mapped_column(Text)
    created_ms: Mapped[int] = mapped_column(BigInteger)


class InstanceSetting(Base):
    """Instance-wide settings by key (the subject template, R5.1a)."""

    __tablename__ = "sia_instance_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_ms: Mapped[int] = mapped_column(BigInteger)


class SyncHealth(Base):
    """What the sync reported about a user after its last pass (shown on the Settings and admin pages)."""

    __tablename__ = "sia_sync_health"

    user_pk: Mapped[int] = mapped_column(Pk, ForeignKey("sia_users.pk", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))  # ok | stopped | deferred
    code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_pass_ms: Mapped[int] = mapped_column(BigInteger)
    last_success_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    report_json: Mapped[str] = mapped_column(Text, default="{}")  # counts, conflicts, deletions, errors
