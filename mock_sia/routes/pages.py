"""Server-rendered pages: login, Settings (R1.1 task-sync switch, Salesforce connection, R5.1a subject
template, the sync's health), the Command Center (R6.1, R6.2), all tasks, and the admin's sync overview.
Forms post and redirect (PRG); errors are flashed; error pages are styled like the rest."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from mock_sia import health
from mock_sia.backend import SiaService
from mock_sia.errors import SiaError
from mock_sia.salesforce_check import check_login
from mock_sia.store import UserInfo
from mock_sia.task_list import task_page
from mock_sia.template import DYNAMIC_FIELDS
from mock_sia.wire import TASK_PRIORITIES, TASK_STATUSES, TASK_TYPES

SF_FORM_FIELDS = ("instance_url", "username", "security_token", "salesforce_user_id")  # kept on failure


def _svc() -> SiaService:
    return current_app.extensions["sia"]


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("sia_pages.command_center")


def login_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        user = _svc().store.page_session_user(session.get("sid"))  # gone after logout: refused
        if user is None:
            session.pop("sid", None)
            return redirect(url_for("sia_pages.login", next=request.full_path.rstrip("?")))
        g.sia_principal = f"page:{user.id}"
        g.page_user = user
        return view(user, *args, **kwargs)

    return wrapper


def _form_task(form) -> dict:
    """A task body from the Add/Edit form: empty inputs mean 'no value'."""
    data: dict = {}
    for key in ("name", "type", "priority", "status", "details", "due_date"):
        if key in form:
            value = form.get(key, "")
            data[key] = value if value != "" or key == "name" else None
    if "details" in data and data["details"] is not None:
        data["details"] = data["details"].replace("\r\n", "\n")
    return data


bp = Blueprint("sia_pages", __name__)


@bp.app_context_processor
def _globals() -> dict:
    user = g.get("page_user")
    if user is None and session.get("sid"):  # error pages: the header still shows who is signed in
        user = _svc().store.page_session_user(session["sid"])
    return {"csrf_token": csrf_token, "current_user": user}


@bp.before_request
def _check_csrf() -> Response | None:
    if request.method == "POST":
        sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
        expected = session.get("csrf", "")
        if not expected or not secrets.compare_digest(sent.encode(), expected.encode()):
            flash("The form had expired; please try again.", "error")
            return redirect(
                request.referrer
                if request.referrer and _same_site(request.referrer)
                else url_for("sia_pages.login")
            )
    return None


def _same_site(url: str) -> bool:
    return urlsplit(url).netloc in ("", request.host)


@bp.get("/")
def index():
    return redirect(url_for("sia_pages.command_center"))


# -- login ---------------------------------------------------------------------------------------
@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("login.html", next=request.args.get("next", ""))
    svc = _svc()
    token = request.form.get("api_token", "").strip()
    email = request.form.get("email", "").strip()
    password = request.form.get("password", "")
    user: UserInfo | None = None
    if token:
        user = svc.store.user_by_token(token)
    elif email:
        wait = svc.login_throttle.retry_after(email)
        if wait:  # throttled per account: too many wrong passwords in a row
            flash(f"Too many failed sign-ins for this account; try again in {wait} seconds.", "error")
            page = render_template("login.html", next=request.form.get("next", ""))
            return Response(page, status=429, headers={"Retry-After": str(wait)})
        user = svc.store.check_password(email, password)
        if user is None:
            svc.login_throttle.failed(email)
        else:
            svc.login_throttle.succeeded(email)
    if user is None:
        flash("Unknown e-mail and password, or unknown API token.", "error")
        return redirect(url_for("sia_pages.login", next=request.form.get("next", "")))
    svc.store.close_page_session(session.get("sid"))
    session.clear()
    session["sid"] = svc.store.open_page_session(user)
    csrf_token()
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/logout")
def logout():
    _svc().store.close_page_session(session.get("sid"))  # a replayed cookie no longer signs in
    session.clear()
    flash("Signed out.", "info")
    return redirect(url_for("sia_pages.login"))


# -- settings ------------------------------------------------------------------------------------
@bp.get("/settings")
@login_required
def settings(user: UserInfo):
    store = _svc().store
    task_sync = store.get_task_sync(user)
    now = store.clock.now()
    return render_template(
        "settings.html",
        user=user,
        task_sync=task_sync,
        local=lambda iso: health.local_time(iso, user.time_zone),
        status=health.describe(health.get(store, user), task_sync["enabled"], user.time_zone, now),
        sync_health=health.get(store, user),
        salesforce=store.get_salesforce(user),
        typed=session.pop("sf_form", None),  # what a failed connect had typed (never the password)
        template=store.get_subject_template(),
        fields=DYNAMIC_FIELDS,
    )


@bp.post("/settings/salesforce")
@login_required
def settings_salesforce(user: UserInfo):
    """R1.1: the connection is saved only when Salesforce accepts the login; otherwise the page says
    why, keeping what was typed (not the password)."""
    data = {
        key: request.form.get(key, "")
        for key in ("instance_url", "username", "password", "security_token", "salesforce_user_id")
    }
    data["salesforce_user_id"] = data["salesforce_user_id"].strip() or None
    store = _svc().store
    try:
        problem = None
        if current_app.config.get("CHECK_SALESFORCE_LOGIN", True) and _looks_complete(data):
            problem = check_login(
                data["instance_url"].strip(),
                data["username"].strip(),
                data["password"],
                data["security_token"],
                current_app.config.get("SALESFORCE_CA_BUNDLE"),
            )
        if problem is None:
            store.connect_salesforce(user, data)
            flash("Salesforce is connected.", "info")
            return redirect(url_for("sia_pages.settings"))
        flash(f"Salesforce is not connected: {problem}.", "error")
    except SiaError as exc:
        flash(_message(exc), "error")
    session["sf_form"] = {key: data[key] or "" for key in SF_FORM_FIELDS if key != "security_token"}
    return redirect(url_for("sia_pages.settings"))


@bp.post("/settings/salesforce/disconnect")
@login_required
def settings_disconnect(user: UserInfo):
    _svc().store.disconnect_salesforce(user)
    flash("Salesforce is disconnected; task sync is off.", "info")
    return redirect(url_for("sia_pages.settings"))


@bp.post("/settings/task_sync")
@login_required
def settings_task_sync(user: UserInfo):
    """R1.1: the 'Sync tasks/reminders to Salesforce tasks' checkbox takes effect on Save."""
    enabled = request.form.get("enabled") in ("on", "true", "1")
    message = "Task sync is on." if enabled else "Task sync is off."
    _attempt(lambda: _svc().store.set_task_sync(user, enabled), message)
    return redirect(url_for("sia_pages.settings"))


@bp.post("/settings/subject_template")
@login_required
def settings_template(user: UserInfo):
    """R5.1a: admins only; an unknown field is rejected with a message on the page."""
    if not user.is_admin:
        abort(403)
    template = request.form.get("template", "").replace("\r\n", "\n")
    chosen = None if request.form.get("restore_default") else template
    _attempt(lambda: _svc().store.set_subject_template(user, chosen), "The subject template is saved.")
    return redirect(url_for("sia_pages.settings"))


@bp.post("/settings/subject_template/preview")
@login_required
def settings_template_preview(user: UserInfo):
    """The live preview of the settings page (JSON, same rendering as the API)."""
    data = request.get_json(silent=True) or {}
    try:
        return jsonify(_svc().store.preview_subject(user, data.get("template"), data.get("task"), None))
    except SiaError as exc:
        return jsonify(exc.to_dict()), exc.status


# -- the admin's view of every user's sync ---------------------------------------------------------
@bp.get("/admin/sync")
@login_required
def admin_sync(user: UserInfo):
    if not user.is_admin:
        abort(403)
    store = _svc().store
    now = store.clock.now()
    rows = [
        {**row, "status": health.describe(row["health"], row["enabled"], row["user"].time_zone, now)}
        for row in health.overview(store)
    ]
    return render_template(
        "admin_sync.html", user=user, rows=rows, local=lambda iso: health.local_time(iso, user.time_zone)
    )


# -- all tasks ----------------------------------------------------------------------------------
@bp.get("/tasks")
@login_required
def tasks(user: UserInfo):
    status = request.args.get("status", "open")
    if status not in (*TASK_STATUSES, "all"):
        status = "open"
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    listing = task_page(_svc().store, user, None if status == "all" else status, page)
    return render_template(
        "tasks.html", user=user, listing=listing, status=status, statuses=(*TASK_STATUSES, "all")
    )


# -- the Command Center --------------------------------------------------------------------------
@bp.get("/command_center")
@login_required
def command_center(user: UserInfo):
    view = _svc().store.command_center(user)
    return render_template(
        "command_center.html", user=user, view=view, types=TASK_TYPES, priorities=TASK_PRIORITIES
    )


@bp.post("/tasks")
@login_required
def add_task(user: UserInfo):
    try:
        task = _svc().store.create_task(user, _form_task(request.form))
        flash(f"Added “{task['name']}”.", "info")
    except SiaError as exc:
        flash(_message(exc), "error")
    return redirect(_safe_next(request.form.get("back")))


@bp.post("/tasks/<task_id>/complete")
@login_required
def complete_task(user: UserInfo, task_id: str):
    return _update_and_back(user, task_id, {"status": "complete"}, "Completed “{name}”.")


@bp.post("/tasks/<task_id>/reopen")
@login_required
def reopen_task(user: UserInfo, task_id: str):
    return _update_and_back(user, task_id, {"status": "open"}, "Reopened “{name}”.")


@bp.post("/tasks/<task_id>/delete")
@login_required
def delete_task(user: UserInfo, task_id: str):
    _attempt(lambda: _svc().store.delete_task(user, task_id), "Deleted the task.")
    return redirect(url_for("sia_pages.command_center"))


@bp.get("/tasks/<task_id>/edit")
@login_required
def edit_task(user: UserInfo, task_id: str):
    try:
        task = _svc().store.get_task(user, task_id)
    except SiaError as exc:
        flash(_message(exc), "error")
        return redirect(url_for("sia_pages.command_center"))
    return render_template(
        "edit_task.html", user=user, task=task, types=TASK_TYPES, priorities=TASK_PRIORITIES
    )


@bp.post("/tasks/<task_id>/edit")
@login_required
def save_task(user: UserInfo, task_id: str):
    try:
        _svc().store.update_task(user, task_id, _form_task(request.form))
        flash("Saved the task.", "info")
    except SiaError as exc:
        flash(_message(exc), "error")
        if exc.status != 404:
            return redirect(url_for("sia_pages.edit_task", task_id=task_id))
    return redirect(url_for("sia_pages.command_center"))


def _attempt(action: Callable[[], object], done: str) -> bool:
    """Run a page's action: flash `done`, or the caller's mistake in words (never a stack trace)."""
    try:
        action()
    except SiaError as exc:
        flash(_message(exc), "error")
        return False
    flash(done, "info")
    return True


def _update_and_back(user: UserInfo, task_id: str, change: dict, message: str):
    try:
        task = _svc().store.update_task(user, task_id, change)
        flash(message.format(name=task["name"]), "info")
    except SiaError as exc:
        flash(_message(exc), "error")
    return redirect(_safe_next(request.form.get("back")))


def _looks_complete(data: dict) -> bool:
    """Worth a login attempt: an http(s) URL, a username and a password (else the store says what's wrong)."""
    parts = urlsplit(data["instance_url"].strip())
    return (
        parts.scheme in ("http", "https")
        and bool(parts.netloc)
        and bool(data["username"].strip())
        and bool(data["password"])
    )


def error_page(exc):
    """404, 403, 405 ... on the pages: the site's own look, with a way back (the API answers JSON)."""
    words = {
        403: "You are not allowed to see this page.",
        404: "There is no such page.",
        405: "This page does not take that kind of request.",
    }
    message = words.get(exc.code or 500, exc.description or "Something went wrong.")
    return render_template("error.html", code=exc.code, name=exc.name, message=message), exc.code or 500


def _message(exc: SiaError) -> str:
    return f"{exc.message} ({exc.field})" if exc.field and exc.field not in exc.message else exc.message
