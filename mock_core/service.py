"""What every mock service shares: the backend contract, request hooks and the /__admin control plane.

A mock's backend subclasses `MockService` and is installed on its Flask app with
`install(app, svc, hooks)`; `hooks` (a `WireHooks`) is the web side: it renders errors in the vendor's
wire format and reads who the request acts as, so the backend holds no Flask objects. The backend
lives in `app.extensions[svc.extension_name]` — never on a module — so two apps never share state.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import socket
import time
from datetime import timedelta
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.http import http_date

from mock_core.clock import Clock
from mock_core.errors import AdminError, DroppedConnection, MockCoreError
from mock_core.faults import Fault, FaultPlan
from mock_core.guard import GuardLimits, InputRejected, check_request
from mock_core.journal import Journal, JournalEntry
from tasksync_common.instants import parse_instant

ADMIN_PREFIX = "/__admin"
ADMIN_TOKEN_HEADER = "X-Admin-Token"
STARTED = "mock_core.started"  # the environ key of when the request began (for the journal)
_log = logging.getLogger("mock_core")


class MockService:
    """Base of a mock's backend. Subclasses implement the vendor-specific verbs."""

    extension_name = "mock_service"
    extra_fault_kinds: tuple[str, ...] = ()
    guard_limits = GuardLimits()

    def __init__(self, clock: Clock | None = None, journal_size: int = 20_000) -> None:
        self.clock = clock or Clock()
        self.journal = Journal(journal_size)
        self.faults = FaultPlan(self.extra_fault_kinds)

    # -- to implement -------------------------------------------------------------------------
    def reset(self) -> None:
        """Back to a fresh instance (same clock)."""
        raise NotImplementedError

    def seed(self, count: int, seed: int | None = None, **options: Any) -> dict:
        raise NotImplementedError

    def create_user(self, data: dict) -> dict:
        raise NotImplementedError

    def list_users(self) -> list[dict]:
        raise NotImplementedError

    def render_error(self, status: int, code: str | None, message: str | None) -> Response:
        """An error response in the vendor's wire format (used for injected `status` faults)."""
        raise NotImplementedError

    def render_input_error(self, exc: InputRejected) -> Response:
        """A request refused by the edge guard (mock_core.guard), in the vendor's wire format."""
        return self.render_error(exc.status, None, exc.message)

    # -- optional hooks -----------------------------------------------------------------------
    def principal(self) -> str | None:
        """Who the current request acts as (for the journal)."""
        return None

    def counts_as_api_call(self) -> bool:
        return True

    def apply_fault(self, fault: Fault) -> Response | None:
        """Handle a fault of one of `extra_fault_kinds`; return a response to short-circuit."""
        return None

    def extra_fault(self, kind: str, options: dict) -> dict | None:
        """Admin-time faults that act at once instead of matching requests (e.g. expire sessions)."""
        return None


class WireHooks:
    """The web side of a mock, kept out of its backend: responses in the vendor's wire format and
    facts about the current request. The default defers to the service's own methods (a service
    that renders its own errors, as small test services do)."""

    def __init__(self, svc: MockService) -> None:
        self.svc = svc

    def render_error(self, status: int, code: str | None, message: str | None) -> Response:
        """An error response in the vendor's wire format (used for injected `status` faults)."""
        return self.svc.render_error(status, code, message)

    def render_input_error(self, exc: InputRejected) -> Response:
        """A request refused by the edge guard (mock_core.guard), in the vendor's wire format."""
        return self.svc.render_input_error(exc)

    def principal(self) -> str | None:
        """Who the current request acts as (for the journal)."""
        return self.svc.principal()

    def counts_as_api_call(self) -> bool:
        return self.svc.counts_as_api_call()

    def apply_fault(self, fault: Fault) -> Response | None:
        """Handle a fault of one of `extra_fault_kinds`; return a response to short-circuit."""
        return self.svc.apply_fault(fault)


HOOKS_EXTENSION = "mock_core.hooks"


def hooks_of(app: Flask) -> WireHooks | None:
    return app.extensions.get(HOOKS_EXTENSION)


def service_of(app: Flask | None = None, name: str | None = None) -> MockService:
    app = app or current_app
    return app.extensions[name or app.config["MOCK_SERVICE_EXTENSION"]]


