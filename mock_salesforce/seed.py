"""Seeding: realistic, reproducible tasks (Faker)."""

from __future__ import annotations

import random
from datetime import UTC, timedelta
from typing import Any

from sqlalchemy import insert, select, text

from mock_core.errors import AdminError
from mock_salesforce.models import Task as TaskRow
from mock_salesforce.models import User as UserRow
from mock_salesforce.sessions import SessionsMixin
from mock_salesforce.wire import naive_utc


class SeedMixin(SessionsMixin):
    """Bulk seeding (a part of `Org`)."""

    # -- seeding -----------------------------------------------------------------------------------
    def seed(
        self,
        count: int,
        seed: int | None = None,
        owner: str | None = None,
        spread_days: float = 0,
        **options: Any,
    ) -> dict[str, Any]:
        """Insert `count` realistic tasks (Faker, reproducible with `seed`), owned by `owner`.

        `spread_days` spreads CreatedDate/SystemModstamp back over that many days (default: all now).
        """
        if options:
            raise AdminError(f"unknown seed option(s): {', '.join(sorted(options))}")

        from faker import Faker  # here: importing Faker costs ~0.3 s, and only seeding needs it

        rng = random.Random(seed)
        fake = Faker()
        fake.seed_instance(seed if seed is not None else rng.randrange(1 << 30))
        people = [fake.name() for _ in range(200)]
        companies = [fake.company() for _ in range(100)]
        sentences = [fake.sentence(nb_words=10) for _ in range(200)]
        templates = [
            "Call {p}",
            "Email {p} about the proposal",
            "Follow up with {p}",
            "Send quote to {c}",
            "Prepare demo for {c}",
            "Check in with {p} ({c})",
            "Book meeting with {p}",
            "Review {c} contract",
        ]
        statuses = self.picklists["Status"]["values"]
        priorities = self.picklists["Priority"]["values"]
        with self.tx() as s:
            owner_id = (
                self._find_user(s, owner).Id
                if owner
                else s.scalars(select(UserRow.Id).order_by(UserRow.Id)).first()
            )
        now = self.now()
        today = self.clock.today()
        closed = set(self.picklists["Status"].get("closed", []))
        high = set(self.picklists["Priority"].get("high", []))
        ids: list[str] = []
        rows = []
        for _ in range(int(count)):
            status = rng.choices(
                statuses, weights=[5, 2, 2, 1, 1][: len(statuses)] + [1] * (len(statuses) - 5)
            )[0]
            priority = rng.choice(priorities)
            stamp = now - timedelta(seconds=rng.uniform(0, spread_days * 86400)) if spread_days else now
            stamp = naive_utc(stamp.replace(tzinfo=UTC))
            due = today + timedelta(days=rng.randint(-10, 20)) if rng.random() < 0.85 else None
            rid = self.ids.new("00T")
            ids.append(rid)
            rows.append(
                {
                    "Id": rid,
                    "Subject": rng.choice(templates).format(p=rng.choice(people), c=rng.choice(companies)),
                    "Status": status,
                    "Priority": priority,
                    "ActivityDate": due,
                    "Description": rng.choice(sentences) if rng.random() < 0.6 else None,
                    "OwnerId": owner_id,
                    "WhoId": None,
                    "WhatId": None,
                    "Type": rng.choice(["Call", "Email", None]),
                    "TaskSubtype": "Task",
                    "IsClosed": status in closed,
                    "IsHighPriority": priority in high,
                    "IsReminderSet": False,
                    "ReminderDateTime": None,
                    "CompletedDateTime": stamp if status in closed else None,
                    "IsArchived": False,
                    "IsDeleted": False,
                    "DeletedDate": None,
                    "CreatedDate": stamp,
                    "CreatedById": owner_id,
                    "LastModifiedDate": stamp,
                    "LastModifiedById": owner_id,
                    "SystemModstamp": stamp,
                }
            )
            if len(rows) >= 5000:
                with self.tx() as s:
                    s.connection().execute(insert(TaskRow.__table__), rows)  # Core executemany: fast
                rows = []
        if rows:
            with self.tx() as s:
                s.connection().execute(insert(TaskRow.__table__), rows)  # Core executemany: fast
        if self.engine.dialect.name == "postgresql" and len(ids) >= 10_000:
            # Fresh planner statistics after a bulk load: otherwise PostgreSQL plans the next reads for
            # an empty table (bitmap scan + sort of every row) until autovacuum gets to analyze it.
            with self.tx() as s:
                s.execute(text("ANALYZE sf_task"))
        out: dict = {"created": len(ids), "owner": owner_id}
        if len(ids) <= 1000:
            out["ids"] = ids
        return out
