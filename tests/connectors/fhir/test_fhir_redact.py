"""FHIR redaction keeps what the mapping reads and removes person numbers, names, addresses and phones."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.fhir.format import FORMAT
from tests.connectors.fhir.fhir_samples import DNR, DNR_SYSTEM, FNR, bundle, context, dumps, encounter

SECRETS = (
    FNR,
    "Nordmann",
    '"Ola"',
    "Kari",
    "+4791234567",
    "Storgata",
    "Steinkjer",
    "7713",
    "1938-02-11",
    "MRN-777",
)


def _redacted(document: dict[str, Any]) -> bytes:
    return FORMAT.accept(dumps(document), context()).redacted


def test_redacted_encounter_has_no_identifying_data() -> None:
    """No person number, name, phone, street, city, postal code, full birth date or local id survives."""
    redacted = _redacted(encounter())
    for secret in (*SECRETS, "Lise Lege"):
        assert secret.encode() not in redacted, secret
    assert b"PSN1.dev1." in redacted


def test_redacted_bundle_has_no_identifying_data() -> None:
    """The same holds for a message Bundle (MessageHeader author dropped too)."""
    redacted = _redacted(bundle("message", encounters=2))
    for secret in (*SECRETS, "Lise Lege"):
        assert secret.encode() not in redacted, secret


def test_redaction_keeps_year_kommune_and_stay() -> None:
    """Birth year, kommunenummer, episode and location survive, and the result is still valid FHIR."""
    data = json.loads(_redacted(encounter()))
    patient = data["contained"][0]
    assert patient["birthDate"] == "1938"
    assert patient["address"] == [{"district": "5006", "use": "home"}]
    assert data["identifier"][0]["value"] == "V-2024-0042"
    assert "participant" not in data
    assert "display" not in data["subject"]


def test_redaction_is_idempotent() -> None:
    """Accepting the redacted document again gives the same bytes and events."""
    first = FORMAT.accept(dumps(encounter(version=None)), context())
    second = FORMAT.accept(first.redacted, context())
    assert second.redacted == first.redacted
    assert list(second.events) == list(first.events)


@settings(max_examples=120, deadline=None)
@given(
    status=st.sampled_from(["arrived", "in-progress", "finished", "cancelled", "planned"]),
    class_code=st.sampled_from(["EMER", "IMP", "AMB"]),
    admit=st.sampled_from([None, "gp", "hjem", "zz"]),
    disposition=st.sampled_from([None, "home", "exp", "kad"]),
    version=st.sampled_from([None, "1", "7"]),
    d_number=st.booleans(),
    as_bundle=st.sampled_from([None, "transaction", "message"]),
    district=st.sampled_from(["5006", "0301", None, "Innherred"]),
)
def test_to_events_of_redacted_equals_events(  # noqa: PLR0917 - one argument per generated field
    status: str,
    class_code: str,
    admit: str | None,
    disposition: str | None,
    version: str | None,
    d_number: bool,
    as_bundle: str | None,
    district: str | None,
) -> None:
    """For any mapped document, to_events(accept(p).redacted) equals accept(p).events and hides the number."""
    if as_bundle:
        doc = bundle(as_bundle, encounters=2)
        patient = doc["entry"][1 if as_bundle == "message" else 0]["resource"]
    else:
        doc = encounter(
            status,
            class_code=class_code,
            admit_source=admit,
            disposition=disposition,
            version=version,
            end="2024-03-05T12:00:00+01:00",
        )
        patient = doc["contained"][0]
    if d_number:
        patient["identifier"][0] = {"system": DNR_SYSTEM, "value": DNR}
    if district is None:
        del patient["address"][0]["district"]
    else:
        patient["address"][0]["district"] = district
    accepted = FORMAT.accept(dumps(doc), context())
    assert FORMAT.to_events(accepted.redacted, context()) == list(accepted.events)
    assert (DNR if d_number else FNR).encode() not in accepted.redacted
    assert b"Nordmann" not in accepted.redacted
