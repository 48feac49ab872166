"""Seeding: realistic, reproducible SIA tasks (Faker)."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from mock_sia.accounts import UserInfo
from mock_sia.tasks import TasksMixin
from mock_sia.wire import (
    TASK_TYPES,
    zone,
)


class SeedMixin(TasksMixin):
    """Bulk seeding (a part of `SiaStore`)."""

    # -- seeding --------------------------------------------------------------------------------------------
    def seed_tasks(self, user: UserInfo, count: int, seed: int | None) -> list[str]:
        """`count` plausible tasks for `user` (Faker; the same seed gives the same tasks)."""
        from faker import Faker  # here: importing Faker costs ~0.3 s, and only seeding needs it

        fake = Faker()
        fake.seed_instance(seed)
        rng = random.Random(seed)
        today = self.clock.today(zone(user.time_zone))
        ids = []
        for _ in range(count):
            kind = rng.choice(TASK_TYPES)
            person = fake.name()
            name = {
                "email": f"Email {person}",
                "call": f"Call {person}",
                "inmail": f"InMail {person}",
                "custom": f"{fake.bs().capitalize()} for {person}",
            }[kind]
            offset = rng.randint(-5, 10)
            data: dict[str, Any] = {
                "type": kind,
                "name": name,
                "status": "complete" if rng.random() < 0.15 else "open",
                "priority": "high" if rng.random() < 0.25 else "normal",
                "due_date": None if rng.random() < 0.1 else (today + timedelta(days=offset)).isoformat(),
                "details": fake.paragraph(nb_sentences=2),
            }
            if rng.random() < 0.3:
                data.update(
                    sales_campaign_name=f"{fake.catch_phrase()} campaign",
                    sales_campaign_day=rng.randint(1, 20),
                    sales_campaign_step=rng.randint(1, 8),
                )
            if kind == "call" and rng.random() < 0.5:
                data.update(call_reason=rng.choice(["Follow-up", "Discovery", "Renewal", "Demo"]))
            ids.append(self.create_task(user, data)["id"])
        return ids
