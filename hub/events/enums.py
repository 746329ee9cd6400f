"""Closed vocabularies of the canonical events. Values are stable strings (they are Avro enum symbols)."""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    """Every canonical event type (DESIGN §3)."""

    # Hospital stay
    ADMITTED = "ADMITTED"
    TRANSFERRED = "TRANSFERRED"
    DISCHARGED = "DISCHARGED"
    ADMISSION_CANCELLED = "ADMISSION_CANCELLED"
    DISCHARGE_CANCELLED = "DISCHARGE_CANCELLED"
    DIED = "DIED"
    # Utskrivningsklar
    DECLARED_READY = "DECLARED_READY"
    READY_WITHDRAWN = "READY_WITHDRAWN"
    MUNICIPALITY_NOTIFIED = "MUNICIPALITY_NOTIFIED"
    MUNICIPALITY_RESPONDED = "MUNICIPALITY_RESPONDED"
    # Reports
    INNLEGGELSESRAPPORT_SENT = "INNLEGGELSESRAPPORT_SENT"
    UTSKRIVNINGSRAPPORT_SENT = "UTSKRIVNINGSRAPPORT_SENT"
    EPIKRISE_SENT = "EPIKRISE_SENT"
    MESSAGE_REJECTED = "MESSAGE_REJECTED"
    # Documents between kommune and doctors (PLO), not tied to a hospital stay
    MEDISINSKE_OPPLYSNINGER_SENT = "MEDISINSKE_OPPLYSNINGER_SENT"
    HELSEOPPLYSNINGER_LEGE_SENT = "HELSEOPPLYSNINGER_LEGE_SENT"
    # Dialogue (Dialogmelding forespørsel / svar)
    DIALOGUE_QUESTION_SENT = "DIALOGUE_QUESTION_SENT"
    DIALOGUE_ANSWER_SENT = "DIALOGUE_ANSWER_SENT"
    # Municipal beds
    KAD_ADMITTED = "KAD_ADMITTED"
    KAD_DISCHARGED = "KAD_DISCHARGED"
    # Municipal services
    MUNICIPAL_SERVICE_STARTED = "MUNICIPAL_SERVICE_STARTED"
    MUNICIPAL_SERVICE_ENDED = "MUNICIPAL_SERVICE_ENDED"
    # Ambulance
    CALL_RECEIVED = "CALL_RECEIVED"
    DISPATCHED = "DISPATCHED"
    ON_SCENE = "ON_SCENE"
    LEFT_SCENE = "LEFT_SCENE"
    ARRIVED = "ARRIVED"
    CANCELLED = "CANCELLED"
    # Capacity
    BED_CAPACITY_SET = "BED_CAPACITY_SET"
    # Manual
    AVVIK_REPORTED = "AVVIK_REPORTED"


HOSPITAL_STAY_TYPES = frozenset(
    {
        EventType.ADMITTED,
        EventType.TRANSFERRED,
        EventType.DISCHARGED,
        EventType.ADMISSION_CANCELLED,
        EventType.DISCHARGE_CANCELLED,
        EventType.DIED,
    }
)
AMBULANCE_TYPES = frozenset(
    {
        EventType.CALL_RECEIVED,
        EventType.DISPATCHED,
        EventType.ON_SCENE,
        EventType.LEFT_SCENE,
        EventType.ARRIVED,
        EventType.CANCELLED,
    }
)
REPORT_TYPES = frozenset(
    {EventType.INNLEGGELSESRAPPORT_SENT, EventType.UTSKRIVNINGSRAPPORT_SENT, EventType.EPIKRISE_SENT}
)
DOCUMENT_TYPES = frozenset({EventType.MEDISINSKE_OPPLYSNINGER_SENT, EventType.HELSEOPPLYSNINGER_LEGE_SENT})
"""Documents sent outside a hospital stay (the pathway rules do not read them)."""
DIALOGUE_TYPES = frozenset({EventType.DIALOGUE_QUESTION_SENT, EventType.DIALOGUE_ANSWER_SENT})