def install(app: Flask, svc: MockService, hooks: WireHooks | None = None) -> None:
    """Attach `svc` to `app`: JSON settings, the edge guard, the catch-all, journal, faults and the
    /__admin blueprint (locked by `app.config["ADMIN_TOKEN"]` when set). `hooks` renders the
    vendor's responses (default: the service's own methods)."""
    wire = hooks or WireHooks(svc)
    app.extensions[svc.extension_name] = svc
    app.extensions[HOOKS_EXTENSION] = wire
    app.config["MOCK_SERVICE_EXTENSION"] = svc.extension_name
    app.json.sort_keys = False  # vendors' key order (Salesforce: id, success, errors)

    # The hooks run on every request: they read the request and `g` through one proxy lookup each,
    # not one per attribute (issue 9).
    @app.before_request
    def _before() -> Response | None:
        req = request._get_current_object()  # type: ignore[attr-defined]
        req.environ[STARTED] = time.perf_counter()
        if req.path.startswith(ADMIN_PREFIX):
            return _check_admin_token(app)
        try:
            check_request(svc.guard_limits)
        except InputRejected as exc:
            return wire.render_input_error(exc)
        faults = svc.faults.take(req.method, req.path)
        if not faults:
            return None
        g.mock_faults = faults
        for fault in faults:
            if fault.kind == "latency":
                time.sleep(fault.seconds)
        for fault in faults:
            if fault.kind == "connection_drop":
                req.environ["mock_core.drop"] = True
                return Response(status=499)
            if fault.kind == "status":
                return wire.render_error(fault.status or 500, fault.error_code, fault.message)
            if fault.kind in svc.extra_fault_kinds:
                response = wire.apply_fault(fault)
                if response is not None:
                    return response
        return None

    dated: list[tuple[Any, str]] = [(None, "")]  # (a whole second, its HTTP date): formatted once

    @app.after_request
    def _after(response: Response) -> Response:
        # Like a real server, every answer says what time it is - on this mock's (injectable) clock.
        now = svc.clock.now()
        second, text = dated[0]
        if second != now.replace(microsecond=0):
            text = http_date(now)
            dated[0] = (now.replace(microsecond=0), text)
        response.headers["Date"] = text
        req = request._get_current_object()  # type: ignore[attr-defined]
        if req.path.startswith(ADMIN_PREFIX):
            return response
        if any(f.kind == "drop_after_commit" for f in g.get("mock_faults", ())):
            req.environ["mock_core.drop"] = True
        started = req.environ.get(STARTED) or time.perf_counter()
        svc.journal.record(
            JournalEntry(
                at=now,
                method=req.method,
                path=req.path,
                query=req.query_string.decode("latin-1"),
                status=response.status_code,
                duration_ms=round((time.perf_counter() - started) * 1000, 3),
                principal=wire.principal(),
                counted=wire.counts_as_api_call(),
            )
        )
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        """The last resort: a bug still answers in the vendor's shape, and its traceback is logged."""
        if isinstance(exc, HTTPException):
            return exc
        _log.error(
            "unexpected error in %s on %s %s", svc.extension_name, request.method, request.path, exc_info=exc
        )
        if request.path.startswith(ADMIN_PREFIX):
            return jsonify({"error": {"code": "internal", "message": type(exc).__name__}}), 500
        return wire.render_error(500, None, f"An unexpected error occurred: {type(exc).__name__}")

    app.register_blueprint(admin_blueprint(svc.extension_name))
    app.wsgi_app = DropMiddleware(app.wsgi_app)  # type: ignore[method-assign]


def _check_admin_token(app: Flask) -> Response | None:
    """With `ADMIN_TOKEN` configured (`--admin-token`), /__admin needs `X-Admin-Token: <token>`."""
    expected = app.config.get("ADMIN_TOKEN")
    if not expected:
        return None  # in-process use: the caller already holds the app
    given = request.headers.get(ADMIN_TOKEN_HEADER, "")
    if hmac.compare_digest(given.encode("utf-8", "surrogateescape"), str(expected).encode()):
        return None
    response = jsonify(
        {
            "error": {
                "code": "unauthorized",
                "message": f"the control plane needs the header {ADMIN_TOKEN_HEADER}",
            }
        }
    )
    response.status_code = 401
    return response


