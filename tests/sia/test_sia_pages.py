"""The server-rendered pages (Flask test client, real cookies): login, Settings with the task-sync Save
(R1.1), the admin's subject template with preview (R5.1a), and the Command Center (R6.1, R6.2)."""

from __future__ import annotations

import pytest

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
    connected = post(
        browser,
        "/settings/salesforce",
        "/settings",
        {
            "instance_url": "https://login.salesforce.com",
            "username": "ann@acme.example",
            "password": "pw",
            "security_token": "tok",
            "salesforce_user_id": "",
        },
    )
    assert "Salesforce is connected." in connected.text
    assert "Connected to <code>https://login.salesforce.com</code>" in connected.text
    saved = post(browser, "/settings/task_sync", "/settings", {"enabled": "on"})
    assert "Task sync is on." in saved.text
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