class SourceKind(StrEnum):
    """Which kind of connector produced the event."""

    HL7V2 = "HL7V2"
    FHIR = "FHIR"
    PLO = "PLO"
    AMBULANCE = "AMBULANCE"
    KPR = "KPR"
    CONFIG = "CONFIG"
    MANUAL = "MANUAL"
    SIMULATOR = "SIMULATOR"


class Sex(StrEnum):
    """Administrative sex as derived from the person number (or stated by the source)."""

    FEMALE = "FEMALE"
    MALE = "MALE"
    UNKNOWN = "UNKNOWN"


class UnitKind(StrEnum):
    """What kind of care unit an organisation entry is."""

    WARD = "WARD"  # sengepost in a hospital
    AKUTTMOTTAK = "AKUTTMOTTAK"
    KAD_SOMATISK = "KAD_SOMATISK"
    KAD_PSYKISK_RUS = "KAD_PSYKISK_RUS"
    SYKESTUE = "SYKESTUE"
    KORTTID = "KORTTID"
    SYKEHJEM = "SYKEHJEM"
    HJEMMETJENESTE = "HJEMMETJENESTE"
    LEGEVAKT = "LEGEVAKT"
    AMK = "AMK"
    OTHER = "OTHER"


MUNICIPAL_BED_KINDS = frozenset(
    {UnitKind.KAD_SOMATISK, UnitKind.KAD_PSYKISK_RUS, UnitKind.SYKESTUE, UnitKind.KORTTID}
)


class Hastegrad(StrEnum):
    """Urgency of a hospital admission."""

    AKUTT = "AKUTT"
    PLANLAGT = "PLANLAGT"


class CareArea(StrEnum):
    """Fagområde of a hospital stay."""

    SOMATIKK = "SOMATIKK"
    PHV = "PHV"  # psykisk helsevern
    TSB = "TSB"  # tverrfaglig spesialisert rusbehandling


class Place(StrEnum):
    """Where a patient comes from or goes to."""

    HOME = "HOME"
    HOME_NURSING = "HOME_NURSING"  # hjem med hjemmesykepleie
    SYKEHJEM = "SYKEHJEM"
    KAD = "KAD"
    SYKESTUE = "SYKESTUE"
    HOSPITAL = "HOSPITAL"  # (an)other hospital
    LEGEVAKT = "LEGEVAKT"
    FASTLEGE = "FASTLEGE"
    AMBULANCE = "AMBULANCE"
    DEAD = "DEAD"
    OTHER = "OTHER"
    UNKNOWN = "UNKNOWN"


MUNICIPAL_CARE_PLACES = frozenset({Place.HOME_NURSING, Place.SYKEHJEM, Place.KAD, Place.SYKESTUE})


class NoticeKind(StrEnum):
    """Which notice the hospital sent the kommune."""

    ADMISSION = "ADMISSION"  # varsel om innlagt pasient / helseopplysninger ved innleggelse
    READY = "READY"  # melding om utskrivningsklar pasient


class ServiceKind(StrEnum):
    """Municipal health and care services (IPLOS tjenestetyper, grouped)."""

    HJEMMESYKEPLEIE = "HJEMMESYKEPLEIE"
    SYKEHJEM_LANGTID = "SYKEHJEM_LANGTID"
    SYKEHJEM_KORTTID = "SYKEHJEM_KORTTID"
    PRAKTISK_BISTAND = "PRAKTISK_BISTAND"
    OTHER = "OTHER"


class AmbulanceHastegrad(StrEnum):
    """AMK urgency: akutt (rød), haster (gul), vanlig (grønn)."""

    AKUTT = "AKUTT"
    HASTER = "HASTER"
    VANLIG = "VANLIG"


class Area(StrEnum):
    """Tettsted (>= 10 000 inhabitants) or rural, for the ambulance response target."""

    TETTSTED = "TETTSTED"
    RURAL = "RURAL"


class CorrectionAction(StrEnum):
    """PLO Forsendelsesstatus (code list 7309) as it affects earlier events."""

    NEW = "NEW"  # N
    REPLACE = "REPLACE"  # M: replaces an earlier message
    CANCEL = "CANCEL"  # C: cancels an earlier message
