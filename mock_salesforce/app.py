"""`create_app(config)`: one Flask app = one org. The same app serves in-process and as a server."""

from __future__ import annotations

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import BaseConverter

from mock_core.service import ADMIN_PREFIX, install
from mock_salesforce import errors as E
from mock_salesforce.auth import bp as auth_bp
from mock_salesforce.auth import check_rest_call
from mock_salesforce.routes.admin import bp as admin_bp
from mock_salesforce.routes.data import bp as data_bp
from mock_salesforce.store import DEFAULT_INSTANCE_URL, Org

REST_PREFIX = "/services/data/v"


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
    install(app, org)
    app.register_blueprint(auth_bp)
    app.register_blueprint(data_bp)
    app.register_blueprint(admin_bp)

    @app.before_request
    def _authenticate() -> Response | None:
        if request.path.startswith(REST_PREFIX):
            check_rest_call()
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
