"""`create_app(config)`: one Flask app = one org. The same app serves in-process and as a server."""

from __future__ import annotations

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import BaseConverter

from mock_core.faults import Fault
from mock_core.guard import InputRejected
from mock_core.service import ADMIN_PREFIX, WireHooks, install
from mock_salesforce import errors as E
from mock_salesforce.auth import bp as auth_bp
from mock_salesforce.auth import check_rest_call
from mock_salesforce.backend import DEFAULT_INSTANCE_URL, Org
from mock_salesforce.routes.admin import bp as admin_bp
from mock_salesforce.routes.data import bp as data_bp

REST_PREFIX = "/services/data/v"
INPUT_ERROR_CODES = {
    "url_too_long": "URI_TOO_LONG",
    "body_too_large": "REQUEST_ENTITY_TOO_LARGE",
    "not_utf8": "JSON_PARSER_ERROR",
    "json_too_deep": "JSON_PARSER_ERROR",
    "invalid_unicode": "JSON_PARSER_ERROR",
}


class SalesforceHooks(WireHooks):
    """The org's web side: Salesforce's error shape, and who the request acts as (set by auth.py)."""

    def principal(self) -> str | None:
        return g.get("sf_user_id")

    def counts_as_api_call(self) -> bool:
        return bool(g.get("sf_counted"))

    def render_input_error(self, exc: InputRejected) -> Response:
        """The edge guard's refusals with Salesforce's codes (docs/salesforce-coverage.md)."""
        code = INPUT_ERROR_CODES.get(exc.kind, "BAD_REQUEST")
        return E.SalesforceError(exc.message, status=exc.status, error_code=code).render()

    def render_error(self, status: int, code: str | None, message: str | None) -> Response:
        error = E.SalesforceError(
            message or f"Injected fault {status}",
            status=status,
            error_code=code or E.STATUS_DEFAULT_CODES.get(status, "UNKNOWN_EXCEPTION"),
        )
        return error.render()

    def apply_fault(self, fault: Fault) -> Response | None:
        return None


class VersionConverter(BaseConverter):
    """`vNN.N` path segments: any two-digit major with one decimal."""

    regex = r"\d{2}\.\d"


def create_app(config: dict | None = None) -> Flask:
    """A fresh org on a Flask app.

    Config keys: CLOCK (mock_core.Clock, shared with other mocks), DB_URL (default in-memory SQLite; a file
    or PostgreSQL URL persists), INSTANCE_URL (default https://mock-org.my.salesforce.com; None = the
    request's host, for servers), API_ALLOCATION (DailyApiRequests Max, default 15000),
    SESSION_TTL_SECONDS (inactivity timeout, default 7200).
    """
    settings = {"INSTANCE_URL": DEFAULT_INSTANCE_URL, **(config or {})}
    app = Flask("mock_salesforce")
    app.config.update(settings)
    app.url_map.converters["version"] = VersionConverter
    app.url_map.merge_slashes = False  # `/sobjects//describe` is a 404 in JSON, not an HTML redirect
    org = Org(settings)
    install(app, org, SalesforceHooks(org))
    app.register_blueprint(auth_bp)
    app.register_blueprint(data_bp)
    app.register_blueprint(admin_bp)

    @app.before_request
    def _authenticate() -> Response | None:
        if request.path.startswith(REST_PREFIX):
            check_rest_call(org)
        return None

    @app.after_request
    def _limit_info(response: Response) -> Response:
        if request.path.startswith(REST_PREFIX):
            response.headers["Sforce-Limit-Info"] = org.limit_info()
        return response

    @app.errorhandler(E.SalesforceError)
    def _salesforce_error(exc: E.SalesforceError) -> Response:
        return exc.render()

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if request.path.startswith(ADMIN_PREFIX):
            return jsonify(
                {"error": {"code": exc.name.lower().replace(" ", "_"), "message": exc.description}}
            ), exc.code
        if isinstance(exc, MethodNotAllowed):
            allowed = ",".join(sorted(m for m in (exc.valid_methods or []) if m != "OPTIONS"))
            return E.MethodNotAllowed(
                f"HTTP Method '{request.method}' not allowed. Allowed are {allowed}"
            ).render()
        if exc.code == 404:
            return E.NotFound().render()
        code = E.STATUS_DEFAULT_CODES.get(exc.code or 400, "BAD_REQUEST")
        return E.SalesforceError(exc.description, status=exc.code, error_code=code).render()

    org.app = app
    return app


def get_org(app: Flask) -> Org:
    """The org behind an app made by create_app()."""
    return app.extensions[Org.extension_name]
