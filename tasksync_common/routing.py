"""Send Salesforce's well-known hosts to a server of your choosing (a mock), trusting its CA.

simple-salesforce always logs in at https://login.salesforce.com (or test.) and then calls the
instance host it was given; a session from `routed_session` sends those requests to a mock server
instead. Shared by the mocks (`mock_salesforce.salesforce_session`) and the engine's CLI
(`tasksync run --salesforce-url`), so neither imports the other. Needs only `requests`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

SALESFORCE_LOGIN_HOSTS = ("login.salesforce.com", "test.salesforce.com")
# The instance URL a mock org reports unless configured otherwise (mock_salesforce's default).
MOCK_INSTANCE_URL = "https://mock-org.my.salesforce.com"


class RoutingAdapter(HTTPAdapter):
    """Sends requests to the mock server, trusting its CA; optionally rewrites the host first
    (e.g. login.salesforce.com -> the mock).

    The CA is pinned here rather than on `Session.verify`, because requests lets the
    REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE environment variables override a session's `verify`.
    """

    def __init__(self, target: str | None, ca_path: str | None) -> None:
        super().__init__()
        self.target = urlsplit(target) if target else None
        self.ca_path = ca_path

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        if self.target is not None:
            parts = urlsplit(str(request.url))
            request.url = urlunsplit((self.target.scheme, self.target.netloc, parts.path, parts.query, ""))
        if self.ca_path and kwargs.get("verify") is not False:
            kwargs["verify"] = self.ca_path
        return super().send(request, *args, **kwargs)


def routed_session(server_url: str, ca_path: str | None, hosts: Sequence[str] = ()) -> requests.Session:
    """A `requests.Session` that trusts the mock's CA and also sends the given hosts' requests to it."""
    session = requests.Session()
    base = server_url.rstrip("/")
    session.mount(f"{base}/", RoutingAdapter(None, ca_path))
    if "://localhost:" in base:  # the certificate also covers 127.0.0.1
        session.mount(base.replace("://localhost:", "://127.0.0.1:") + "/", RoutingAdapter(None, ca_path))
    for host in hosts:
        session.mount(f"https://{host}/", RoutingAdapter(base, ca_path))
    return session


def salesforce_server_session(url: str, ca_path: str | None = None) -> requests.Session:
    """A session whose Salesforce logins and default-instance calls go to the server at `url`."""
    hosts = [*SALESFORCE_LOGIN_HOSTS, urlsplit(MOCK_INSTANCE_URL).netloc]
    parts = urlsplit(url)
    if parts.scheme == "http":  # simple-salesforce always says https://; send it to the plain-HTTP server
        hosts.append(parts.netloc)
    return routed_session(url, ca_path, hosts)
