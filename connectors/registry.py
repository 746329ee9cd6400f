"""The formats the hub knows, by name; loaded lazily so one broken format cannot hide the others."""

from __future__ import annotations

import importlib
from functools import cache

from connectors.formats import MessageFormat
from hub.errors import UnsupportedMessage

FORMAT_MODULES: dict[str, str] = {
    "hl7v2": "connectors.hl7v2.format",
    "fhir": "connectors.fhir.format",
    "plo": "connectors.plo.format",
    "ambulance": "connectors.ambulance.format",
    "kpr": "connectors.kpr.format",
}


@cache
def get_format(name: str) -> MessageFormat:
    """The format called ``name`` (``hl7v2``, ``fhir``, ``plo``, ``ambulance``, ``kpr``)."""
    try:
        module = importlib.import_module(FORMAT_MODULES[name])
    except KeyError as exc:
        raise UnsupportedMessage(f"unknown format {name!r}; known: {', '.join(FORMAT_MODULES)}") from exc
    fmt = module.FORMAT
    if not isinstance(fmt, MessageFormat):
        raise TypeError(f"{FORMAT_MODULES[name]}.FORMAT does not implement MessageFormat")
    return fmt


def all_formats() -> list[MessageFormat]:
    """Every format, in detection order (most specific first)."""
    return [get_format(name) for name in FORMAT_MODULES]


def detect(payload: bytes) -> MessageFormat:
    """The format ``payload`` is in; :class:`UnsupportedMessage` when none recognises it."""
    for fmt in all_formats():
        if fmt.detect(payload):
            return fmt
    raise UnsupportedMessage(
        "format not recognised: expected HL7 v2 (MSH), FHIR JSON (resourceType), ELIN XML (MsgHead), "
        "AMK mission JSON or KPR extract (IPLOS XML or CSV)"
    )
