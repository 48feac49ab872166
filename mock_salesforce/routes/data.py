"""The REST API under /services/data: HTTP in and out only; the verbs live on the Org (store.py)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, request

from mock_core.guard import PARSED_JSON
from mock_salesforce import errors as E
from mock_salesforce.wire import load_json_object, sf_json

bp = Blueprint("sf_data", __name__, url_prefix="/services/data")
V = "/v<version:ver>"

MIN_VERSION, MAX_VERSION = 31, 66
SEASONS = ("Winter", "Spring", "Summer")
UPSERT_200_SINCE = 46.0  # from API 46.0 an upsert that updates answers 200 with a body, before 204


def org():
    return current_app.extensions["salesforce_org"]


def actor() -> str:
    return g.sf_user_id


def version_label(major: int) -> str:
    k = major - 59  # 59.0 is Winter '24; three releases a year
    return f"{SEASONS[k % 3]} '{24 + k // 3:02d}"


def _body(what: str = "the sObject") -> dict:
    """The request's JSON object: the edge guard's parse when it made one (issue 9: a body is parsed
    once), else parsed here with Salesforce's parser errors."""
    parsed = request.environ.get(PARSED_JSON)
    if isinstance(parsed, dict):
        return parsed
    return load_json_object(request.get_data(), what)


def check_version(ver: str) -> None:
    major = int(ver.split(".")[0])
    if not MIN_VERSION <= major <= MAX_VERSION or not ver.endswith(".0"):
        raise E.NotFound()


@bp.get("/", strict_slashes=False)
def versions() -> Response:
    """Not authenticated and not counted against the allocation."""
    return sf_json(
        [
            {"label": version_label(v), "url": f"/services/data/v{v}.0", "version": f"{v}.0"}
            for v in range(MIN_VERSION, MAX_VERSION + 1)
        ]
    )


@bp.get(f"{V}/", strict_slashes=False)
def version_root(ver: str) -> Response:
    check_version(ver)
    base = f"/services/data/v{ver}"
    return sf_json(
        {
            name: f"{base}/{name}"
            for name in ("sobjects", "query", "queryAll", "limits", "composite", "search")
        }
    )


@bp.get(f"{V}/limits", strict_slashes=False)
def limits(ver: str) -> Response:
    check_version(ver)
    alloc = org().api_allocation()
    return sf_json(
        {
            "DailyApiRequests": {"Max": alloc["max"], "Remaining": alloc["remaining"]},
            "DailyBulkApiBatches": {"Max": 15000, "Remaining": 15000},
            "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": 10000},
            "DataStorageMB": {"Max": 1024, "Remaining": 1024},
            "FileStorageMB": {"Max": 1024, "Remaining": 1024},
        }
    )


# -- sObjects -------------------------------------------------------------------------------------------
@bp.get(f"{V}/sobjects", strict_slashes=False)
def describe_global(ver: str) -> Response:
    check_version(ver)
    return sf_json(
        {"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": [s.short(ver) for s in org().schemas.values()]}
    )


@bp.route(f"{V}/sobjects/<sobject>", methods=["GET", "POST"], strict_slashes=False)
def sobject_root(ver: str, sobject: str) -> Response:
    check_version(ver)
    svc = org()
    schema = svc.schema(sobject)
    if request.method == "GET":
        return sf_json({"objectDescribe": schema.short(ver), "recentItems": []})
    new_id = svc.create_record(schema.name, _body(), actor())
    return sf_json({"id": new_id, "success": True, "errors": []}, 201)


@bp.get(f"{V}/sobjects/<sobject>/describe", strict_slashes=False)
def describe(ver: str, sobject: str) -> Response:
    check_version(ver)
    return sf_json(org().schema(sobject).describe(ver))


@bp.get(f"{V}/sobjects/<sobject>/updated", strict_slashes=False)
def updated(ver: str, sobject: str) -> Response:
    check_version(ver)
    return sf_json(org().updated(sobject, request.args.get("start"), request.args.get("end")))


@bp.get(f"{V}/sobjects/<sobject>/deleted", strict_slashes=False)
def deleted(ver: str, sobject: str) -> Response:
    check_version(ver)
    return sf_json(org().deleted(sobject, request.args.get("start"), request.args.get("end")))


def _method() -> str:
    """POST with ?_HttpMethod=PATCH is a PATCH (for clients that cannot send PATCH)."""
    if request.method == "POST" and request.args.get("_HttpMethod", "").upper() == "PATCH":
        return "PATCH"
    return "GET" if request.method == "HEAD" else request.method


@bp.route(
    f"{V}/sobjects/<sobject>/<record_id>", methods=["GET", "PATCH", "DELETE", "POST"], strict_slashes=False
)
def record(ver: str, sobject: str, record_id: str) -> Response:
    check_version(ver)
    svc = org()
    schema = svc.schema(sobject)
    method = _method()
    if method == "GET":
        return sf_json(svc.get_record(schema.name, record_id, ver, request.args.get("fields")))
    if method == "PATCH":
        svc.update_record(schema.name, record_id, _body(), actor())
        return Response(status=204)
    if method == "DELETE":
        svc.delete_record(schema.name, record_id, actor())
        return Response(status=204)
    raise E.MethodNotAllowed("HTTP Method 'POST' not allowed. Allowed are HEAD,GET,PATCH,DELETE")


