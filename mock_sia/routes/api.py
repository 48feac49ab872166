"""The `/api/v1` blueprint: parse the request, call a store verb, render JSON. No business rules here."""

from __future__ import annotations

import json
import secrets

from flask import Blueprint, Response, current_app, g, jsonify, request

from mock_sia.backend import SiaService
from mock_sia.contract import OPENAPI_PATH, contract, openapi_document
from mock_sia.errors import BadRequest, Forbidden, NotFound, Unauthorized, ValidationFailed
from mock_sia.store import ListQuery, UserInfo
from mock_sia.wire import LIST_LIMIT_MAX, TASK_STATUSES, decode_cursor, parse_after, parse_date, to_ms
from tasksync_common.instants import parse_instant

__all__ = ["OPENAPI_PATH", "bp", "openapi_document"]


def _svc() -> SiaService:
    return current_app.extensions["sia"]


def _json_body() -> dict:
    """The request's JSON object, parsed once per request (the contract check and the route share it)."""
    parsed = g.get("sia_json_body")
    if parsed is None:
        parsed = g.sia_json_body = _parse_json_body()
    return parsed


def _parse_json_body() -> dict:
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise BadRequest("a JSON object body is required")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"malformed JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object")
    return data


def _bool_arg(name: str, default: bool = False) -> bool:
    value = request.args.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise BadRequest(f"'{name}' must be true or false", field=name)


def _user() -> UserInfo:
    """The user the request acts as (a user token, or the service token with X-SIA-User)."""
    user = g.get("sia_user")
    if user is None:
        raise Forbidden(
            "the service token acts for a user only with the header X-SIA-User: <user id>", field="X-SIA-User"
        )
    return user


bp = Blueprint("sia_api", __name__, url_prefix="/api/v1")


@bp.before_request
def _authenticate() -> None:
    """Bearer tokens: a user's own token, or the service token (which may act for any user)."""
    g.sia_user = None
    g.sia_service = False
    if request.endpoint == "sia_api.openapi":
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send 'Authorization: Bearer <API token>'")
    token = token.strip()
    svc = _svc()
    acting_for = request.headers.get("X-SIA-User")
    if secrets.compare_digest(token.encode(), svc.service_token.encode()):
        g.sia_service = True
        g.sia_principal = "service"
        if acting_for:
            user = svc.store.user_by_id(acting_for)
            if user is None:
                raise NotFound(f"no user {acting_for}", field="X-SIA-User")
            g.sia_user = user
            g.sia_principal = user.id
        return
    user = svc.store.user_by_token(token)
    if user is None:
        raise Unauthorized("unknown or revoked API token")
    if acting_for and acting_for != user.id:
        raise Forbidden("only the service token may act for another user", field="X-SIA-User")
    g.sia_user = user
    g.sia_principal = user.id


@bp.before_request
def _contract() -> None:
    """The request against its operation in openapi.yaml (the one source of truth)."""
    if request.url_rule is None:
        return
    op = contract().operation(request.url_rule.rule, request.method)
    if op is None:
        return
    contract().check_parameters(op, request.args, request.headers, request.view_args or {})
    if op.body is not None and (op.body_required or request.get_data(cache=True).strip()):
        contract().check_body(op, _json_body())


def service_only() -> None:
    if not g.sia_service:
        raise Forbidden("this endpoint needs the service token")


# -- users ---------------------------------------------------------------------------------------
@bp.get("/users/me")
def me():
    return jsonify(_user().to_dict())


@bp.patch("/users/me")
def update_me():
    user = _user()
    return jsonify(_svc().store.update_user(user, _json_body()))


# -- tasks ---------------------------------------------------------------------------------------
@bp.get("/tasks")
def list_tasks():
    args = request.args
    since = args.get("updated_since")
    since_ms = None
    if since:
        try:
            # A '+' of an unencoded offset arrives as a space.
            since_ms = to_ms(parse_instant(since.replace(" ", "+")))
        except ValueError as exc:
            raise BadRequest("'updated_since' must be an ISO-8601 instant", field="updated_since") from exc
    status = args.get("status") or None
    if status is not None and status not in TASK_STATUSES:
        raise BadRequest("'status' must be open or complete", field="status")
    limit_text = args.get("limit") or "100"
    if not limit_text.isascii() or not limit_text.isdigit() or not 1 <= int(limit_text) <= LIST_LIMIT_MAX:
        raise BadRequest(f"'limit' must be a whole number 1..{LIST_LIMIT_MAX}", field="limit")
    cursor = args.get("cursor")
    after = args.get("after")
    query = ListQuery(
        updated_since_ms=since_ms,
        include_deleted=_bool_arg("include_deleted"),
        status=status,
        due_before=parse_date(args.get("due_before") or None, "due_before", BadRequest),
        due_after=parse_date(args.get("due_after") or None, "due_after", BadRequest),
        limit=int(limit_text),
        cursor=decode_cursor(cursor) if cursor else None,
        after=parse_after(after) if after else None,
    )
    data, next_cursor = _svc().store.list_tasks(_user(), query)
    return jsonify({"data": data, "next_cursor": next_cursor})


