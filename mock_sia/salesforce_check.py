"""Connecting Salesforce on the Settings page tries the login first, as the product does, and says why it
failed (R1.1: the connection the sync will use must work).

The login goes through simple-salesforce over `requests`, so it reaches a real org, a standalone mock
server (its CA given by the app's `SALESFORCE_CA_BUNDLE`), or an in-process mock (the interceptor).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from simple_salesforce.exceptions import SalesforceAuthenticationFailed
from simple_salesforce.login import SalesforceLogin

from tasksync_common.routing import SALESFORCE_LOGIN_HOSTS, routed_session

SALESFORCE_SUFFIXES = (".salesforce.com", ".force.com")
LOGIN_HOSTS = list(SALESFORCE_LOGIN_HOSTS)


def _session(instance_url: str, ca_bundle: str | None, timeout: float) -> tuple[requests.Session, str]:
    """A session and simple-salesforce `domain` that send the login to the instance URL given."""
    host = urlsplit(instance_url).hostname or ""
    if host.endswith(SALESFORCE_SUFFIXES):
        session, domain = requests.Session(), host.rsplit(".", 2)[0]  # login / test / acme.my
        if ca_bundle:
            session.verify = ca_bundle
    else:  # a server of our own (a mock): its login goes to that URL, trusting its CA
        session, domain = routed_session(instance_url, ca_bundle, LOGIN_HOSTS), "login"
    original = session.request

    def request(method: Any, url: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", timeout)
        return original(method, url, **kwargs)

    session.request = request  # type: ignore[method-assign,assignment]
    return session, domain


def check_login(
    instance_url: str,
    username: str,
    password: str,
    security_token: str,
    ca_bundle: str | None = None,
    timeout: float = 10.0,
) -> str | None:
    """None when Salesforce accepts the login; otherwise why not, in words for the page."""
    session, domain = _session(instance_url, ca_bundle, timeout)
    try:
        SalesforceLogin(
            username=username,
            password=password,
            security_token=security_token,
            domain=domain,
            session=session,
        )
    except SalesforceAuthenticationFailed as exc:
        # `auth_message` is Salesforce's own words; `message` is simple-salesforce's template for them.
        detail = getattr(exc, "auth_message", None) or exc.message
        if exc.code == "INVALID_LOGIN":
            return f"Salesforce refused the login: check the username, password and security token ({detail})"
        return f"Salesforce refused the login ({exc.code}: {detail})"
    except requests.exceptions.SSLError:
        return f"could not connect to {instance_url}: its certificate is not trusted"
    except requests.exceptions.Timeout:
        return f"{instance_url} did not answer within {timeout:g} s"
    except requests.exceptions.RequestException as exc:
        return f"could not reach Salesforce at {instance_url} ({type(exc).__name__})"
    except Exception as exc:  # noqa: BLE001 - an answer simple-salesforce cannot read is not a login
        return f"{instance_url} did not answer like Salesforce ({type(exc).__name__})"
    return None