@bp.route(
    f"{V}/sobjects/<sobject>/<field>/<path:value>",
    methods=["GET", "PATCH", "DELETE", "POST"],
    strict_slashes=False,
)
def by_external_id(ver: str, sobject: str, field: str, value: str) -> Response:
    """Get / upsert / delete by an external id field (or `Id`)."""
    check_version(ver)
    svc = org()
    schema = svc.schema(sobject)
    method = _method()
    if method == "GET":
        result = svc.get_by_external(schema.name, field, value, ver, request.args.get("fields"))
        return sf_json(result, 300 if isinstance(result, list) else 200)
    if method == "DELETE":
        several = svc.delete_by_external(schema.name, field, value, actor(), ver)
        return sf_json(several, 300) if several else Response(status=204)
    if method != "PATCH":
        raise E.MethodNotAllowed("HTTP Method 'POST' not allowed. Allowed are HEAD,GET,PATCH,DELETE")
    result = svc.upsert(schema.name, field, value, _body(), actor(), ver)
    if isinstance(result, list):
        return sf_json(result, 300)  # the value matches several records
    record_id, created = result
    modern = float(ver) >= UPSERT_200_SINCE
    body: dict = {"id": record_id, "success": True, "errors": []}
    if created:
        if modern:
            body["created"] = True
        return sf_json(body, 201)
    if modern:
        body["created"] = False
        return sf_json(body, 200)
    return Response(status=204)


# -- query ------------------------------------------------------------------------------------------
def batch_size() -> int:
    """`Sforce-Query-Options: batchSize=N`, clamped to 200..2000 (default 2000)."""
    header = request.headers.get("Sforce-Query-Options", "")
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "batchsize" and value.strip().isdigit():
            return max(200, min(2000, int(value.strip())))
    return 2000


@bp.get(f"{V}/query", strict_slashes=False)
def query(ver: str) -> Response:
    check_version(ver)
    return sf_json(
        org().query(
            request.args.get("q"),
            include_deleted=False,
            batch_size=batch_size(),
            user_id=actor(),
            version=ver,
        )
    )


@bp.get(f"{V}/queryAll", strict_slashes=False)
def query_all(ver: str) -> Response:
    check_version(ver)
    return sf_json(
        org().query(
            request.args.get("q"), include_deleted=True, batch_size=batch_size(), user_id=actor(), version=ver
        )
    )


@bp.get(f"{V}/query/<locator>", strict_slashes=False)
@bp.get(f"{V}/queryAll/<locator>", strict_slashes=False)
def query_more(ver: str, locator: str) -> Response:
    check_version(ver)
    return sf_json(org().query_more(locator, ver))


# -- sObject Collections ---------------------------------------------------------------------------------
def _collection_body() -> tuple[list, bool]:
    data = _body("the collection request")
    records = data.get("records")
    if not isinstance(records, list):
        raise E.JsonParserError("The request body needs a 'records' list")
    all_or_none = data.get("allOrNone", False)
    if not isinstance(all_or_none, bool):
        raise E.JsonParserError("'allOrNone' must be true or false")
    return records, all_or_none


_JSON_TOKENS = {
    int: "VALUE_NUMBER_INT",
    float: "VALUE_NUMBER_FLOAT",
    bool: "VALUE_TRUE",
    type(None): "VALUE_NULL",
    list: "START_ARRAY",
    dict: "START_OBJECT",
}


def _flag(name: str) -> bool:
    value = request.args.get(name, "false").lower()
    if value not in ("true", "false"):
        raise E.SalesforceError(f"'{name}' must be true or false", error_code="INVALID_INPUT")
    return value == "true"


@bp.route(f"{V}/composite/sobjects", methods=["POST", "PATCH", "DELETE"], strict_slashes=False)
def collections(ver: str) -> Response:
    check_version(ver)
    svc = org()
    method = _method()
    if method == "DELETE":
        ids = [i for i in request.args.get("ids", "").split(",") if i]
        if not ids:
            raise E.MissingArgument("The ids parameter is required", fields=[])
        return sf_json(svc.collection_delete(ids, _flag("allOrNone"), actor()))
    records, all_or_none = _collection_body()
    if method == "POST":
        return sf_json(svc.collection_create(records, all_or_none, actor()))
    return sf_json(svc.collection_update(records, all_or_none, actor()))


@bp.route(f"{V}/composite/sobjects/<sobject>", methods=["GET", "POST"], strict_slashes=False)
def collection_retrieve(ver: str, sobject: str) -> Response:
    check_version(ver)
    svc = org()
    if request.method == "GET":
        ids = [i for i in request.args.get("ids", "").split(",") if i]
        fields = request.args.get("fields", "")
    else:
        data = _body("the retrieve request")
        ids, fields = data.get("ids") or [], data.get("fields") or []
        if not isinstance(ids, list) or not isinstance(fields, list):
            raise E.JsonParserError("'ids' and 'fields' must be lists")
        for name, values in (("ids", ids), ("fields", fields)):
            wrong = next((v for v in values if not isinstance(v, str)), ...)
            if wrong is not ...:
                token = _JSON_TOKENS.get(type(wrong), "START_OBJECT")
                raise E.JsonParserError(
                    f"Cannot deserialize instance of string from {token} value in '{name}'", fields=[name]
                )
    if not ids:
        raise E.MissingArgument("The ids parameter is required", fields=[])
    return sf_json(svc.collection_retrieve(sobject, ids, fields, ver))


@bp.route(f"{V}/composite/sobjects/<sobject>/<field>", methods=["PATCH", "POST"], strict_slashes=False)
def collection_upsert(ver: str, sobject: str, field: str) -> Response:
    check_version(ver)
    if _method() != "PATCH":
        raise E.MethodNotAllowed("HTTP Method 'POST' not allowed. Allowed are PATCH")
    records, all_or_none = _collection_body()
    return sf_json(org().collection_upsert(sobject, field, records, all_or_none, actor()))
