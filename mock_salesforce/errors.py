"""The one error hierarchy of the Salesforce org emulator, rendered in Salesforce's wire formats.

REST errors are a JSON list `[{"message", "errorCode", "fields"}]` (simple-salesforce reads
`result.json()[0]['errorCode']` on a 401); sObject Collections report per-record errors with
`statusCode`; OAuth errors are `{"error", "error_description"}` objects; SOAP login faults carry
`sf:exceptionCode` / `sf:exceptionMessage`. Every user mistake is one of these — never a 500.
"""

from __future__ import annotations

from html import escape
from typing import Any

from flask import Response, jsonify

JSON_CONTENT_TYPE = "application/json;charset=UTF-8"


class SalesforceError(Exception):
    """Base of every error the org answers with. Carries the HTTP status, errorCode, message, fields."""

    status = 400
    error_code = "UNKNOWN_EXCEPTION"
    default_message = "An unexpected error occurred."

    def __init__(
        self,
        message: str | None = None,
        *,
        fields: list[str] | None = None,
        status: int | None = None,
        error_code: str | None = None,
    ) -> None:
        self.message = message if message is not None else self.default_message
        super().__init__(self.message)
        self.fields = fields
        if status is not None:
            self.status = status
        if error_code is not None:
            self.error_code = error_code

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message, "errorCode": self.error_code}
        if self.fields is not None:
            out["fields"] = list(self.fields)
        return out

    def to_record_error(self) -> dict[str, Any]:
        """The per-record form used by sObject Collections (statusCode, not errorCode)."""
        return {"statusCode": self.error_code, "message": self.message, "fields": list(self.fields or [])}

    def render(self) -> Response:
        response = jsonify([self.to_dict()])
        response.status_code = self.status
        response.content_type = JSON_CONTENT_TYPE
        return response


class InvalidSession(SalesforceError):
    status = 401
    error_code = "INVALID_SESSION_ID"
    default_message = "Session expired or invalid"


class RequestLimitExceeded(SalesforceError):
    status = 403
    error_code = "REQUEST_LIMIT_EXCEEDED"
    default_message = "TotalRequests Limit exceeded."


class InsufficientAccess(SalesforceError):
    status = 403
    error_code = "INSUFFICIENT_ACCESS_OR_READONLY"
    default_message = "insufficient access rights on object id"


class NotFound(SalesforceError):
    status = 404
    error_code = "NOT_FOUND"
    default_message = "The requested resource does not exist"


class ExternalIdNotFound(NotFound):
    """A path segment that is neither a record id of the object nor an external id field."""

    def __init__(self, segment: str) -> None:
        super().__init__(f"Provided external ID field does not exist or is not accessible: {segment}")


class EntityIsDeleted(SalesforceError):
    status = 404
    error_code = "ENTITY_IS_DELETED"
    default_message = "entity is deleted"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, fields=[])


class InvalidQueryLocator(SalesforceError):
    status = 404
    error_code = "INVALID_QUERY_LOCATOR"
    default_message = "invalid query locator"


class MethodNotAllowed(SalesforceError):
    status = 405
    error_code = "METHOD_NOT_ALLOWED"


class MalformedId(SalesforceError):
    error_code = "MALFORMED_ID"

    def __init__(self, value: object, *, fields: list[str] | None = None, message: str | None = None) -> None:
        super().__init__(message or f"malformed id {value}", fields=fields)


class InvalidField(SalesforceError):
    error_code = "INVALID_FIELD"


class InvalidFieldForInsertUpdate(SalesforceError):
    error_code = "INVALID_FIELD_FOR_INSERT_UPDATE"

    @classmethod
    def for_fields(cls, names: list[str]) -> InvalidFieldForInsertUpdate:
        joined = ", ".join(names)
        return cls(
            f"Unable to create/update fields: {joined}. Please check the security settings of this field "
            "and verify that it is read/write for your profile or permission set.",
            fields=names,
        )


class StringTooLong(SalesforceError):
    error_code = "STRING_TOO_LONG"


class RestrictedPicklist(SalesforceError):
    error_code = "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"


class RequiredFieldMissing(SalesforceError):
    error_code = "REQUIRED_FIELD_MISSING"

    def __init__(self, names: list[str]) -> None:
        super().__init__(f"Required fields are missing: [{', '.join(names)}]", fields=names)


class JsonParserError(SalesforceError):
    error_code = "JSON_PARSER_ERROR"


class InvalidCrossReference(SalesforceError):
    error_code = "INVALID_CROSS_REFERENCE_KEY"


class InactiveOwner(SalesforceError):
    error_code = "INACTIVE_OWNER_OR_USER"


class DuplicateValue(SalesforceError):
    error_code = "DUPLICATE_VALUE"


class DuplicateExternalId(SalesforceError):
    error_code = "DUPLICATE_EXTERNAL_ID"


class MissingArgument(SalesforceError):
    error_code = "MISSING_ARGUMENT"


class InvalidType(SalesforceError):
    error_code = "INVALID_TYPE"


class MalformedQuery(SalesforceError):
    error_code = "MALFORMED_QUERY"


class InvalidReplicationDate(SalesforceError):
    error_code = "INVALID_REPLICATION_DATE"


class ExceededIdLimit(SalesforceError):
    error_code = "EXCEEDED_ID_LIMIT"


class RolledBack(SalesforceError):
    error_code = "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    default_message = (
        "Record rolled back because not all records were valid and the request was using AllOrNone header"
    )


class OAuthError(SalesforceError):
    """Errors of /services/oauth2/token: a JSON object, not a list."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description, status=status, error_code=error)

    def render(self) -> Response:
        response = jsonify({"error": self.error_code, "error_description": self.message})
        response.status_code = self.status
        return response


class LoginFault(SalesforceError):
    """SOAP login faults (HTTP 500, `sf:exceptionCode` / `sf:exceptionMessage`)."""

    status = 500
    error_code = "INVALID_LOGIN"
    default_message = "Invalid username, password, security token; or user locked out."

    def render(self) -> Response:
        code, message = escape(self.error_code), escape(self.message)
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:sf="urn:fault.partner.soap.sforce.com" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            "<soapenv:Body><soapenv:Fault>"
            f"<faultcode>{code}</faultcode><faultstring>{code}: {message}</faultstring>"
            '<detail><sf:LoginFault xsi:type="sf:LoginFault">'
            f"<sf:exceptionCode>{code}</sf:exceptionCode><sf:exceptionMessage>{message}</sf:exceptionMessage>"
            "</sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"
        )
        return Response(body, status=self.status, content_type="text/xml;charset=UTF-8")


STATUS_DEFAULT_CODES = {
    400: "BAD_REQUEST",
    401: "INVALID_SESSION_ID",
    403: "REQUEST_LIMIT_EXCEEDED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    412: "PRECONDITION_FAILED",
    500: "UNKNOWN_EXCEPTION",
    502: "SERVER_UNAVAILABLE",
    503: "SERVER_UNAVAILABLE",
}