@bp.post("/tasks")
def create_task():
    user = _user()
    key = request.headers.get("Idempotency-Key")
    task = _svc().store.create_task(user, _json_body(), key)
    response = jsonify(task)
    response.status_code = 201
    response.headers["Location"] = f"/api/v1/tasks/{task['id']}"
    return response


@bp.post("/tasks/batch")
def batch():
    user = _user()
    body = _json_body()
    extra = set(body) - {"operations"}
    if extra:
        raise ValidationFailed(f"unknown field '{sorted(extra)[0]}'", field=sorted(extra)[0])
    return jsonify({"results": _svc().store.batch(user, body.get("operations"))})


@bp.get("/tasks/<task_id:task_id>")
def get_task(task_id: str):
    return jsonify(_svc().store.get_task(_user(), task_id, _bool_arg("include_deleted")))


@bp.patch("/tasks/<task_id:task_id>")
def update_task(task_id: str):
    user = _user()
    return jsonify(_svc().store.update_task(user, task_id, _json_body()))


@bp.delete("/tasks/<task_id:task_id>")
def delete_task(task_id: str):
    _svc().store.delete_task(_user(), task_id)
    return Response(status=204)


# -- the Command Center (R6.1, R6.2) ----------------------------------------------------------------
@bp.get("/command_center")
def command_center():
    return jsonify(_svc().store.command_center(_user()))


# -- settings -------------------------------------------------------------------------------------
@bp.get("/settings/task_sync")
def get_task_sync():
    return jsonify(_svc().store.get_task_sync(_user()))


@bp.put("/settings/task_sync")
def put_task_sync():
    user = _user()
    body = _json_body()
    _no_extra(body, {"enabled"})
    return jsonify(_svc().store.set_task_sync(user, body.get("enabled")))


@bp.get("/settings/salesforce_connection")
def get_salesforce():
    return jsonify(_svc().store.get_salesforce(_user()))


@bp.put("/settings/salesforce_connection")
def put_salesforce():
    user = _user()
    return jsonify(_svc().store.connect_salesforce(user, _json_body()))


@bp.delete("/settings/salesforce_connection")
def delete_salesforce():
    return jsonify(_svc().store.disconnect_salesforce(_user()))


@bp.get("/settings/subject_template")
def get_template():
    _user()
    return jsonify(_svc().store.get_subject_template())


@bp.put("/settings/subject_template")
def put_template():
    user = _user()
    body = _json_body()
    _no_extra(body, {"template"})
    if "template" not in body:
        raise ValidationFailed("'template' is required (null restores the default)", field="template")
    return jsonify(_svc().store.set_subject_template(user, body["template"]))


@bp.post("/settings/subject_template/preview")
def preview_template():
    user = _user()
    body = _json_body()
    _no_extra(body, {"template", "task", "task_id"})
    return jsonify(
        _svc().store.preview_subject(user, body.get("template"), body.get("task"), body.get("task_id"))
    )


# -- service endpoints (the sync) -----------------------------------------------------------------
@bp.get("/service/sync_users")
def sync_users():
    service_only()
    return jsonify({"data": _svc().store.sync_users()})


@bp.get("/service/subject_template")
def service_template():
    service_only()
    template = _svc().store.get_subject_template()
    return jsonify(
        {
            "template": template["template"],
            "is_default": template["is_default"],
            "updated_at": template["updated_at"],
        }
    )


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())


def _no_extra(body: dict, allowed: set[str]) -> None:
    extra = set(body) - allowed
    if extra:
        raise ValidationFailed(f"unknown field '{sorted(extra)[0]}'", field=sorted(extra)[0])
