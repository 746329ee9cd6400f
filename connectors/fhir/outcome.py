"""FHIR responses: OperationOutcome for errors and information, transaction-response Bundles."""

from __future__ import annotations

from typing import Any

from hub.errors import InputError, ParseError, UnsupportedMessage

ISSUE_TYPE = {
    # InputError.code -> FHIR issue-type
    "structure": "structure",
    "required": "required",
    "value": "value",
    "identity": "value",
    "not_supported": "not-supported",
}


def operation_outcome(
    severity: str, code: str, diagnostics: str, expression: str | None = None
) -> dict[str, Any]:
    """An OperationOutcome with one issue."""
    issue: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": diagnostics}
    if expression:
        issue["expression"] = [expression]
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def status_for(error: InputError) -> int:
    """HTTP status for a rejected document: 400 not well-formed, 422 invalid or unsupported content."""
    return 400 if isinstance(error, ParseError) else 422


def outcome_for(error: InputError) -> dict[str, Any]:
    """The OperationOutcome that says what is wrong and where."""
    default = "not-supported" if isinstance(error, UnsupportedMessage) else "invalid"
    return operation_outcome("error", ISSUE_TYPE.get(error.code, default), str(error), error.location)


def transaction_response(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """A transaction-response Bundle: one ``201 Created`` per request entry."""
    response_entries = []
    for entry in entries:
        request = entry.get("request") if isinstance(entry, dict) else None
        url = request.get("url") if isinstance(request, dict) else None
        response: dict[str, Any] = {"status": "201 Created"}
        if isinstance(url, str) and url:
            response["location"] = url
        response_entries.append({"response": response})
    return {"resourceType": "Bundle", "type": "transaction-response", "entry": response_entries}
