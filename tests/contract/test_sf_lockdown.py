"""Ending sessions (OAuth revoke, SOAP logout) and the locked control plane of the Salesforce mock
(issue 12). A revoked session is refused the way Salesforce refuses it: simple-salesforce raises
SalesforceExpiredSession."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import requests
from click.testing import CliRunner
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceExpiredSession

from mock_core.server import ServerThread
from mock_salesforce import create_app, salesforce_session
from mock_salesforce.__main__ import main


def test_oauth_revoke_ends_the_session(sfx):
    sf = sfx.client()
    assert sf.query("SELECT Id FROM Task")["totalSize"] == 0
    http = sfx.http or requests.Session()
    response = http.post(
        f"{sfx.instance_url}/services/oauth2/revoke", data={"token": sf.session_id}, timeout=10
    )
    assert response.status_code == 200 and response.text == ""
    direct = Salesforce(instance_url=sfx.instance_url, session_id=sf.session_id, **sfx.session_kw())
    with pytest.raises(SalesforceExpiredSession):
        direct.query("SELECT Id FROM Task")
    again = http.post(f"{sfx.instance_url}/services/oauth2/revoke", data={"token": sf.session_id}, timeout=10)
    assert again.status_code == 400
    assert again.json() == {
        "error": "unsupported_token_type",
        "error_description": "this token type is not supported",
    }
    missing = http.post(f"{sfx.instance_url}/services/oauth2/revoke", data={}, timeout=10)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"


def soap_logout(session_id: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:urn="urn:partner.soap.sforce.com">'
        f"<env:Header><urn:SessionHeader><urn:sessionId>{session_id}</urn:sessionId></urn:SessionHeader></env:Header>"
        "<env:Body><urn:logout/></env:Body></env:Envelope>"
    )


def test_soap_logout_ends_the_session(sfx):
    sf = sfx.client()
    http = sfx.http or requests.Session()
    url = f"{sfx.instance_url}/services/Soap/u/60.0"
    headers = {"Content-Type": "text/xml", "SOAPAction": "logout"}
    response = http.post(url, data=soap_logout(sf.session_id), headers=headers, timeout=10)
    assert response.status_code == 200 and "<logoutResponse/>" in response.text
    direct = Salesforce(instance_url=sfx.instance_url, session_id=sf.session_id, **sfx.session_kw())
    with pytest.raises(SalesforceExpiredSession):
        direct.query("SELECT Id FROM Task")
    again = http.post(url, data=soap_logout(sf.session_id), headers=headers, timeout=10)
    assert again.status_code == 500
    assert "<sf:exceptionCode>INVALID_SESSION_ID</sf:exceptionCode>" in again.text


def test_admin_needs_the_token_when_one_is_set():
    app = create_app({"INSTANCE_URL": None, "ADMIN_TOKEN": "s3cret-admin"})
    with ServerThread(app, tls=True) as server:
        http = salesforce_session(server)
        refused = http.post(f"{server.url}/__admin/sessions", json={}, timeout=10)
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"
        wrong = http.get(f"{server.url}/__admin/users", headers={"X-Admin-Token": "guess"}, timeout=10)
        assert wrong.status_code == 401
        ok = http.get(f"{server.url}/__admin/users", headers={"X-Admin-Token": "s3cret-admin"}, timeout=10)
        assert ok.status_code == 200
        # The data API is untouched by the admin token.
        assert http.get(f"{server.url}/services/data/", timeout=10).status_code == 200


def test_in_process_use_needs_no_token(sfx):
    if sfx.mode != "inprocess":
        pytest.skip("the in-process app")
    assert sfx.org.app.test_client().get("/__admin/users").status_code == 200


def test_a_non_loopback_bind_without_a_token_is_refused():
    result = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0", "--port", "0"])
    assert result.exit_code == 2
    assert "--admin-token" in result.output


def test_the_banner_prints_no_secret(tmp_path):
    creds = tmp_path / "creds.txt"
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_salesforce", "serve", "--port", "0", "--http",
         "--admin-token", "banner-admin-secret", "--credentials-file", str(creds)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if "control plane" in line:
                break
        output = "".join(lines)
        assert "banner-admin-secret" not in output and "security_token=token" not in output
        assert str(creds) in output
        assert oct(creds.stat().st_mode & 0o777) == "0o600"
        text = creds.read_text()
        assert "password=password security_token=token" in text and "banner-admin-secret" in text
        url = re.search(r"at (http://\S+)", output).group(1)
        assert requests.get(f"{url}/__admin/users", timeout=10).status_code == 401
    finally:
        process.terminate()
        process.wait(timeout=10)
