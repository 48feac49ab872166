"""Logging in: SOAP partner `login`, OAuth 2 token (password, client_credentials, refresh_token), and the
session check in front of every REST call (401 INVALID_SESSION_ID, 403 REQUEST_LIMIT_EXCEEDED)."""

from __future__ import annotations

import base64
import secrets
import xml.etree.ElementTree as ET
from html import escape

from flask import Blueprint, Response, current_app, g, jsonify, request

from mock_salesforce import errors as E

bp = Blueprint("sf_auth", __name__)


def org():
    return current_app.extensions["salesforce_org"]


def instance_url() -> str:
    """The org's instance base URL: configured, or (server mode, INSTANCE_URL=None) the request's host."""
    return org().instance_url or request.host_url.rstrip("/")


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    for scheme in ("Bearer ", "OAuth "):
        if header.startswith(scheme):
            return header[len(scheme) :].strip() or None
    return None


def check_rest_call(svc=None) -> None:
    """Before every /services/data/vNN.N call: a live session, then one unit of the API allocation."""
    svc = svc or org()
    user_id = svc.authenticate(bearer_token())
    flask_g = g._get_current_object()  # one proxy lookup (issue 9)
    flask_g.sf_user_id = user_id
    svc.count_api_call()
    flask_g.sf_counted = True


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


@bp.post("/services/Soap/u/<ver>", strict_slashes=False)
@bp.post("/services/Soap/u/<ver>/<path:_rest>", strict_slashes=False)
def soap_login(ver: str, _rest: str | None = None) -> Response:
    """SOAP partner login: username + password + security token -> sessionId and serverUrl."""
    try:
        root = ET.fromstring(request.get_data())
    except ET.ParseError as exc:
        raise E.LoginFault(f"Could not parse the SOAP envelope: {exc}", error_code="INVALID_REQUEST") from exc
    fields = {_local(el.tag): (el.text or "") for el in root.iter()}
    if "logout" in fields:
        return _soap_logout(fields.get("sessionId", "").strip())
    if "login" not in fields:
        raise E.LoginFault(
            "Only the login call is emulated on the SOAP endpoint", error_code="UNSUPPORTED_API_CALL"
        )
    username, password = fields.get("username", ""), fields.get("password", "")
    svc = org()
    user_id = svc.check_password(username, password)
    if user_id is None:
        raise E.LoginFault()
    session_id = svc.new_session(user_id)
    base = instance_url()
    org_id = svc.org_id
    user = next(u for u in svc.list_users() if u["Id"] == user_id)
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<soapenv:Body><loginResponse><result>"
        f"<metadataServerUrl>{base}/services/Soap/m/{escape(ver)}/{org_id[:15]}</metadataServerUrl>"
        "<passwordExpired>false</passwordExpired><sandbox>false</sandbox>"
        f"<serverUrl>{base}/services/Soap/u/{escape(ver)}/{org_id[:15]}</serverUrl>"
        f"<sessionId>{escape(session_id)}</sessionId><userId>{user_id}</userId>"
        "<userInfo>"
        f"<organizationId>{org_id}</organizationId><organizationName>Mock Org</organizationName>"
        f"<userEmail>{escape(user['Email'])}</userEmail><userFullName>{escape(user['Name'])}</userFullName>"
        f"<userId>{user_id}</userId><userName>{escape(user['Username'])}</userName>"
        f"<userTimeZone>{escape(user['TimeZoneSidKey'])}</userTimeZone>"
        "</userInfo></result></loginResponse></soapenv:Body></soapenv:Envelope>"
    )
    return Response(body, status=200, content_type="text/xml;charset=UTF-8")


def _soap_logout(session_id: str) -> Response:
    """SOAP `logout`: ends the session of the SessionHeader; an unknown one is INVALID_SESSION_ID."""
    if not session_id or not org().revoke(session_id):
        raise E.LoginFault(
            "Invalid Session ID found in SessionHeader: Illegal Session", error_code="INVALID_SESSION_ID"
        )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns="urn:partner.soap.sforce.com"><soapenv:Body><logoutResponse/></soapenv:Body></soapenv:Envelope>'
    )
    return Response(body, status=200, content_type="text/xml;charset=UTF-8")


@bp.route("/services/oauth2/revoke", methods=["GET", "POST"], strict_slashes=False)
def oauth_revoke() -> Response:
    """Revoke an access or refresh token (`token=`): 200 with an empty body; afterwards the session is
    refused (401 INVALID_SESSION_ID, which simple-salesforce raises as SalesforceExpiredSession)."""
    token = (request.form.get("token") or request.args.get("token") or "").strip()
    if not token:
        raise E.OAuthError("invalid_request", "token is required")
    if not org().revoke(token):
        raise E.OAuthError("unsupported_token_type", "this token type is not supported")
    return Response(status=200)


@bp.post("/services/oauth2/token", strict_slashes=False)
def oauth_token() -> Response:
    """OAuth 2 token endpoint. Any client id/secret is accepted (no connected apps are declared)."""
    form = request.form
    grant = form.get("grant_type")
    svc = org()
    refresh = None
    if grant == "password":
        if not form.get("client_id"):
            raise E.OAuthError("invalid_client_id", "client identifier invalid")
        # The password grant takes the password, with or without the security token appended.
        user_id = svc.check_password(form.get("username", ""), form.get("password", ""), token_optional=True)
        if user_id is None:
            raise E.OAuthError("invalid_grant", "authentication failure")
        refresh = svc.new_refresh_token(user_id)
    elif grant == "client_credentials":
        client_id = form.get("client_id")
        auth = request.headers.get("Authorization", "")
        if not client_id and auth.startswith("Basic "):
            try:
                client_id = base64.b64decode(auth[6:]).decode().split(":", 1)[0]
            except (ValueError, UnicodeDecodeError):
                client_id = None
        if not client_id:
            raise E.OAuthError("invalid_client_id", "client identifier invalid")
        user_id = svc.default_user()["Id"]  # the connected app's "run as" user
    elif grant == "refresh_token":
        user_id = svc.refresh_token_user(form.get("refresh_token", ""))
        if user_id is None:
            raise E.OAuthError("invalid_grant", "expired access/refresh token")
    elif not grant:
        raise E.OAuthError("invalid_request", "grant type is required")
    else:
        raise E.OAuthError("unsupported_grant_type", "grant type not supported")
    base = instance_url()
    body = {
        "access_token": svc.new_session(user_id),
        "instance_url": base,
        "id": f"https://login.salesforce.com/id/{svc.org_id}/{user_id}",
        "token_type": "Bearer",
        "issued_at": str(int(svc.clock.now().timestamp() * 1000)),
        "signature": base64.b64encode(secrets.token_bytes(32)).decode(),
        "scope": "api refresh_token",
    }
    if refresh:
        body["refresh_token"] = refresh
    return jsonify(body)
