"""The org's additions to the /__admin control plane (the core one is mock_core.service.admin_blueprint).

GET  /__admin/org                         org id, instance URL, users, allocation, custom fields
GET  /__admin/recycle-bin                 deleted tasks still restorable
POST /__admin/recycle-bin/restore         {"ids": [...]} (or {"id": "00T..."}) -> undelete
POST /__admin/recycle-bin/purge           empty the bin now
POST /__admin/sessions/expire             end every session (clients get 401 INVALID_SESSION_ID)
GET|POST /__admin/api-allocation          {"max": 15000, "used": 0}
GET|POST /__admin/fields                  declare a custom text field on Task
POST /__admin/picklists/<Status|Priority> {"values": [...], "restricted": true, "default": "..."}
POST /__admin/users/<id or username>      {"IsActive": false}
POST /__admin/sessions                    {"user": "admin@example.com"} -> {"session_id", "instance_url"}
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from mock_core.errors import AdminError, MockCoreError
from mock_core.service import json_body as body

bp = Blueprint("sf_admin", __name__, url_prefix="/__admin")


def org():
    return current_app.extensions["salesforce_org"]


@bp.errorhandler(MockCoreError)
def _error(exc: MockCoreError):
    return jsonify(exc.to_dict()), exc.status


@bp.get("/org")
def org_info():
    svc = org()
    return jsonify(
        {
            "org_id": svc.org_id,
            "instance_url": svc.instance_url or request.host_url.rstrip("/"),
            "users": svc.list_users(),
            "api_allocation": svc.api_allocation(),
            "custom_fields": [f.describe() for f in svc.schemas["task"].fields if f.custom],
            "picklists": svc.picklists,
        }
    )


@bp.get("/recycle-bin")
def recycle_bin():
    return jsonify({"records": org().recycle_bin()})


@bp.post("/recycle-bin/restore")
def restore():
    data = body()
    ids = data.get("ids") or ([data["id"]] if data.get("id") else [])
    if not ids or not isinstance(ids, list):
        raise AdminError("give 'ids' (a list) or 'id'")
    return jsonify({"restored": org().restore(ids)})


@bp.post("/recycle-bin/purge")
def purge():
    return jsonify({"purged": org().purge_recycle_bin()})


@bp.post("/sessions/expire")
def expire_sessions():
    return jsonify({"expired": org().expire_sessions()})


@bp.post("/sessions")
def new_session():
    svc = org()
    user = body().get("user")
    return jsonify(
        {
            "session_id": svc.new_session(user),
            "instance_url": svc.instance_url or request.host_url.rstrip("/"),
        }
    ), 201


@bp.get("/api-allocation")
def api_allocation():
    return jsonify(org().api_allocation())


@bp.post("/api-allocation")
def set_api_allocation():
    data = body()
    try:
        return jsonify(org().set_api_allocation(data.get("max"), data.get("used")))
    except (TypeError, ValueError) as exc:
        raise AdminError("'max' and 'used' must be whole numbers") from exc


@bp.get("/fields")
def fields():
    return jsonify({"fields": [f.describe() for f in org().schemas["task"].fields if f.custom]})


@bp.post("/fields")
def declare_field():
    data = body()
    name = data.get("name")
    if not isinstance(name, str):
        raise AdminError("'name' is required, e.g. My_Field__c")
    try:
        described = org().declare_field(
            data.get("sobject", "Task"),
            name,
            label=data.get("label"),
            length=int(data.get("length", 255)),
            external_id=bool(data.get("externalId", data.get("external_id", False))),
            unique=bool(data.get("unique", False)),
            case_sensitive=bool(data.get("caseSensitive", data.get("case_sensitive", False))),
        )
    except (TypeError, ValueError) as exc:
        raise AdminError("'length' must be a whole number") from exc
    return jsonify(described), 201


@bp.post("/picklists/<name>")
def picklist(name: str):
    data = body()
    return jsonify(
        org().configure_picklist(
            name,
            values=data.get("values"),
            restricted=data.get("restricted"),
            default=data.get("default"),
            closed=data.get("closed"),
            high=data.get("high"),
        )
    )


@bp.post("/users/<ref>")
def update_user(ref: str):
    data = {k.lower(): v for k, v in body().items()}
    if not data or set(data) - {"isactive", "password"}:
        raise AdminError("only 'IsActive' and 'Password' can be changed")
    user = None
    if "password" in data:  # e.g. the user's password changed: a connected sync's login is now refused
        if not isinstance(data["password"], str) or not data["password"]:
            raise AdminError("'Password' must be a non-empty string")
        user = org().set_user_password(ref, data["password"])
    if "isactive" in data:
        user = org().set_user_active(ref, bool(data["isactive"]))
    return jsonify(user)
