"""Sync health over the API: the sync reports each user's pass outcome; SIA keeps it for its pages.

PUT /api/v1/service/sync_health/{user_id}   the sync (service token): a user's last pass outcome
GET /api/v1/service/sync_health             the sync (service token): every user's last outcome
GET /api/v1/sync_health                     a user (own token): their own sync health
"""

from __future__ import annotations

import secrets

from flask import Blueprint, current_app, jsonify, request

from mock_sia import health
from mock_sia.backend import SiaService
from mock_sia.errors import Forbidden, NotFound, Unauthorized
from mock_sia.routes.api import _json_body
from mock_sia.store import UserInfo


def _svc() -> SiaService:
    return current_app.extensions["sia"]


def _bearer() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send 'Authorization: Bearer <API token>'")
    return token.strip()


def _service_only() -> None:
    token = _bearer()
    if not secrets.compare_digest(token.encode(), _svc().service_token.encode()):
        if _svc().store.user_by_token(token) is None:
            raise Unauthorized("unknown or revoked API token")
        raise Forbidden("this endpoint needs the service token")


bp = Blueprint("sia_health", __name__, url_prefix="/api/v1")


@bp.put("/service/sync_health/<user_id>")
def report(user_id: str):
    _service_only()
    user = _svc().store.user_by_id(user_id)
    if user is None:
        raise NotFound(f"no user {user_id}", field="user_id")
    return jsonify(health.record(_svc().store, user, _json_body()))


@bp.get("/service/sync_health")
def overview():
    _service_only()
    return jsonify(
        {
            "data": [
                {
                    "user_id": row["user"].id,
                    "email": row["user"].email,
                    "task_sync": row["enabled"],
                    "health": row["health"],
                }
                for row in health.overview(_svc().store)
            ]
        }
    )


@bp.get("/sync_health")
def own():
    token = _bearer()
    user: UserInfo | None = _svc().store.user_by_token(token)
    if user is None:
        raise Unauthorized("unknown or revoked API token")
    return jsonify({"user_id": user.id, "health": health.get(_svc().store, user)})
