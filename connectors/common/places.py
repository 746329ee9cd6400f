"""The hub's own Norwegian place codes, accepted beside each standard's table (HL7 0023/0112, FHIR
admit-source/discharge-disposition) for where a patient comes from or goes to."""

from __future__ import annotations

from hub.events import Place

_BOTH: dict[str, Place] = {
    "hjem": Place.HOME,
    "hjspl": Place.HOME_NURSING,
    "hjemmesykepleie": Place.HOME_NURSING,
    "sykehjem": Place.SYKEHJEM,
    "kad": Place.KAD,
    "ohd": Place.KAD,
    "sykestue": Place.SYKESTUE,
    "sykehus": Place.HOSPITAL,
    "annet": Place.OTHER,
}

LOCAL_ORIGINS: dict[str, Place] = {
    **_BOTH,
    "legevakt": Place.LEGEVAKT,
    "fastlege": Place.FASTLEGE,
    "ambulanse": Place.AMBULANCE,
}
"""Where a patient came from (lower case)."""

LOCAL_DESTINATIONS: dict[str, Place] = {**_BOTH, "dod": Place.DEAD, "død": Place.DEAD}
"""Where a patient went (lower case)."""


def upper_case(codes: dict[str, Place]) -> dict[str, Place]:
    """The same codes in upper case (HL7 v2 sends codes upper case)."""
    return {code.upper(): place for code, place in codes.items()}
