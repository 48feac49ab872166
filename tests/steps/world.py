"""The world a scenario acts on: both products and the sync, seen through their public surfaces.

`World` wraps one `sandbox.harness.Harness` (both mocks on one shared clock, the engine, Ann
connected to Salesforce). Steps call it in the product's words: Ann creates a task in SIA (the SIA
task API with Ann's token), a Salesforce user edits a task (simple-salesforce as that user), the
sync runs (one engine pass, whose report is returned). Checks read the same surfaces — never the
engine's state tables.

The only control-plane calls are the ones an org or instance admin would make by hand: the
Salesforce recycle bin, a custom task status, a second user, an outage (faults), a user's time zone.

Tasks are named by their name/subject, as a user finds them; the world remembers every id it has
seen under a name, so "the same task" and "a new task" can be told apart later.
"""

from __future__ import annotations

import random
import string
from collections import defaultdict
from datetime import date, datetime

from simple_salesforce import Salesforce, format_soql

from steps.parsing import iso_date as parse_iso_date

SF_FIELDS = (
    "Id",
    "Subject",
    "Status",
    "Priority",
    "ActivityDate",
    "Description",
    "OwnerId",
    "Type",
    "LastModifiedDate",
    "SystemModstamp",
    "IsClosed",
)


class World:
    def __init__(self, harness) -> None:
        self.h = harness
        self.clock = harness.clock
        self.reports: list = []
        self._sia_seen: dict[str, set[str]] = defaultdict(set)
        self._sf_seen: dict[str, set[str]] = defaultdict(set)
        self._rng = random.Random(5)

    # ------------------------------------------------------------------------------------ users
    def sia(self, who: str):
        """A `requests` session acting as that SIA user (their own API token)."""
        return self.h.sia_as(self._user_key(who))

    def sf(self, who: str) -> Salesforce:
        """simple-salesforce logged in as the Salesforce user that SIA user is connected to."""
        return self.h.salesforce(self._user_key(who))

    def sf_user_id(self, who: str) -> str:
        return self.h.salesforce_user_id(self._user_key(who))

    def _user_key(self, who: str) -> str:
        key = who.lower()
        if key not in self.h.users():
            self.h.add_user(key)
        return key

    def set_time_zone(self, who: str, zone: str) -> None:
        self.h.set_time_zone(self._user_key(who), zone)

    def time_zone(self, who: str = "Ann") -> str:
        return self._get(who, "/api/v1/users/me")["time_zone"]

    # ------------------------------------------------------------------------------ dates
    def today(self, who: str = "Ann", at: datetime | None = None) -> date:
        from zoneinfo import ZoneInfo

        now = at or self.clock.now()
        return now.astimezone(ZoneInfo(self.time_zone(who))).date()

    def iso_date(self, text: str, who: str = "Ann", at: datetime | None = None) -> str | None:
        return parse_iso_date(text, self.today(who, at))

    def wait(self, moment: str | None) -> None:
        """'5 minutes later' moves the clock on; 'at the same moment' (or nothing) does not."""
        if moment and moment.endswith("minutes later"):
            self.clock.advance(minutes=int(moment.split()[0]))

    def long_text(self, size: int, single_line: bool = False) -> str:
        """Readable text of exactly `size` characters, with line breaks and non-ASCII unless single_line."""
        words = ["renewal", "contract", "Zoë", "café", "naïve", "quote", "call", "follow-up", "π", "☎"]
        out: list[str] = []
        length = 0
        while length < size:
            word = self._rng.choice(words + list(string.ascii_lowercase))
            sep = "\n" if (not single_line and self._rng.random() < 0.08) else " "
            piece = word + sep
            out.append(piece)
            length += len(piece)
        return "".join(out)[:size].rstrip().ljust(size, "x")

    # ------------------------------------------------------------------------------ SIA
    def _get(self, who: str, path: str, **params):
        response = self.sia(who).get(self.h.sia_url + path, params=params or None)
        assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text}"
        return response.json()

    def set_task_sync(self, who: str, enabled: bool) -> dict:
        """Save the setting. The save comes a minute after whatever the scenario did before, so tasks
        that "already existed" are older than the enabling, as they would be in real life."""
        self.clock.advance(minutes=1)
        response = self.sia(who).put(self.h.sia_url + "/api/v1/settings/task_sync", json={"enabled": enabled})
        assert response.status_code == 200, response.text
        return response.json()

    def task_sync(self, who: str) -> dict:
        return self._get(who, "/api/v1/settings/task_sync")

    def sia_create(self, who: str, fields: dict) -> dict:
        response = self.sia(who).post(self.h.sia_url + "/api/v1/tasks", json=fields)
        assert response.status_code == 201, f"creating {fields}: {response.status_code} {response.text}"
        task = response.json()
        self._sia_seen[task["name"]].add(task["id"])
        return task

    def sia_tasks(self, who: str = "Ann") -> list[dict]:
        tasks: list[dict] = []
        params = {"limit": 1000}
        while True:
            page = self._get(who, "/api/v1/tasks", **params)
            tasks += page["data"]
            if not page.get("next_cursor"):
                return tasks
            params = {"limit": 1000, "cursor": page["next_cursor"]}

    def sia_named(self, name: str, who: str = "Ann") -> list[dict]:
        found = [t for t in self.sia_tasks(who) if t["name"] == name]
        for task in found:
            self._sia_seen[name].add(task["id"])
        return found

    def sia_names(self, who: str = "Ann") -> list[str]:
        return sorted(t["name"] for t in self.sia_tasks(who))

    def sia_task(self, name: str, who: str = "Ann") -> dict:
        found = self.sia_named(name, who)
        assert len(found) == 1, (
            f"expected one SIA task {name!r} for {who}, found {len(found)}; {who} has {self.sia_names(who)}"
        )
        return found[0]

    def sia_ids_seen_before(self, name: str, excluding: str) -> set[str]:
        return self._sia_seen[name] - {excluding}

    def sia_update(self, who: str, name: str, fields: dict) -> dict:
        task = self.sia_task(name, who)
        response = self.sia(who).patch(f"{self.h.sia_url}/api/v1/tasks/{task['id']}", json=fields)
        assert response.status_code == 200, f"updating {name}: {response.status_code} {response.text}"
        updated = response.json()
        self._sia_seen[updated["name"]].add(updated["id"])
        return updated

    def sia_delete(self, who: str, name: str) -> None:
        task = self.sia_task(name, who)
        response = self.sia(who).delete(f"{self.h.sia_url}/api/v1/tasks/{task['id']}")
        assert response.status_code == 204, response.text

    def command_center(self, who: str = "Ann") -> dict:
        return self._get(who, "/api/v1/command_center")

    def admin_save_template(self, template: str):
        return self.h.sia_admin().put(
            self.h.sia_url + "/api/v1/settings/subject_template", json={"template": template}
        )

    def subject_template(self) -> str:
        response = self.h.sia_admin().get(self.h.sia_url + "/api/v1/settings/subject_template")
        assert response.status_code == 200, response.text
        return response.json()["template"]

    def expected_subject(self, fields: dict) -> str:
        """The Salesforce subject the admin's template gives a new SIA task (the preview endpoint)."""
        response = self.h.sia_admin().post(
            self.h.sia_url + "/api/v1/settings/subject_template/preview", json={"task": fields}
        )
        assert response.status_code == 200, response.text
        return response.json()["subject"]

    # ------------------------------------------------------------------------------ Salesforce
    def sf_create(self, who: str, fields: dict) -> str:
        result = self.sf(who).Task.create(fields)
        assert result["success"], result
        self._sf_seen[fields.get("Subject", "")].add(result["id"])
        return result["id"]

    def sf_update(self, task_id: str, fields: dict, who: str = "Ann") -> None:
        status = self.sf(who).Task.update(task_id, fields)
        assert status == 204, status

    def sf_touch(self, task_id: str, who: str = "Ann") -> None:
        """Save the task unchanged — Salesforce still stamps it as modified."""
        record = self.sf(who).Task.get(task_id)
        self.sf_update(task_id, {"Subject": record["Subject"]}, who)

    def sf_delete(self, task_id: str, who: str = "Ann") -> None:
        status = self.sf(who).Task.delete(task_id)
        assert status == 204, status

    def sf_tasks(self, owner: str | None = None, subject: str | None = None) -> list[dict]:
        """Live (not deleted) tasks in the org, optionally of one owner or with one subject."""
        where = []
        if owner:
            where.append(format_soql("OwnerId = {}", self.sf_user_id(owner)))
        if subject is not None:
            where.append(format_soql("Subject = {}", subject))
        soql = f"SELECT {', '.join(SF_FIELDS)} FROM Task"
        if where:
            soql += " WHERE " + " AND ".join(where)
        records = self.sf("Ann").query_all(soql)["records"]
        return [{k: v for k, v in r.items() if k != "attributes"} for r in records]

    def sf_named(self, subject: str) -> list[dict]:
        found = self.sf_tasks(subject=subject)
        for record in found:
            self._sf_seen[subject].add(record["Id"])
        return found

    def sf_subjects(self) -> list[str]:
        return sorted(r["Subject"] or "" for r in self.sf_tasks())

    def sf_task(self, subject: str) -> dict:
        found = self.sf_named(subject)
        assert len(found) == 1, (
            f"expected one Salesforce task {subject!r}, found {len(found)}; there are {self.sf_subjects()}"
        )
        return found[0]

    def sf_task_from_sia_name(self, name: str) -> dict:
        """The Salesforce task of the SIA task with this name, found by the subject its template gives."""
        return self.sf_task(self.expected_subject({"name": name}))

    def sf_restore(self, subject: str) -> None:
        ids = self._sf_seen[subject]
        assert ids, f"no Salesforce task {subject!r} was ever seen"
        self.h.salesforce_restore(sorted(ids))

    def sf_add_closed_status(self, status: str) -> None:
        self.h.salesforce_add_status(status, closed=True)

    def salesforce_drops_after_next_write(self) -> None:
        # the sync creates Salesforce tasks with one sObject Collections upsert (PATCH)
        self.h.salesforce_fault("drop_after_commit", once=True, method="PATCH", path="/composite/sobjects")

    def salesforce_unavailable(self) -> None:
        self.h.salesforce_fault("status", status=503, once=False)

    def salesforce_available(self) -> None:
        self.h.salesforce_clear_faults()

    def last_modified_everywhere(self) -> dict:
        sia = {t["id"]: t["updated_at"] for who in self.h.users() for t in self.sia_tasks(who)}
        sf = {r["Id"]: r["SystemModstamp"] for r in self.sf_tasks()}
        return {"sia": sia, "salesforce": sf}

    # ------------------------------------------------------------------------------ the sync
    def run_sync(self):
        report = self.h.run_pass()
        self.reports.append(report)
        return report

    @staticmethod
    def _report_dict(report) -> dict:
        return report.to_dict() if hasattr(report, "to_dict") else report

    def report_writes(self, report) -> int:
        totals = self._report_dict(report)["totals"]
        return sum(sum(totals[k].values()) for k in ("created", "updated", "deleted"))

    def report_errors(self, report) -> list:
        data = self._report_dict(report)
        return (
            [e for u in data["users"] for e in u["errors"]]
            + [u["stopped"] for u in data["users"] if u["stopped"]]
            + ([data["error"]] if data.get("error") else [])
        )

    def report_mentions(self, report, kind: str, name: str) -> dict | None:
        """The report entry (conflict or deletion) about the task known under `name`, if any."""
        sia_ids, sf_ids = self._sia_seen[name], self._sf_seen[name]
        for user in self._report_dict(report)["users"]:
            for entry in user[kind]:
                if entry.get("sia_id") in sia_ids or entry.get("sf_id") in sf_ids:
                    return entry
        return None

    @staticmethod
    def found_by_reconciliation(entry: dict) -> bool:
        return "linked-id check" in (entry.get("how_found") or "")
