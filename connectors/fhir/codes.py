"""Identifier systems (HL7 Norway no-basis) and the code tables the Encounter mapping uses.

Codes are compared case-insensitively and regardless of their ``system``: the HL7 FHIR code systems
(``admit-source``, ``discharge-disposition``) and the hub's Norwegian local words (same words as the HL7 v2
connector) share one table each. Unknown codes never reject a message: from-place UNKNOWN, destination OTHER.
"""

from __future__ import annotations

from connectors.common.places import LOCAL_DESTINATIONS, LOCAL_ORIGINS
from hub.events import Place

FNR_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.1"
DNR_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.2"
PERSON_SYSTEMS = frozenset({FNR_SYSTEM, DNR_SYSTEM})
"""Patient.identifier systems taken as the person number (fødselsnummer, D-nummer)."""
HER_SYSTEM = "urn:oid:2.16.578.1.12.4.1.2"
"""HER-id (Adresseregisteret) of an organisation or service."""
KOMMUNE_SYSTEM = "urn:oid:2.16.578.1.12.4.1.1.3402"
"""Volven code list 3402, kommunenummer."""
KOMMUNE_EXTENSIONS = frozenset(
    {
        "http://hl7.no/fhir/StructureDefinition/no-basis-municipalitycode",
        "https://hl7.no/fhir/StructureDefinition/no-basis-municipalitycode",
    }
)
"""Address extensions (valueCoding, system 3402) that carry the kommunenummer."""
MESSAGE_ID_TAG = "urn:samhandling-hub:message-id"
"""meta.tag system the connector adds when the sender gave no message id (see README)."""

ACUTE_CLASSES = frozenset({"EMER"})
"""Encounter.class codes (v3 ActCode) meaning akutt."""
ACUTE_PRIORITIES = frozenset({"EM", "UR", "S", "A"})
"""Encounter.priority codes (v3 ActPriority: emergency, urgent, stat, ASAP) meaning akutt."""

ADMIT_SOURCE: dict[str, Place] = {
    # http://terminology.hl7.org/CodeSystem/admit-source
    "hosp-trans": Place.HOSPITAL,
    "emd": Place.UNKNOWN,  # via this hospital's emergency department: where from is not said
    "outp": Place.OTHER,
    "born": Place.OTHER,
    "gp": Place.FASTLEGE,
    "mp": Place.FASTLEGE,
    "nursing": Place.SYKEHJEM,
    "psych": Place.HOSPITAL,
    "rehab": Place.OTHER,
    "other": Place.OTHER,
    **LOCAL_ORIGINS,  # the hub's Norwegian codes
}

DISCHARGE_DISPOSITION: dict[str, Place] = {
    # http://terminology.hl7.org/CodeSystem/discharge-disposition
    "home": Place.HOME,
    "alt-home": Place.HOME,
    "other-hcf": Place.OTHER,
    "hosp": Place.OTHER,  # hospice
    "long": Place.SYKEHJEM,  # long-term care
    "aadvice": Place.HOME,  # left against advice
    "exp": Place.DEAD,
    "psy": Place.HOSPITAL,
    "rehab": Place.OTHER,
    "snf": Place.SYKEHJEM,
    "oth": Place.OTHER,
    **LOCAL_DESTINATIONS,  # the hub's Norwegian codes
}
