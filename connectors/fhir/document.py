"""Reading a FHIR R4 JSON document: one Encounter, or a transaction/message Bundle with Patient + Encounter.

Resources are validated with the ``fhir.resources.R4B`` models (R4B is R4 plus a few fixes; Encounter and
Patient are structurally identical to R4, so R4 senders validate unchanged; the package's default models
are R5 and would reject R4 Encounters, e.g. ``class`` became a list). Errors become ``InputError``
subclasses whose ``location`` is a FHIRPath-style expression (``Bundle.entry[1].resource.period.start``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pydantic
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.encounter import Encounter

from connectors.fhir import codes
from hub.errors import ParseError, UnsupportedMessage, ValidationError

MAX_DEPTH = 64


@dataclass(frozen=True, slots=True)
class Item:
    """One Encounter to map, with its patient (a Patient resource or only a subject identifier)."""

    encounter: Any
    path: str
    patient: Any | None = None
    patient_path: str | None = None
    subject_identifiers: tuple[Any, ...] = ()


@dataclass(frozen=True, slots=True)
class Document:
    """A parsed, validated FHIR document and what the mapping needs from its envelope."""

    data: dict[str, Any]
    kind: str  # "encounter", "transaction" or "message"
    message_id: str
    message_id_given: bool
    system: str
    system_given: bool
    sender_her_id: str | None
    items: list[Item] = field(default_factory=list)


def load_json(payload: bytes) -> dict[str, Any]:
    """Decode UTF-8 JSON to an object with a resourceType; ParseError otherwise."""
    try:
        data = json.loads(payload.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ParseError("FHIR JSON must be UTF-8", code="structure") from exc
    except json.JSONDecodeError as exc:
        raise ParseError(
            f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", code="structure"
        ) from exc
    except RecursionError as exc:
        raise ParseError("JSON nested too deeply", code="structure") from exc
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise ParseError(f"not acceptable JSON: {str(exc)[:80]}", code="structure") from exc
    if not isinstance(data, dict):
        raise ParseError("a FHIR resource must be a JSON object", code="structure")
    if _depth(data) > MAX_DEPTH:
        raise ParseError(f"JSON nested deeper than {MAX_DEPTH} levels", code="structure")
    if not isinstance(data.get("resourceType"), str):
        raise ParseError("resourceType is missing", code="structure", location="resourceType")
    return data


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level)
    return level


def expression(root: str, loc: tuple[int | str, ...]) -> str:
    """pydantic error location → FHIRPath-like expression."""
    out = root
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = {"resource_type": "resourceType", "class_fhir": "class"}.get(part, part)
            out += f".{name}"
    return out


def validate_model(model: Any, data: dict[str, Any], root: str) -> Any:
    """Validate ``data`` with a fhir.resources model; ValidationError naming the first bad element."""
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        where = expression(root, tuple(p for p in first["loc"] if not str(p).startswith("function-")))
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        code = "required" if first["type"] == "missing" else "value"
        raise ValidationError(f"{first['msg']}{more}", code=code, location=where) from exc
    except Exception as exc:
        # fhir.resources/fhir_core raise KeyError, TypeError ... on some malformed input (e.g. an unknown
        # contained resourceType); translate whatever the library throws at this boundary.
        raise ValidationError(
            f"invalid {root}: {type(exc).__name__}: {exc}"[:300], code="value", location=root
        ) from exc


def parse_document(payload: bytes, *, keyed_hash: KeyedHash, default_system: str | None = None) -> Document:
    """Parse and validate; find each Encounter and its patient."""
    data = load_json(payload)
    kind = data["resourceType"]
    if kind == "Encounter":
        return _single(data, default_system, keyed_hash)
    if kind == "Bundle":
        return _bundle(data, default_system, keyed_hash)
    raise UnsupportedMessage(
        f"resourceType {kind[:40]!r} is not accepted (Encounter or Bundle)",
        code="not_supported",
        location="resourceType",
    )


def _meta_tag(resource: Any) -> str | None:
    meta = getattr(resource, "meta", None)
    for tag in (meta.tag or []) if meta is not None else []:
        if tag.system == codes.MESSAGE_ID_TAG and tag.code:
            return str(tag.code)
    return None


KeyedHash = Callable[[str], str]


def content_id(data: dict[str, Any], keyed_hash: KeyedHash) -> str:
    """Id for a document without one: keyed hash (HMAC) of its canonical JSON (whitespace, key order ignored).

    Keyed, because a plain hash of a document whose only secret is a person number could be brute-forced.
    """
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return "hub-" + keyed_hash(canonical)


def _message_id(
    explicit: str | None, root: Any, data: dict[str, Any], keyed_hash: KeyedHash
) -> tuple[str, bool]:
    if explicit:
        if len(explicit) > 200:
            raise ValidationError("message id longer than 200 characters", code="value", location="id")
        return explicit, True
    tagged = _meta_tag(root)
    return (tagged, True) if tagged else (content_id(data, keyed_hash), False)


def _system(candidates: list[str | None], default_system: str | None, where: str) -> tuple[str, bool]:
    for candidate in candidates:
        if candidate:
            return candidate[:100], True
    if default_system:
        return quote(default_system, safe=":/#.-_")[:100], False
    raise ValidationError(
        "the sending system is not named: set meta.source (or MessageHeader.source.name)",
        code="required",
        location=where,
    )


def _single(data: dict[str, Any], default_system: str | None, keyed_hash: KeyedHash) -> Document:
    encounter = validate_model(Encounter, data, "Encounter")
    explicit = None
    if encounter.id and encounter.meta is not None and encounter.meta.versionId:
        explicit = f"Encounter/{encounter.id}/_history/{encounter.meta.versionId}"
    message_id, given = _message_id(explicit, encounter, data, keyed_hash)
    source = encounter.meta.source if encounter.meta is not None else None
    system, system_given = _system([source], default_system, "Encounter.meta.source")
    item = _item(encounter, "Encounter", {}, contained_root="Encounter")
    return Document(data, "encounter", message_id, given, system, system_given, _her(encounter), [item])


def _bundle(data: dict[str, Any], default_system: str | None, keyed_hash: KeyedHash) -> Document:
    bundle = validate_model(Bundle, data, "Bundle")
    if bundle.type not in {"transaction", "message"}:
        raise UnsupportedMessage(
            f"Bundle.type {str(bundle.type)[:30]!r} is not accepted (transaction or message)",
            code="not_supported",
            location="Bundle.type",
        )
    entries = list(bundle.entry or [])
    by_ref: dict[str, tuple[Any, str]] = {}
    for i, entry in enumerate(entries):
        resource = entry.resource
        if resource is None:
            continue
        path = f"Bundle.entry[{i}].resource"
        if entry.fullUrl:
            by_ref[str(entry.fullUrl)] = (resource, path)
        if resource.id:
            by_ref[f"{resource.get_resource_type()}/{resource.id}"] = (resource, path)
    header = None
    if bundle.type == "message":
        first = entries[0].resource if entries else None
        if first is None or first.get_resource_type() != "MessageHeader":
            raise ValidationError(
                "a message Bundle starts with a MessageHeader", code="required", location="Bundle.entry[0]"
            )
        header = first
    explicit = (
        (header.id if header is not None else None)
        or (bundle.identifier.value if bundle.identifier is not None else None)
        or bundle.id
    )
    message_id, given = _message_id(explicit, bundle, data, keyed_hash)
    candidates: list[str | None] = []
    if header is not None and header.source is not None:
        candidates += [header.source.name, header.source.endpoint]
    candidates.append(bundle.meta.source if bundle.meta is not None else None)
    items: list[Item] = []
    for i, entry in enumerate(entries):
        resource = entry.resource
        if resource is not None and resource.get_resource_type() == "Encounter":
            items.append(_item(resource, f"Bundle.entry[{i}].resource", by_ref, contained_root=None))
            candidates.append(resource.meta.source if resource.meta is not None else None)
    if not items:
        raise ValidationError("the Bundle has no Encounter entry", code="required", location="Bundle.entry")
    system, system_given = _system(candidates, default_system, "Bundle.meta.source")
    her = _her_of_identifiers([header.sender.identifier] if header and header.sender else []) or _her(
        items[0].encounter
    )
    return Document(data, str(bundle.type), message_id, given, system, system_given, her, items)


def _item(
    encounter: Any, path: str, by_ref: dict[str, tuple[Any, str]], *, contained_root: str | None
) -> Item:
    subject = encounter.subject
    if subject is None:
        raise ValidationError("Encounter.subject is required", code="required", location=f"{path}.subject")
    identifiers = (subject.identifier,) if subject.identifier is not None else ()
    ref = subject.reference
    if ref:
        ref = str(ref)
        if ref.startswith("#"):
            for i, res in enumerate(encounter.contained or []):
                if res.id == ref[1:] and res.get_resource_type() == "Patient":
                    return Item(encounter, path, res, f"{path}.contained[{i}]", identifiers)
        else:
            found = by_ref.get(ref) or next((v for k, v in by_ref.items() if ref.endswith("/" + k)), None)
            if found is not None and found[0].get_resource_type() == "Patient":
                return Item(encounter, path, found[0], found[1], identifiers)
    if identifiers:
        return Item(encounter, path, None, None, identifiers)
    hint = (
        "a contained Patient (#id) or subject.identifier"
        if contained_root
        else "a Patient entry in the Bundle"
    )
    raise ValidationError(
        f"Encounter.subject does not resolve to a Patient: use {hint}",
        code="required",
        location=f"{path}.subject",
    )


def _her_of_identifiers(identifiers: list[Any]) -> str | None:
    for ident in identifiers:
        if (
            ident is not None
            and ident.system == codes.HER_SYSTEM
            and ident.value
            and str(ident.value).isdigit()
        ):
            return str(ident.value)
    return None


def _her(encounter: Any) -> str | None:
    provider = encounter.serviceProvider
    return _her_of_identifiers([provider.identifier]) if provider is not None else None
