"""Code tables the ADT mapping uses: HL7 tables plus the Norwegian local codes the hub defines.

Local codes are upper-case Norwegian words so an integration team can configure them in any EPJ interface
engine; they are documented in ``connectors/hl7v2/README.md``. Codes are compared after ``strip().upper()``.
An unknown code never rejects a message: it maps to ``Place.UNKNOWN`` (from-place) / ``Place.OTHER``
(destination) so that a new local code cannot stop an ADT feed.
"""

from __future__ import annotations

from connectors.common.places import LOCAL_DESTINATIONS, LOCAL_ORIGINS, upper_case
from hub.events import CareArea, Hastegrad, Place, UnitKind

NNNOR = "NNNOR"
"""HL7 table 0203 identifier type: national person identifier of Norway (fødselsnummer and D-nummer)."""

PERSON_ID_AUTHORITIES = frozenset(
    {"2.16.578.1.12.4.1.4.1", "2.16.578.1.12.4.1.4.2", "FNR", "DNR", "FOLKEREGISTERET", "NOR"}
)
"""CX-4 assigning authorities (namespace or OID) naming the person number when no repetition has NNNOR."""

AKUTT_ADMISSION_TYPES = frozenset({"E", "A", "U", "1"})
"""PV1-4 admission type meaning akutt: HL7 table 0007 E (emergency), A (accident), U (urgent), and the
NPR hastegrad code 1 (akutt). Everything else (R, C, L, N, 4 …, empty) is planlagt; an empty PV1-4 with
PV1-2 patient class E (emergency) is akutt."""

ADMIT_SOURCE: dict[str, Place] = {
    # HL7 table 0023 (admit source)
    "1": Place.FASTLEGE,  # physician referral
    "2": Place.OTHER,  # clinic referral
    "3": Place.OTHER,  # HMO referral
    "4": Place.HOSPITAL,  # transfer from a hospital
    "5": Place.SYKEHJEM,  # transfer from a skilled nursing facility
    "6": Place.OTHER,  # transfer from another health care facility
    "7": Place.LEGEVAKT,  # emergency room (outside the hospital: legevakt)
    "8": Place.OTHER,  # court/law enforcement
    "9": Place.UNKNOWN,  # information not available
    **upper_case(LOCAL_ORIGINS),  # the hub's Norwegian codes
}

DISCHARGE_DISPOSITION: dict[str, Place] = {
    # HL7 table 0112 (discharge disposition; UB-92 style codes)
    "01": Place.HOME,  # discharged to home or self care
    "02": Place.HOSPITAL,  # to another short-term general hospital
    "03": Place.SYKEHJEM,  # to a skilled nursing facility
    "04": Place.SYKEHJEM,  # to an intermediate care facility
    "05": Place.OTHER,  # to another type of institution
    "06": Place.HOME_NURSING,  # home under care of a home health service
    "07": Place.HOME,  # left against medical advice
    "20": Place.DEAD,  # expired
    "40": Place.DEAD,  # expired at home
    "41": Place.DEAD,  # expired in a medical facility
    "42": Place.DEAD,  # expired, place unknown
    "43": Place.HOSPITAL,  # to a federal (here: other state) hospital
    "50": Place.HOME_NURSING,  # hospice, home
    "51": Place.OTHER,  # hospice, medical facility
    "62": Place.OTHER,  # rehabilitation facility
    "63": Place.HOSPITAL,  # long-term care hospital
    "65": Place.HOSPITAL,  # psychiatric hospital
    **upper_case(LOCAL_DESTINATIONS),  # the hub's Norwegian codes
}

CARE_AREA: dict[str, CareArea] = {
    # PV1-10 hospital service, Norwegian local codes; anything else is somatikk
    "PHV": CareArea.PHV,
    "PSY": CareArea.PHV,
    "PSYK": CareArea.PHV,
    "TSB": CareArea.TSB,
    "RUS": CareArea.TSB,
}

UNIT_KIND: dict[str, UnitKind] = {
    # PV1-2 patient class (HL7 table 0004)
    "E": UnitKind.AKUTTMOTTAK,
    "I": UnitKind.WARD,
}


def _key(code: str) -> str:
    return code.strip().upper()


def hastegrad(admission_type: str, patient_class: str) -> Hastegrad:
    """PV1-4 (and PV1-2 when PV1-4 is empty) to hastegrad."""
    code = _key(admission_type)
    if code in AKUTT_ADMISSION_TYPES or (not code and _key(patient_class) == "E"):
        return Hastegrad.AKUTT
    return Hastegrad.PLANLAGT


def from_place(admit_source: str) -> Place:
    """PV1-14 admit source to the place the patient came from."""
    return ADMIT_SOURCE.get(_key(admit_source), Place.UNKNOWN)


def destination(disposition: str, *, death_indicator: str = "") -> Place:
    """PV1-36 discharge disposition (else PID-30 death indicator Y) to where the patient went."""
    code = _key(disposition)
    if code:
        return DISCHARGE_DISPOSITION.get(code, Place.OTHER)
    return Place.DEAD if _key(death_indicator) == "Y" else Place.UNKNOWN


def care_area(hospital_service: str) -> CareArea:
    """PV1-10 hospital service to fagområde."""
    return CARE_AREA.get(_key(hospital_service), CareArea.SOMATIKK)


def unit_kind(patient_class: str) -> UnitKind | None:
    """PV1-2 patient class to the kind of unit the patient is in."""
    return UNIT_KIND.get(_key(patient_class))
