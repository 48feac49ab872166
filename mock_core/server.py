"""Run a mock as a real threaded HTTP(S) server: in a background thread for tests, or in the foreground.

HTTPS uses a certificate for localhost/127.0.0.1 issued by a throw-away CA (trustme) unless a
certificate and key are given; the CA's PEM is written to a file that clients can trust.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import shutil
import signal
import ssl
import tempfile
import threading
from pathlib import Path

from werkzeug.serving import WSGIRequestHandler, make_server

from mock_core.guard import InputRejected
from mock_core.service import hooks_of
from tasksync_common.routing import routed_session  # re-exported: tests import it from here

__all__ = [
    "ServerThread",
    "check_exposure",
    "is_loopback",
    "quiet_werkzeug",
    "routed_session",
    "write_credentials",
]


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code="-", size="-") -> None:  # the journal records requests instead
        if os.environ.get("MOCK_ACCESS_LOG"):
            super().log_request(code, size)

    def send_error(self, code, message=None, explain=None) -> None:
        """Errors http.server answers before any WSGI app runs (a request line over 65,536 bytes: 414;
        a malformed request line: 400) in the mock's own wire format instead of an HTML page."""
        app = getattr(self.server, "app", None)
        extension = getattr(app, "config", {}).get("MOCK_SERVICE_EXTENSION") if app is not None else None
        svc = app.extensions.get(extension) if extension else None
        wire = hooks_of(app) if svc is not None else None
        if wire is None:
            super().send_error(code, message, explain)
            return
        with app.test_request_context():
            if code == 414:
                text = "The length of the URI exceeds the 65,536 byte limit of this server"
                response = wire.render_input_error(InputRejected("url_too_long", 414, text))
            else:
                response = wire.render_error(code, None, message or explain or "bad request")
        body = response.get_data()
        self.close_connection = True
        self.send_response(code, message)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and code >= 200 and code not in (204, 304):
            self.wfile.write(body)

    def send_response(self, code, message=None) -> None:
        # http.server always adds a Date from the wall clock; the mocks send their own Date from
        # their injectable clock (mock_core.service), so only one Date - the mock's - goes out.
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Server", self.version_string())


class ServerThread:
    """A threaded werkzeug server for one WSGI app. `port=0` picks a free port.

    >>> server = ServerThread(app, tls=True).start()
    >>> server.url, server.ca_path
    """

    def __init__(
        self,
        app,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        tls: bool = True,
        cert_file: str | None = None,
        key_file: str | None = None,
        cert_dir: str | None = None,
    ) -> None:
        self.app = app
        self.host = host
        self.tls = tls
        self.ca_path: str | None = None
        self.cert_file = cert_file
        self._temp_dir: str | None = None  # the throw-away CA's folder when we made it: removed on stop
        context = None
        if tls:
            context = self._tls_context(cert_file, key_file, cert_dir)
        self._server = make_server(
            host, port, app, threaded=True, ssl_context=context, request_handler=_QuietHandler
        )
        self.port = self._server.server_port
        self._thread: threading.Thread | None = None

    def _tls_context(self, cert_file, key_file, cert_dir) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        if cert_file:
            if not key_file:
                raise ValueError("--tls-cert needs --tls-key")
            context.load_cert_chain(cert_file, key_file)
            self.ca_path = cert_file
            return context
        import trustme  # only when no certificate is given: a throw-away CA (trustme is a test tool)

        ca = trustme.CA()
        leaf = ca.issue_cert("localhost", "127.0.0.1", "::1")
        leaf.configure_cert(context)
        if cert_dir is None:
            self._temp_dir = tempfile.mkdtemp(prefix="mock-tls-")
        directory = Path(cert_dir or self._temp_dir)
        directory.mkdir(parents=True, exist_ok=True)
        self.ca_path = str(directory / "ca.pem")
        ca.cert_pem.write_to_path(self.ca_path)
        return context

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        host = "localhost" if self.host in ("127.0.0.1", "0.0.0.0") and self.tls else self.host
        return f"{scheme}://{host}:{self.port}"

    def start(self) -> ServerThread:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"mock:{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)
        self._remove_temp_dir()

    def _remove_temp_dir(self) -> None:
        if self._temp_dir:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None

    def serve_forever(self) -> None:
        """Serve in the foreground until SIGINT/SIGTERM."""

        def _stop(signum, frame):
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, _stop)
        try:
            self._server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            self._server.server_close()
            self._remove_temp_dir()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def is_loopback(host: str) -> bool:
    """True for an address only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def check_exposure(host: str, admin_token: str | None) -> None:
    """A mock bound beyond loopback hands its control plane to the network: refuse without a token."""
    if not is_loopback(host) and not admin_token:
        raise ValueError(
            f"--host {host} is reachable from other machines; give --admin-token (or MOCK_ADMIN_TOKEN) "
            "so /__admin is not open to them"
        )


def write_credentials(lines: list[str], path: str | None = None) -> Path:
    """Write secrets to a file only its owner can read (0600) instead of printing them; returns it."""
    target = Path(path) if path else Path(tempfile.mkdtemp(prefix="mock-credentials-")) / "credentials.txt"
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    os.chmod(target, 0o600)  # an existing file keeps its mode through O_CREAT
    return target


def quiet_werkzeug() -> None:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
