"""The Command Center through HTTP (R6.1, R6.2): open tasks due today and tomorrow in the user's own
time zone, by the injected clock; deleted and completed tasks never shown."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest


def _names(view: dict, day: str) -> list[str]:
    return [t["name"] for t in view[day]]


def _add(client, name: str, due: str | None, **extra) -> dict:
    response = client.post("/api/v1/tasks", json={"name": name, "due_date": due, **extra})
    assert response.status_code == 201
    return response.json()


@pytest.mark.parametrize(
    ("instant", "berlin_today", "new_york_today"),
    [
        # 17:00 UTC: 18:00 in Berlin and 12:00 in New York, the same day
        (datetime(2026, 11, 28, 17, 0, tzinfo=UTC), "2026-11-28", "2026-11-28"),
        # 23:30 UTC: already the 29th in Berlin, still the 28th in New York
        (datetime(2026, 11, 28, 23, 30, tzinfo=UTC), "2026-11-29", "2026-11-28"),
        # 04:59 UTC: still the 27th in New York (23:59), the 28th in Berlin
        (datetime(2026, 11, 28, 4, 59, tzinfo=UTC), "2026-11-28", "2026-11-27"),
    ],
)
def test_today_is_the_users_own_day(clock, ann, admin, instant, berlin_today, new_york_today):
    clock.set(instant)
    assert admin.get("/api/v1/command_center").json()["date"] == berlin_today
    assert admin.get("/api/v1/command_center").json()["time_zone"] == "Europe/Berlin"
    assert ann.get("/api/v1/command_center").json()["date"] == new_york_today
    assert ann.get("/api/v1/command_center").json()["time_zone"] == "America/New_York"


def test_shows_only_open_tasks_due_today_and_tomorrow(ann):
    """R6.1: everything is synced, but only today's and tomorrow's open tasks are shown."""
    _add(ann, "yesterday", "2026-11-27")
    _add(ann, "today", "2026-11-28")
    _add(ann, "today high", "2026-11-28", priority="high")
    _add(ann, "tomorrow", "2026-11-29")
    _add(ann, "day after", "2026-11-30")
    _add(ann, "no date", None)
    _add(ann, "done today", "2026-11-28", status="complete")
    view = ann.get("/api/v1/command_center").json()
    assert view["date"] == "2026-11-28"
    assert _names(view, "today") == ["today high", "today"]  # high priority first
    assert _names(view, "tomorrow") == ["tomorrow"]


def test_deleted_and_completed_tasks_disappear(ann):
    """R6.2: a deleted task disappears; a completed one too (R6.1 decided: only open ones)."""
    gone = _add(ann, "to delete", "2026-11-28")
    done = _add(ann, "to complete", "2026-11-29")
    _add(ann, "stays", "2026-11-28")
    ann.delete(f"/api/v1/tasks/{gone['id']}")
    ann.patch(f"/api/v1/tasks/{done['id']}", json={"status": "complete"})
    view = ann.get("/api/v1/command_center").json()
    assert (_names(view, "today"), _names(view, "tomorrow")) == (["stays"], [])
    ann.patch(f"/api/v1/tasks/{done['id']}", json={"status": "open"})
    assert _names(ann.get("/api/v1/command_center").json(), "tomorrow") == ["to complete"]


def test_around_midnight_in_the_users_zone(clock, ann):
    """At 23:59:59 in New York a task due on the 29th is 'tomorrow'; one second later it is 'today'."""
    _add(ann, "on the 29th", "2026-11-29")
    _add(ann, "on the 30th", "2026-11-30")
    _add(ann, "on the 28th", "2026-11-28")
    clock.set(datetime(2026, 11, 29, 4, 59, 59, tzinfo=UTC))  # 23:59:59 EST on the 28th
    view = ann.get("/api/v1/command_center").json()
    assert (view["date"], _names(view, "today"), _names(view, "tomorrow")) == (
        "2026-11-28",
        ["on the 28th"],
        ["on the 29th"],
    )
    clock.advance(seconds=1)  # 00:00:00 EST on the 29th
    view = ann.get("/api/v1/command_center").json()
    assert (view["date"], _names(view, "today"), _names(view, "tomorrow")) == (
        "2026-11-29",
        ["on the 29th"],
        ["on the 30th"],
    )


def test_same_instant_different_users_different_days(clock, sia, make_client):
    """At 11:30 UTC it is already tomorrow in Auckland but still today in Honolulu."""
    clock.set(datetime(2026, 11, 28, 11, 30, tzinfo=UTC))
    akl = sia.create_user("Kiri", "kiri@sia.example", "Pacific/Auckland", "user")
    hnl = sia.create_user("Leilani", "leilani@sia.example", "Pacific/Honolulu", "user")
    for user in (akl, hnl):
        client = make_client(user["api_token"])
        for due in ("2026-11-28", "2026-11-29", "2026-11-30"):
            _add(client, due, due)
    akl_view = make_client(akl["api_token"]).get("/api/v1/command_center").json()
    hnl_view = make_client(hnl["api_token"]).get("/api/v1/command_center").json()
    assert (_names(akl_view, "today"), _names(akl_view, "tomorrow")) == (["2026-11-29"], ["2026-11-30"])
    assert (_names(hnl_view, "today"), _names(hnl_view, "tomorrow")) == (["2026-11-28"], ["2026-11-29"])


def test_daylight_saving_change_keeps_calendar_days(clock, admin):
    """Berlin leaves summer time on 25 Oct 2026 (a 25-hour day): still exactly today and tomorrow."""
    clock.set(datetime(2026, 10, 24, 22, 30, tzinfo=UTC))  # 00:30 CEST on Sunday the 25th
    _add(admin, "sunday", "2026-10-25")
    _add(admin, "monday", "2026-10-26")
    view = admin.get("/api/v1/command_center").json()
    assert (view["date"], _names(view, "today"), _names(view, "tomorrow")) == (
        "2026-10-25",
        ["sunday"],
        ["monday"],
    )
    clock.set(datetime(2026, 10, 25, 22, 59, tzinfo=UTC))  # 23:59 CET, still Sunday
    assert admin.get("/api/v1/command_center").json()["date"] == "2026-10-25"


def test_other_users_tasks_never_show(ann, admin):
    _add(admin, "admin's", "2026-11-28")
    assert ann.get("/api/v1/command_center").json()["today"] == []


def test_changing_the_time_zone_moves_the_users_day(clock, ann, sia, ann_id):
    """A user's own time zone (PATCH /users/me, or the Python API) decides 'today' (R6.1)."""
    clock.set(datetime(2026, 11, 29, 2, 0, tzinfo=UTC))  # 21:00 on the 28th in New York
    _add(ann, "on the 29th", "2026-11-29")
    assert _names(ann.get("/api/v1/command_center").json(), "tomorrow") == ["on the 29th"]
    changed = ann.patch("/api/v1/users/me", json={"time_zone": "Europe/Berlin"})
    assert changed.status_code == 200 and changed.json()["time_zone"] == "Europe/Berlin"
    assert _names(ann.get("/api/v1/command_center").json(), "today") == ["on the 29th"]
    sia.set_time_zone(ann_id, "America/Los_Angeles")
    assert ann.get("/api/v1/command_center").json()["date"] == "2026-11-28"
    bad = ann.patch("/api/v1/users/me", json={"time_zone": "Mars/Olympus"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "time_zone"
    assert ann.patch("/api/v1/users/me", json={"role": "admin"}).json()["error"]["field"] == "role"
    assert ann.get("/api/v1/users/me").json()["role"] == "user"
