"""The server-rendered pages (Flask test client, real cookies): login, Settings with the task-sync Save
(R1.1), the admin's subject template with preview (R5.1a), and the Command Center (R6.1, R6.2)."""

from __future__ import annotations

import pytest

from mock_salesforce import DEFAULT_PASSWORD, DEFAULT_TOKEN, DEFAULT_USERNAME, mock_salesforce
from mock_sia import page_password

from .helpers import csrf_of


@pytest.fixture
def browser(app):
    return app.test_client()


def login(browser, email="ann@sia.example", password=None):
    password = password if password is not None else page_password(email)
    page = browser.get("/login")
    return browser.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(page.text)},
        follow_redirects=True,
    )


def post(browser, path: str, page_path: str, data: dict | None = None):
    token = csrf_of(browser.get(page_path).text)
    return browser.post(path, data={**(data or {}), "csrf_token": token}, follow_redirects=True)


def test_pages_need_a_login(browser):
    for path in ("/settings", "/command_center"):
        response = browser.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")
    assert browser.get("/").headers["Location"] == "/command_center"


def test_wrong_password_shows_an_error_not_a_500(browser):
    response = login(browser, password="nope")
    assert response.status_code == 200
    assert "Unknown e-mail and password" in response.text
    response = login(browser, email="nobody@sia.example")
    assert "Unknown e-mail and password" in response.text
    assert browser.get("/settings").status_code == 302


def test_login_with_an_api_token_and_next(browser):
    page = browser.get("/login?next=/settings")
    response = browser.post(
        "/login", data={"api_token": "sia-admin-token", "next": "/settings", "csrf_token": csrf_of(page.text)}
    )
    assert response.headers["Location"] == "/settings"
    assert "Ada Admin" in browser.get("/settings").text


