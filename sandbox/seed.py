"""The sandbox's seed, shared by `make run` and the browser tests: Faker tasks over the last days, and a
few due today and tomorrow so the first import shows at once."""

from __future__ import annotations

from datetime import timedelta

from tqdm import tqdm

SEED_CHUNK = 1000  # larger Salesforce seeds go in chunks, with a progress bar
DUE_SOON = ("Call Ann's lead back", "Send the renewal quote", "Prepare the Q1 demo", "Book the kickoff")


def seed_salesforce(org, count: int, seed: int, owner: str) -> None:
    """`count` Faker tasks over the last 3 days (some fall inside the 24-hour first-sync window)."""
    if count <= SEED_CHUNK:
        org.seed(count, seed, owner=owner, spread_days=3)
        return
    with tqdm(total=count, desc="seeding Salesforce", unit=" tasks", disable=None) as bar:
        for start in range(0, count, SEED_CHUNK):
            n = min(SEED_CHUNK, count - start)
            org.seed(n, seed + start, owner=owner, spread_days=3)
            bar.update(n)


def due_soon(org, sf_user_id: str, today, subjects: tuple[str, ...] = DUE_SOON) -> None:
    """Salesforce tasks made now (inside the first sync's 24 hours, R3.3) due today and tomorrow in the
    rep's zone, so the first import shows in the Command Center at once."""
    for n, subject in enumerate(subjects):
        due = today + timedelta(days=n % 2)
        org.create_record(
            "Task",
            {
                "Subject": subject,
                "ActivityDate": due.isoformat(),
                "Status": "Not Started",
                "Priority": "High" if n == 0 else "Normal",
                "OwnerId": sf_user_id,
            },
            actor=sf_user_id,
        )
