"""`create_app(config)`: one SIA instance (its own database, clock, journal and faults) as a Flask app."""

from __future__ import annotations

import secrets

import requests
from flask import Flask, Response, g, jsonify, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter

from mock_core.clock import Clock
from mock_core.db import make_engine
from mock_core.faults import Fault
from mock_core.guard import InputRejected
from mock_core.service import WireHooks, install, service_of
from mock_core.transport import make_session
from mock_sia.backend import SiaService
from mock_sia.errors import RateLimited, SiaError, default_code
from mock_sia.routes.api import bp as api_bp
from mock_sia.routes.health import bp as health_bp
from mock_sia.routes.pages import bp as pages_bp
from mock_sia.routes.pages import error_page
from mock_sia.store import DEFAULT_SERVICE_TOKEN, default_password


def page_password(email: str) -> str:
    """The login-page password of a seeded/default user (or one created without a password):
    `NAME-password` for `NAME@domain`, e.g. `ann@sia.example` -> `ann-password`."""
    return default_password(email)


class _SessionInterface(SecureCookieSessionInterface):
    """The page-session cookie is `Secure` whenever the request came over TLS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure


DEFAULT_BASE_URL = "https://sia.mock"


class SiaHooks(WireHooks):
    """SIA's web side: its error shape (429 with Retry-After) and who the request acts as."""

    def render_error(self, status: int, code: str | None, message: str | None) -> Response:
        """An injected `status` fault in SIA's error shape (429 carries Retry-After)."""
        body = {
            "error": {
                "code": code or default_code(status),
                "message": message or f"injected fault: HTTP {status}",
                "field": None,
            }
        }
        response = jsonify(body)
        response.status_code = status
        if status in (429, 503):
            response.headers["Retry-After"] = "1"
        return response

    def render_input_error(self, exc: InputRejected) -> Response:
        """The edge guard's refusals (mock_core.guard) in SIA's error shape."""
        code = {"url_too_long": "uri_too_long", "body_too_large": "payload_too_large"}.get(
            exc.kind, "bad_request"
        )
        return self.render_error(exc.status, code, exc.message)

    def principal(self) -> str | None:
        return g.get("sia_principal")

    def counts_as_api_call(self) -> bool:
        return request.path.startswith("/api/v1/") and request.path != "/api/v1/openapi.json"

    def apply_fault(self, fault: Fault) -> Response | None:
        """`rate_limit`: answer 429 rate_limited with `Retry-After: <retry_after>` (default 1 s)."""
        if fault.kind == "rate_limit":
            try:
                retry_after = int(fault.params.get("retry_after", 1))
            except (TypeError, ValueError):
                retry_after = 1
            exc = RateLimited(fault.message or "rate limit exceeded; retry later", retry_after=retry_after)
            response = jsonify(exc.to_dict())
            response.status_code = exc.status
            response.headers.update(exc.headers())
            return response
        return None


class TaskIdConverter(BaseConverter):
    """`/tasks/<task_id:task_id>`: only `tsk_` + digits, so `/tasks/batch` is not a task (and its
    OPTIONS advertises POST only)."""

    regex = r"tsk_[0-9]{1,19}"


def create_app(config: dict | None = None) -> Flask:
    """Config keys: CLOCK (a mock_core.Clock, default a new real-time one), DB_URL (default in-memory
    SQLite), SERVICE_TOKEN (default `sia-service-token`), SEED_DEFAULTS (default True: admin
    `admin@sia.example` / `sia-admin-token` and user `ann@sia.example` / `sia-ann-token`),
    SECRET_KEY (default random), ADMIN_TOKEN (when set, /__admin needs `X-Admin-Token`),
    CHECK_SALESFORCE_LOGIN (default True: the Settings page tries a login before saving a connection),
    SALESFORCE_CA_BUNDLE (a CA file to trust for that login, e.g. a mock server's). Each user signs in
    on /login with a password of their own (`page_password(email)` for the default users)."""
    config = dict(config or {})
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=config.pop("SECRET_KEY", None) or secrets.token_hex(32),
        SESSION_COOKIE_NAME="sia_session",
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
    )
    app.session_interface = _SessionInterface()
    clock = config.pop("CLOCK", None) or Clock()
    engine = make_engine(config.pop("DB_URL", None))
    svc = SiaService(
        clock,
        engine,
        service_token=config.pop("SERVICE_TOKEN", None) or DEFAULT_SERVICE_TOKEN,
        seed_defaults=config.pop("SEED_DEFAULTS", True),
    )
    app.config.update(config)
    install(app, svc, SiaHooks(svc))

    app.url_map.converters["task_id"] = TaskIdConverter
    app.register_blueprint(api_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(pages_bp)

    @app.errorhandler(SiaError)
    def _sia_error(exc: SiaError) -> Response:
        response = jsonify(exc.to_dict())
        response.status_code = exc.status
        response.headers.update(exc.headers())
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        """Unknown API paths and wrong methods answer in the API's error shape too."""
        if not request.path.startswith(("/api/", "/__admin")):
            return error_page(exc)
        code = {404: "not_found", 405: "method_not_allowed", 400: "bad_request"}.get(exc.code or 500, "error")
        response = jsonify({"error": {"code": code, "message": exc.description, "field": None}})
        response.status_code = exc.code or 500
        if exc.code == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    return app


def get_sia(app: Flask) -> SiaService:
    """The backend of an app made by `create_app`."""
    return service_of(app, SiaService.extension_name)  # type: ignore[return-value]


def sia_session(
    app: Flask, base_url: str = DEFAULT_BASE_URL, token: str | None = None, user_id: str | None = None
) -> requests.Session:
    """A `requests.Session` whose calls to `base_url` go in-process to `app` (no socket).

    With `token`, every request carries `Authorization: Bearer <token>`; with `user_id` (for the
    service token), `X-SIA-User: <user_id>`.
    """
    session = make_session({base_url: app})
    if token:
        session.headers["Authorization"] = f"Bearer {token}"
    if user_id:
        session.headers["X-SIA-User"] = user_id
    return session