class DropMiddleware:
    """Turns the `mock_core.drop` flag into a dropped connection (socket closed, nothing sent)."""

    def __init__(self, wsgi_app) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        captured: list = []

        def _capture(status, headers, exc_info=None):
            captured.append((status, headers, exc_info))
            return lambda data: None

        body = self.wsgi_app(environ, _capture)
        if environ.get("mock_core.drop"):
            if hasattr(body, "close"):
                body.close()
            sock = environ.get("werkzeug.socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            raise DroppedConnection("connection dropped by an injected fault")
        status, headers, exc_info = captured[0]
        start_response(status, headers, exc_info)
        return body


# -- the control plane ------------------------------------------------------------------------------


def json_body() -> dict:
    """The request's JSON object body (`{}` when empty); anything else is the caller's mistake (400)."""
    if not request.data:
        return {}
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise AdminError("the body must be a JSON object")
    return data


def _int(data: dict, key: str, default: int | None = None, minimum: int = 0) -> int | None:
    value = data.get(key, default)
    if value is None:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise AdminError(f"'{key}' must be a whole number") from exc
    if number < minimum:
        raise AdminError(f"'{key}' must be at least {minimum}")
    return number


def admin_blueprint(extension_name: str) -> Blueprint:
    bp = Blueprint(f"{extension_name}_admin", __name__, url_prefix=ADMIN_PREFIX)

    def svc() -> MockService:
        return service_of(current_app, extension_name)

    @bp.errorhandler(MockCoreError)
    def _error(exc: MockCoreError):
        return jsonify(exc.to_dict()), exc.status

    @bp.get("/")
    def index():
        return jsonify(
            {
                "endpoints": [
                    "POST /__admin/reset",
                    "GET|POST /__admin/users",
                    "POST /__admin/seed",
                    "GET|POST /__admin/clock",
                    "GET|DELETE /__admin/journal",
                    "GET /__admin/journal/count",
                    "GET|POST|DELETE /__admin/faults",
                    "DELETE /__admin/faults/<id>",
                ]
            }
        )

    @bp.post("/reset")
    def reset():
        svc().reset()
        return jsonify({"reset": True})

    @bp.get("/users")
    def users():
        return jsonify({"users": svc().list_users()})

    @bp.post("/users")
    def create_user():
        return jsonify(svc().create_user(json_body())), 201

    @bp.post("/seed")
    def seed():
        data = json_body()
        count = _int(data, "count", 25)
        seed_value = _int(data, "seed", None)
        options = {k: v for k, v in data.items() if k not in ("count", "seed")}
        return jsonify(svc().seed(count, seed_value, **options)), 201

    @bp.get("/clock")
    def clock():
        return jsonify(svc().clock.describe())

    @bp.post("/clock")
    def move_clock():
        data = json_body()
        action = data.get("action")
        clk = svc().clock
        try:
            at = parse_instant(data["at"]) if data.get("at") else None
        except (TypeError, ValueError) as exc:
            raise AdminError("'at' must be an ISO-8601 instant") from exc
        if action == "freeze":
            clk.freeze(at)
        elif action == "unfreeze":
            clk.unfreeze()
        elif action == "set":
            if at is None:
                raise AdminError("'set' needs 'at'")
            clk.set(at)
        elif action == "advance":
            parts = {k: data[k] for k in ("days", "hours", "minutes", "seconds") if k in data}
            try:
                step = timedelta(**{k: float(v) for k, v in parts.items()})
            except (TypeError, ValueError) as exc:
                raise AdminError("days/hours/minutes/seconds must be numbers") from exc
            if step <= timedelta(0):
                raise AdminError("'advance' needs a positive days/hours/minutes/seconds")
            clk.advance(step)
        elif action == "reset":
            clk.reset()
        else:
            raise AdminError("'action' must be one of freeze, unfreeze, set, advance, reset")
        return jsonify(clk.describe())

    def _journal_filters() -> dict:
        return {
            "method": request.args.get("method") or None,
            "path": request.args.get("path") or None,
            "principal": request.args.get("principal") or None,
            "counted_only": request.args.get("counted_only") in ("1", "true"),
        }

    @bp.get("/journal")
    def journal():
        try:
            entries = svc().journal.entries(**_journal_filters())
        except Exception as exc:  # a bad regular expression in ?path=
            raise AdminError(f"bad journal filter: {exc}") from exc
        limit = _int(dict(request.args), "limit", 1000, minimum=1)
        return jsonify({"count": len(entries), "requests": [e.to_dict() for e in entries[-limit:]]})

    @bp.get("/journal/count")
    def journal_count():
        try:
            return jsonify({"count": svc().journal.count(**_journal_filters())})
        except Exception as exc:
            raise AdminError(f"bad journal filter: {exc}") from exc

    @bp.delete("/journal")
    def clear_journal():
        svc().journal.clear()
        return jsonify({"cleared": True})

    @bp.get("/faults")
    def faults():
        return jsonify({"faults": [f.to_dict() for f in svc().faults.list()]})

    @bp.post("/faults")
    def add_fault():
        data = json_body()
        kind = data.pop("kind", None)
        if not kind:
            raise AdminError("'kind' is required")
        service = svc()
        immediate = service.extra_fault(kind, data)
        if immediate is not None:
            return jsonify(immediate), 201
        try:
            fault = service.faults.add(kind, **data)
        except TypeError as exc:
            raise AdminError(f"unexpected fault option: {exc}") from exc
        return jsonify(fault.to_dict()), 201

    @bp.delete("/faults")
    def clear_faults():
        svc().faults.clear()
        return jsonify({"cleared": True})

    @bp.delete("/faults/<fault_id>")
    def remove_fault(fault_id: str):
        svc().faults.remove(fault_id)
        return jsonify({"removed": fault_id})

    return bp
