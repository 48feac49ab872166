"""`create_app(config)`: one SIA instance (its own database, clock, journal and faults) as a Flask app."""

from __future__ import annotations

import secrets

import requests
from flask import Flask, Response, jsonify, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter

from mock_core.clock import Clock
from mock_core.db import make_engine
from mock_core.service import install, service_of
from mock_core.transport import make_session
from mock_sia.backend import SiaService
from mock_sia.errors import SiaError
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
    install(app, svc)

    from mock_sia.routes.api import api_blueprint
    from mock_sia.routes.health import health_blueprint
    from mock_sia.routes.pages import pages_blueprint

    app.url_map.converters["task_id"] = TaskIdConverter
    app.register_blueprint(api_blueprint())
    app.register_blueprint(health_blueprint())
    app.register_blueprint(pages_blueprint())

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
            from mock_sia.routes.pages import error_page

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
