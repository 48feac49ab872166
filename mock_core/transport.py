"""In-process HTTP: hand `requests` calls for chosen hosts straight to a WSGI app (no socket, no port).

`WSGITransport(app)` is a `requests` adapter. `make_session(routes)` returns a `requests.Session`
with it mounted for the given `https://host` prefixes. `Interceptor(routes)` goes further for code
that builds its own sessions (simple-salesforce does): while active, *every* `requests.Session`
sends requests for those hosts to the app; all other hosts are untouched.

Issue 9: a call routed in-process skips what only a socket needs - the proxy and CA-bundle lookup in
the environment that `requests` does before every call (its largest cost per call; no proxy or
certificate is ever used in-process), and the `http.client` message a response carries only so that
`requests` can read its `Set-Cookie` headers (built only when there is one).
"""

from __future__ import annotations

import http.client
import io
import threading
from collections.abc import Iterable, Mapping
from types import SimpleNamespace
from urllib.parse import unquote_to_bytes, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.sessions import merge_setting
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

from mock_core.errors import DroppedConnection


class WSGITransport(BaseAdapter):
    """A `requests` adapter that calls a WSGI application directly."""

    def __init__(self, app) -> None:
        super().__init__()
        self.app = app

    def send(
        self,
        request: requests.PreparedRequest,
        stream=False,
        timeout=None,
        verify=True,
        cert=None,
        proxies=None,
    ) -> requests.Response:
        parts = urlsplit(request.url)
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        elif not isinstance(body, bytes):  # a file-like or generator body
            body = b"".join(chunk if isinstance(chunk, bytes) else chunk.encode() for chunk in body)
        scheme = parts.scheme or "https"
        port = parts.port or (443 if scheme == "https" else 80)
        environ = {
            "REQUEST_METHOD": request.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": _unquote_path(parts.path or "/"),
            "RAW_URI": parts.path + (f"?{parts.query}" if parts.query else ""),
            "QUERY_STRING": parts.query,
            "SERVER_NAME": parts.hostname or "localhost",
            "SERVER_PORT": str(port),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": parts.netloc,
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": scheme,
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": io.StringIO(),
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "CONTENT_LENGTH": str(len(body)),
        }
        for name, value in request.headers.items():
            key = name.upper().replace("-", "_")
            if key == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = value
            elif key != "CONTENT_LENGTH":
                environ[f"HTTP_{key}"] = value
        captured: dict = {}

        def start_response(status, headers, exc_info=None):
            captured["status"] = status
            captured["headers"] = headers
            return lambda data: None

        try:
            result = self.app(environ, start_response)
            try:
                content = b"".join(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        except DroppedConnection as exc:
            raise requests.exceptions.ConnectionError(f"Connection aborted: {exc}", request=request) from exc

        response = requests.Response()
        code, _, reason = captured["status"].partition(" ")
        response.status_code = int(code)
        response.reason = reason
        response.headers = CaseInsensitiveDict(captured["headers"])
        response.raw = _Raw(content, captured["headers"])
        response._content = content
        response._content_consumed = True
        response.encoding = get_encoding_from_headers(response.headers)
        response.url = request.url
        response.request = request
        response.connection = self
        return response

    def close(self) -> None:
        pass


class _Raw(io.BytesIO):
    """The body, plus the `_original_response.msg` that requests reads Set-Cookie from, so a
    `requests.Session` keeps cookies across in-process calls as it does over a socket."""

    def __init__(self, content: bytes, headers) -> None:
        super().__init__(content)
        self._original_response = None  # requests reads no cookies from a response without one
        if any(name.lower() == "set-cookie" for name, _value in headers):
            message = http.client.HTTPMessage()
            for name, value in headers:
                message.add_header(name, value)
            self._original_response = SimpleNamespace(msg=message, info=lambda: message)


def _settings_in_process(session: requests.Session, proxies, stream, verify, cert) -> dict:
    """`Session.merge_environment_settings` for a call that never leaves the process: the session's own
    settings merged as requests merges them, without reading proxies or CA bundles from the
    environment (the WSGI call uses neither)."""
    return {
        "proxies": merge_setting(proxies, session.proxies),
        "stream": merge_setting(stream, session.stream),
        "verify": merge_setting(verify, session.verify),
        "cert": merge_setting(cert, session.cert),
    }


def _unquote_path(path: str) -> str:
    # WSGI carries PATH_INFO decoded as latin-1 text of the UTF-8 bytes.
    return unquote_to_bytes(path).decode("latin-1")


Routes = Mapping[str, object]  # "https://host[:port]" prefix -> WSGI app


def make_session(routes: Routes, base: requests.Session | None = None) -> requests.Session:
    """A session whose requests to the given URL prefixes go in-process to their apps."""
    session = base or requests.Session()
    prefixes = []
    for prefix, app in routes.items():
        session.mount(prefix.rstrip("/") + "/", WSGITransport(app))
        prefixes.append(prefix.rstrip("/").lower() + "/")
    merge_environment = session.merge_environment_settings

    def merge_environment_settings(url, proxies, stream, verify, cert):
        if url.lower().startswith(tuple(prefixes)):
            return _settings_in_process(session, proxies, stream, verify, cert)
        return merge_environment(url, proxies, stream, verify, cert)

    session.merge_environment_settings = merge_environment_settings  # type: ignore[method-assign]
    return session


class Interceptor:
    """While active, route every `requests.Session` call for the given prefixes into the apps.

    Patches `requests.Session.get_adapter` (one patch for all active interceptors, undone when the
    last one stops). Routes may be added while active (e.g. an org's instance host).
    """

    _lock = threading.RLock()
    _active: list[Interceptor] = []
    _original = None
    _original_merge = None

    def __init__(self, routes: Routes | None = None) -> None:
        self.routes: dict[str, WSGITransport] = {}
        for prefix, app in (routes or {}).items():
            self.add(prefix, app)

    def add(self, prefix: str, app) -> None:
        self.routes[prefix.rstrip("/").lower()] = WSGITransport(app)

    def adapter_for(self, url: str) -> WSGITransport | None:
        lowered = url.lower()
        for prefix, adapter in self.routes.items():
            if lowered == prefix or lowered.startswith(prefix + "/") or lowered.startswith(prefix + "?"):
                return adapter
        return None

    def start(self) -> Interceptor:
        cls = type(self)
        with cls._lock:
            if not cls._active:
                cls._original = requests.Session.get_adapter
                original = cls._original

                def get_adapter(session, url):
                    for interceptor in reversed(cls._active):
                        adapter = interceptor.adapter_for(url)
                        if adapter is not None:
                            return adapter
                    return original(session, url)

                cls._original_merge = requests.Session.merge_environment_settings
                original_merge = cls._original_merge

                def merge_environment_settings(session, url, proxies, stream, verify, cert):
                    if any(i.adapter_for(url) is not None for i in cls._active):
                        return _settings_in_process(session, proxies, stream, verify, cert)
                    return original_merge(session, url, proxies, stream, verify, cert)

                requests.Session.get_adapter = get_adapter  # type: ignore[method-assign]
                requests.Session.merge_environment_settings = merge_environment_settings  # type: ignore[method-assign]
            cls._active.append(self)
        return self

    def stop(self) -> None:
        cls = type(self)
        with cls._lock:
            if self in cls._active:
                cls._active.remove(self)
            if not cls._active and cls._original is not None:
                requests.Session.get_adapter = cls._original  # type: ignore[method-assign]
                requests.Session.merge_environment_settings = cls._original_merge  # type: ignore[method-assign]
                cls._original = cls._original_merge = None

    def __enter__(self) -> Interceptor:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def hosts(*names: str) -> Iterable[str]:
    return [f"https://{n}" for n in names]