def test_login_refuses_an_open_redirect(browser):
    page = browser.get("/login")
    response = browser.post(
        "/login",
        data={
            "api_token": "sia-ann-token",
            "next": "https://evil.example/",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert response.headers["Location"] == "/command_center"


def test_a_post_without_the_csrf_token_changes_nothing(browser, sia, ann_id):
    login(browser)
    response = browser.post(
        "/tasks", data={"name": "forged", "due_date": "2026-11-28"}, follow_redirects=True
    )
    assert "The form had expired" in response.text
    assert sia.list_tasks(ann_id) == []


def test_settings_save_turns_sync_on_and_off(browser, sia, ann_id):
    """R1.1: the checkbox 'Sync tasks/reminders to Salesforce tasks' takes effect with Save."""
    login(browser)
    page = browser.get("/settings")
    assert "Sync tasks/reminders to Salesforce tasks" in page.text
    assert 'Task sync is <strong id="task_sync_state">off</strong>' in page.text
    assert "Connect Salesforce first." in page.text
    assert "The first sync may take a while." not in page.text  # only said when sync is on
    with mock_salesforce():  # the connect tries the login first: an in-process org answers it
        connected = post(
            browser,
            "/settings/salesforce",
            "/settings",
            {
                "instance_url": "https://login.salesforce.com",
                "username": DEFAULT_USERNAME,
                "password": DEFAULT_PASSWORD,
                "security_token": DEFAULT_TOKEN,
                "salesforce_user_id": "",
            },
        )
    assert "Salesforce is connected." in connected.text
    assert "Connected to <code>https://login.salesforce.com</code>" in connected.text
    saved = post(browser, "/settings/task_sync", "/settings", {"enabled": "on"})
    assert "Task sync is on." in saved.text
    assert "The first sync may take a while." in saved.text
    assert "first enabled 28 Nov 2026, 12:00 (America/New_York)" in saved.text  # the rep's zone
    assert 'id="task_sync_state">on<' in saved.text
    assert sia.task_sync(ann_id)["enabled"] is True
    saved = post(browser, "/settings/task_sync", "/settings", {})  # the unchecked box sends nothing
    assert sia.task_sync(ann_id)["enabled"] is False
    assert "last disabled" in saved.text


def test_settings_errors_are_shown_on_the_page(browser, sia, ann_id):
    login(browser)
    response = post(browser, "/settings/task_sync", "/settings", {"enabled": "on"})
    assert response.status_code == 200
    assert "connect Salesforce before switching task sync on" in response.text
    response = post(
        browser,
        "/settings/salesforce",
        "/settings",
        {"instance_url": "not a url", "username": "u", "password": "p"},
    )
    assert "must be an http(s) URL" in response.text
    assert sia.task_sync(ann_id)["enabled"] is False


def test_only_admins_see_and_save_the_subject_template(browser, sia):
    login(browser)
    assert "Activity Detail Customization" not in browser.get("/settings").text
    token = csrf_of(browser.get("/settings").text)
    assert (
        browser.post("/settings/subject_template", data={"template": "x", "csrf_token": token}).status_code
        == 403
    )
    assert sia.subject_template() == "{{activity_subject}}"


def test_admin_saves_the_template_and_previews_it(browser, sia):
    login(browser, "admin@sia.example")
    page = browser.get("/settings")
    assert "Activity Detail Customization" in page.text and "{{activity_subject}}" in page.text
    saved = post(
        browser, "/settings/subject_template", "/settings", {"template": "[SIA] {{Activity_Subject}}"}
    )
    assert "The subject template is saved." in saved.text
    assert sia.subject_template() == "[SIA] {{Activity_Subject}}"
    rejected = post(browser, "/settings/subject_template", "/settings", {"template": "{{bogus}}"})
    assert "unknown dynamic field {{bogus}}" in rejected.text
    assert sia.subject_template() == "[SIA] {{Activity_Subject}}"
    token = csrf_of(browser.get("/settings").text)
    preview = browser.post(
        "/settings/subject_template/preview",
        headers={"X-CSRF-Token": token},
        json={
            "template": "{{activity_type}}: {{activity_subject}}",
            "task": {"type": "inmail", "name": "Ping Bo"},
        },
    )
    assert preview.json["subject"] == "InMail: Ping Bo"
    bad = browser.post(
        "/settings/subject_template/preview", headers={"X-CSRF-Token": token}, json={"template": "{{nope}}"}
    )
    assert bad.status_code == 422 and bad.json["error"]["field"] == "nope"
    post(browser, "/settings/subject_template", "/settings", {"restore_default": "1", "template": ""})
    assert sia.subject_template() == "{{activity_subject}}"


def test_command_center_page_lists_today_and_tomorrow(browser, sia, ann_id):
    for name, due in [
        ("Call Ann today", "2026-11-28"),
        ("Email Bo tomorrow", "2026-11-29"),
        ("Next week", "2026-12-05"),
    ]:
        sia.create_task(ann_id, {"name": name, "due_date": due})
    gone = sia.create_task(ann_id, {"name": "Deleted today", "due_date": "2026-11-28"})
    sia.delete_task(ann_id, gone["id"])
    login(browser)
    page = browser.get("/command_center").text
    today = page.split('id="today"')[1].split('id="tomorrow"')[0]
    tomorrow = page.split('id="tomorrow"')[1].split('id="add-task"')[0]
    assert "Call Ann today" in today and "Email Bo tomorrow" in tomorrow
    assert "Next week" not in page and "Deleted today" not in page
    assert "2026-11-28 in America/New_York" in page


def test_add_complete_edit_delete_from_the_command_center(browser, sia, ann_id):
    login(browser)
    added = post(
        browser,
        "/tasks",
        "/command_center",
        {
            "name": "Call Cy",
            "type": "call",
            "priority": "high",
            "due_date": "2026-11-28",
            "details": "line 1\r\nline 2",
        },
    )
    assert "Added “Call Cy”." in added.text and "Call Cy" in added.text.split('id="today"')[1]
    (task,) = sia.list_tasks(ann_id)
    assert (task["type"], task["priority"], task["details"]) == ("call", "high", "line 1\nline 2")

    edit_page = browser.get(f"/tasks/{task['id']}/edit")
    assert 'value="Call Cy"' in edit_page.text
    post(
        browser,
        f"/tasks/{task['id']}/edit",
        f"/tasks/{task['id']}/edit",
        {
            "name": "Call Cy back",
            "type": "call",
            "priority": "normal",
            "status": "open",
            "due_date": "2026-11-29",
            "details": "",
        },
    )
    task = sia.get_task(ann_id, task["id"])
    assert (task["name"], task["due_date"], task["details"]) == ("Call Cy back", "2026-11-29", None)
    assert "Call Cy back" in browser.get("/command_center").text.split('id="tomorrow"')[1]

    invalid = post(
        browser,
        f"/tasks/{task['id']}/edit",
        f"/tasks/{task['id']}/edit",
        {"name": "", "due_date": "2026-11-29"},
    )
    assert "must not be blank" in invalid.text

    done = post(browser, f"/tasks/{task['id']}/complete", "/command_center")
    assert "Completed “Call Cy back”." in done.text
    assert sia.get_task(ann_id, task["id"])["status"] == "complete"
    assert "Call Cy back</td>" not in done.text

    sia.update_task(ann_id, task["id"], {"status": "open"})
    deleted = post(browser, f"/tasks/{task['id']}/delete", "/command_center")
    assert "Deleted the task." in deleted.text
    assert sia.get_task(ann_id, task["id"], include_deleted=True)["deleted_at"] is not None


def test_someone_elses_task_on_the_pages_is_not_found(browser, sia, admin_id):
    theirs = sia.create_task(admin_id, {"name": "Admin's secret", "due_date": "2026-11-28"})
    login(browser)
    response = browser.get(f"/tasks/{theirs['id']}/edit", follow_redirects=True)
    assert "no task" in response.text and "Admin&#39;s secret" not in response.text
    post(browser, f"/tasks/{theirs['id']}/delete", "/command_center")
    assert sia.get_task(admin_id, theirs["id"])["deleted_at"] is None


def test_logout(browser):
    login(browser)
    post(browser, "/logout", "/command_center")
    assert browser.get("/command_center").status_code == 302


def connect_form(password: str, url: str = "https://login.salesforce.com") -> dict:
    return {
        "instance_url": url,
        "username": DEFAULT_USERNAME,
        "password": password,
        "security_token": DEFAULT_TOKEN,
        "salesforce_user_id": "",
    }


def test_a_refused_salesforce_login_is_not_saved_and_the_form_keeps_what_was_typed(browser, sia, ann_id):
    """R1.1: connecting tries the login first; a wrong password says why and saves nothing."""
    login(browser)
    with mock_salesforce():
        page = post(browser, "/settings/salesforce", "/settings", connect_form("wrong-password"))
    assert "Salesforce is not connected: Salesforce refused the login" in page.text
    assert "{content}" not in page.text  # Salesforce's own words, not simple-salesforce's template
    assert sia.store.get_salesforce(sia.user(ann_id))["connected"] is False
    assert f'id="username" name="username" value="{DEFAULT_USERNAME}"' in page.text
    assert 'value="https://login.salesforce.com"' in page.text
    assert "wrong-password" not in page.text  # the password is never echoed back
    unreachable = post(
        browser, "/settings/salesforce", "/settings", connect_form(DEFAULT_PASSWORD, "http://127.0.0.1:9")
    )
    assert "could not reach Salesforce at http://127.0.0.1:9" in unreachable.text


def test_the_settings_page_shows_the_sync_health_in_plain_words(browser, sia, ann_id, service, clock):
    login(browser)
    sia.connect_salesforce(ann_id, "https://login.salesforce.com", "u", "p")
    sia.set_task_sync(ann_id, True)
    answer = service.put(
        f"/api/v1/service/sync_health/{ann_id}", json={"state": "ok", "created": 10, "conflicts": 2}
    )
    assert answer.status_code == 200, answer.text
    clock.advance(minutes=2)
    page = browser.get("/settings").text
    assert "Last synced 2 minutes ago." in page
    assert "28 Nov 2026, 12:00 (America/New_York)" in page
    assert "2 conflict(s) resolved" in page
    assert "The first sync may take a while." not in page  # it has run
    service.put(
        f"/api/v1/service/sync_health/{ann_id}",
        json={"state": "stopped", "code": "INVALID_LOGIN", "reason": "bad password"},
    )
    page = browser.get("/settings").text
    assert "Sync stopped: Salesforce refused the login — reconnect." in page
    assert "Last successful sync 2 minutes ago" in page
    errors = [
        {"task": "SIA tsk_1", "code": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "message": "Subject too long"}
    ]
    service.put(f"/api/v1/service/sync_health/{ann_id}", json={"state": "ok", "errors": errors})
    page = browser.get("/settings").text
    assert "but 1 task could not be synced" in page and "Subject too long" in page


def test_sync_health_endpoint_is_for_the_service_and_validates(sia, ann_id, ann, service):
    assert ann.put(f"/api/v1/service/sync_health/{ann_id}", json={"state": "ok"}).status_code == 403
    assert service.put("/api/v1/service/sync_health/usr_999", json={"state": "ok"}).status_code == 404
    bad = service.put(f"/api/v1/service/sync_health/{ann_id}", json={"state": "fine"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "state"
    assert (
        service.put(f"/api/v1/service/sync_health/{ann_id}", json={"state": "ok", "x": 1}).status_code == 422
    )
    assert ann.get("/api/v1/sync_health").json()["health"] is None
    service.put(
        f"/api/v1/service/sync_health/{ann_id}", json={"state": "deferred", "code": "REQUEST_LIMIT_EXCEEDED"}
    )
    assert ann.get("/api/v1/sync_health").json()["health"]["state"] == "deferred"
    rows = {r["email"]: r for r in service.get("/api/v1/service/sync_health").json()["data"]}
    assert rows["ann@sia.example"]["health"]["state"] == "deferred"
    assert rows["admin@sia.example"]["health"] is None


def test_the_admin_page_lists_every_users_sync_state(browser, sia, ann_id, service):
    service.put(
        f"/api/v1/service/sync_health/{ann_id}",
        json={"state": "stopped", "code": "INVALID_LOGIN", "reason": "bad password"},
    )
    login(browser)
    assert browser.get("/admin/sync").status_code == 403
    browser.post("/logout", data={"csrf_token": csrf_of(browser.get("/settings").text)})
    login(browser, "admin@sia.example")
    page = browser.get("/admin/sync").text
    assert "ann@sia.example" in page and "admin@sia.example" in page
    assert "Sync stopped: Salesforce refused the login — reconnect." in page
    assert "Task sync is off." in page


def test_the_tasks_page_lists_filters_and_pages(browser, sia, ann_id):
    for n in range(30):
        sia.create_task(ann_id, {"name": f"Task {n:02d}", "due_date": f"2026-12-{n % 28 + 1:02d}"})
    done = sia.create_task(ann_id, {"name": "Done one", "due_date": "2026-11-01"})
    sia.update_task(ann_id, done["id"], {"status": "complete"})
    gone = sia.create_task(ann_id, {"name": "Gone one"})
    sia.delete_task(ann_id, gone["id"])
    login(browser)
    first = browser.get("/tasks").text
    assert '<span id="task-count">30</span>' in first and "Page 1 of 2" in first
    assert "Task 00" in first and "Done one" not in first and "Gone one" not in first
    second = browser.get("/tasks?page=2").text
    assert "Task 27" in second and "Task 27" not in first  # the latest due come last
    completed = browser.get("/tasks?status=complete").text
    assert "Done one" in completed and "Task 00" not in completed
    assert '<span id="task-count">31</span>' in browser.get("/tasks?status=all").text
    assert browser.get("/tasks?status=bogus&page=x").status_code == 200  # falls back, no 500


def test_page_errors_are_styled_pages_and_api_errors_stay_json(browser, make_client):
    login(browser)
    missing = browser.get("/no/such/page")
    assert missing.status_code == 404
    assert "There is no such page." in missing.text and "Back to the Command Center" in missing.text
    assert make_client().get("/api/v1/no/such/path").json()["error"]["code"] == "not_found"
