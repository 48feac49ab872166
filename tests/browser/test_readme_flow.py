"""The README's flow in a real browser (headless Chromium) against the sandbox harness over real
servers (Salesforce over HTTPS with its throw-away CA, SIA over HTTP), as a rep would go through it:

log in -> connect Salesforce with a wrong password (refused, form kept) -> connect -> turn sync on ->
the imported tasks on the Tasks page and today's in the Command Center -> add a task, see it in
Salesforce -> complete one in Salesforce, see it completed in SIA -> Salesforce's password changes ->
"Sync stopped" on the Settings page and the admin's overview.

Sync passes are run by the test (`h.run_pass()`) between page visits, on the harness's one clock.
"""

from __future__ import annotations

import re

import pytest
import requests

from mock_salesforce import DEFAULT_PASSWORD, DEFAULT_TOKEN, DEFAULT_USERNAME
from sandbox.harness import DEFAULT_SIA_USER, Harness
from sandbox.seed import DUE_SOON, due_soon


@pytest.fixture
def h():
    with Harness(mode="servers") as harness:
        harness.sia.disconnect_salesforce(harness.user_id)  # the rep connects through the page
        harness.org.seed(12, 3, owner=harness.sf_user_id, spread_days=3)
        due_soon(harness.org, harness.sf_user_id, harness.clock.today("America/New_York"))
        yield harness


def login(page, h: Harness, email: str = DEFAULT_SIA_USER) -> None:
    page.goto(f"{h.sia_url}/login")
    page.fill("#email", email)
    page.fill("#password", h.page_password(email))
    page.click("form:has(#email) button[type=submit]")
    page.wait_for_url(re.compile(r"/command_center$"))


def connect(page, h: Harness, password: str) -> None:
    page.goto(f"{h.sia_url}/settings")
    page.fill("#instance_url", h.sf_url)
    page.fill("#username", DEFAULT_USERNAME)
    page.fill("#password", password)
    page.fill("#security_token", DEFAULT_TOKEN)
    page.click("#salesforce button[type=submit] >> text=Salesforce")
    page.wait_for_load_state()


def next_pass(h: Harness):
    h.clock.advance(minutes=1)
    return h.run_pass()


def test_the_readme_flow_in_a_browser(page, shot, h):
    login(page, h)

    # A wrong password: refused with the reason, nothing saved, what was typed is kept (not the password).
    connect(page, h, "not-the-password")
    flash = page.locator(".flash.error")
    assert "Salesforce is not connected: Salesforce refused the login" in flash.inner_text()
    assert "{content}" not in flash.inner_text()
    assert page.input_value("#username") == DEFAULT_USERNAME
    assert page.input_value("#instance_url") == h.sf_url
    assert page.input_value("#password") == ""
    assert h.sia.store.get_salesforce(h.sia.user(h.user_id))["connected"] is False
    shot("01-connect-wrong-password")

    connect(page, h, DEFAULT_PASSWORD)
    assert "Salesforce is connected." in page.locator(".flash.info").inner_text()
    assert "The first sync may take a while." not in page.content()  # sync is still off

    page.check("#task_sync_enabled")
    page.click("#task-sync button[type=submit]")
    page.wait_for_load_state()
    assert page.inner_text("#task_sync_state") == "on"
    assert "The first sync may take a while." in page.inner_text("#task-sync")
    assert "first enabled 28 Nov 2026, 07:00 (America/New_York)" in page.inner_text("#task-sync")
    shot("02-sync-on")

    report = next_pass(h)
    imported = report.users[0].created["sia"]
    assert imported >= len(DUE_SOON)
    page.goto(f"{h.sia_url}/tasks")
    assert page.inner_text("#task-count") == str(len(h.sia_tasks()))
    rows = page.locator("#task-list tr.task")
    assert rows.count() == min(25, int(page.inner_text("#task-count")))
    for subject in DUE_SOON:
        assert subject in page.inner_text("#task-list")
    shot("03-tasks-page")

    page.click("header >> text=Command Center")
    assert "Call Ann's lead back" in page.inner_text("#today")
    assert "Send the renewal quote" in page.inner_text("#tomorrow")
    shot("04-command-center")

    page.goto(f"{h.sia_url}/settings")
    assert page.inner_text("#sync-status") == "Last synced just now."

    # A task added in SIA reaches Salesforce.
    page.goto(f"{h.sia_url}/command_center")
    page.fill("#name", "Browser-made follow-up")
    page.click("#add-task button[type=submit]")
    assert "Added “Browser-made follow-up”." in page.inner_text(".flash.info")
    next_pass(h)
    assert "Browser-made follow-up" in [t["Subject"] for t in h.sf_tasks()]

    # A task completed in Salesforce shows completed in SIA.
    sf = h.salesforce()
    call = next(t for t in h.sf_tasks() if t["Subject"] == "Call Ann's lead back")
    sf.Task.update(call["Id"], {"Status": "Completed"})
    next_pass(h)
    page.goto(f"{h.sia_url}/tasks?status=complete")
    done = page.locator("#task-list tr.task", has_text="Call Ann's lead back")
    assert done.get_attribute("data-status") == "complete"
    page.goto(f"{h.sia_url}/command_center")
    assert "Call Ann's lead back" not in page.inner_text("#today")
    page.goto(f"{h.sia_url}/tasks?status=complete")
    shot("05-completed-in-salesforce")

    h.clock.advance(minutes=2)
    page.goto(f"{h.sia_url}/settings")
    assert page.inner_text("#sync-status") == "Last synced 2 minutes ago."
    shot("06-settings-healthy")

    # Salesforce's password changes: the next pass is refused and the Settings page says so.
    changed = requests.post(
        f"{h.sf_url}/__admin/users/{h.sf_user_id}",
        json={"Password": "rotated-pw"},
        verify=h.ca_path,
        timeout=10,
    )
    assert changed.status_code == 200, changed.text
    report = next_pass(h)
    assert "INVALID_LOGIN" in (report.users[0].stopped or "")
    page.goto(f"{h.sia_url}/settings")
    assert page.inner_text("#sync-status") == "Sync stopped: Salesforce refused the login — reconnect."
    assert "Last successful sync 3 minutes ago" in page.inner_text("#task-sync")
    shot("07-sync-stopped")

    # The admin sees every user's state.
    page.click("header >> text=Sign out")
    login(page, h, "admin@sia.example")
    page.click("header >> text=Sync overview")
    row = page.locator("#sync-overview tr.user", has_text=DEFAULT_SIA_USER)
    assert "Sync stopped: Salesforce refused the login — reconnect." in row.inner_text()
    shot("08-admin-overview")

    # A page that does not exist is one of SIA's pages, not Werkzeug's.
    page.goto(f"{h.sia_url}/no-such-page")
    assert "There is no such page." in page.inner_text("#error-page")
    assert "Ada Admin" in page.inner_text("header")  # still signed in, with the site's navigation
    shot("09-not-found")
