"""Type-specific bodies of canonical events. ``BODY_FOR_TYPE`` says which body each event type carries."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from hub.events.enums import (
    AmbulanceHastegrad,
    Area,
    CareArea,
    EventType,
    Hastegrad,
    NoticeKind,
    Place,
    ServiceKind,
    UnitKind,
)
from hub.events.parts import KOMMUNENUMMER, Part


class Admission(Part):
    """ADMITTED: a hospital stay (episode) starts."""

    episode_id: str = Field(
        min_length=1, description="Hospital stay id (HL7 PV1-19 visit number, FHIR Encounter id)"
    )
    hastegrad: Hastegrad = Hastegrad.AKUTT
    from_place: Place = Place.UNKNOWN
    care_area: CareArea = CareArea.SOMATIKK
    tvang: bool = False


class Transfer(Part):
    """TRANSFERRED: the patient moves between units in the same stay."""

    episode_id: str = Field(min_length=1)
    from_unit_id: str | None = None
    to_unit_id: str | None = None


class Discharge(Part):
    """DISCHARGED: the hospital stay ends."""

    episode_id: str = Field(min_length=1)
    destination: Place = Place.UNKNOWN


class EpisodeRef(Part):
    """Body of events that only name the hospital stay they concern."""

    episode_id: str = Field(min_length=1)


class Death(Part):
    """DIED: orientering om dødsfall; the stay (if any) ends."""

    episode_id: str | None = None


class Notice(Part):
    """MUNICIPALITY_NOTIFIED: the hospital told the kommune of an admission or of utskrivningsklar."""

    episode_id: str = Field(min_length=1)
    notice: NoticeKind
    kommunenummer: str | None = Field(default=None, pattern=KOMMUNENUMMER)


class Response(Part):
    """MUNICIPALITY_RESPONDED: the kommune can (from ``receive_date``) or cannot receive the patient."""

    episode_id: str = Field(min_length=1)
    can_receive: bool
    receive_date: date | None = None
    kommunenummer: str | None = Field(default=None, pattern=KOMMUNENUMMER)


class Report(Part):
    """INNLEGGELSESRAPPORT_SENT, UTSKRIVNINGSRAPPORT_SENT, EPIKRISE_SENT; MEDISINSKE_OPPLYSNINGER_SENT and
    HELSEOPPLYSNINGER_LEGE_SENT (no stay: ``episode_id`` empty)."""

    episode_id: str | None = None
    document_id: str | None = None


class Dialogue(Part):
    """DIALOGUE_QUESTION_SENT / DIALOGUE_ANSWER_SENT: one message of a conversation (Dialogmelding).

    A question opens a conversation; an answer names the question it answers (``in_reply_to``), so the time
    to answer is the answer's event time minus the question's.
    """

    conversation_id: str = Field(
        min_length=1, description="MsgHead ConversationRef/RefToConversation, else the question's message id"
    )
    in_reply_to: str | None = Field(
        default=None, description="Message id of the question answered (MsgHead ConversationRef/RefToParent)"
    )
    topic_code: str | None = Field(
        default=None, description="Type of question, code list 9152 (TypeForesp), e.g. 99 annen henvendelse"
    )
    receiver_her_id: str | None = Field(default=None, description="HER-id of the receiving organisation")


class Rejection(Part):
    """MESSAGE_REJECTED: an AppRec with status 2 (avvist) for a samhandling message."""

    rejected_message_id: str = Field(min_length=1)
    message_type: str | None = Field(default=None, description="e.g. LOG_UTSKRIVNINGSKLAR, EPIKRISE")
    error_code: str | None = Field(default=None, description="Code list 8221 error code")
    reason: str | None = None
    episode_id: str | None = None


class KadAdmission(Part):
    """KAD_ADMITTED: admission to a municipal acute bed (KAD/ØHD), sykestue or korttid."""

    stay_id: str = Field(min_length=1)
    bed_kind: UnitKind = UnitKind.KAD_SOMATISK
    referred_by: Place = Place.UNKNOWN


class KadDischarge(Part):
    """KAD_DISCHARGED: the municipal bed stay ends."""

    stay_id: str = Field(min_length=1)
    destination: Place = Place.UNKNOWN


class MunicipalService(Part):
    """MUNICIPAL_SERVICE_STARTED / ENDED: the kommune serves (or stops serving) the patient."""

    service_id: str = Field(min_length=1)
    service: ServiceKind


class Mission(Part):
    """Ambulance mission status events (AMK)."""

    mission_id: str = Field(min_length=1)
    hastegrad: AmbulanceHastegrad
    area: Area
    destination: Place | None = Field(
        default=None, description="On ARRIVED: akuttmottak (HOSPITAL), KAD, LEGEVAKT"
    )
    destination_unit_id: str | None = None


class Capacity(Part):
    """BED_CAPACITY_SET: a unit has ``beds`` beds from ``valid_from``."""

    unit_id: str = Field(min_length=1)
    unit_kind: UnitKind
    beds: int = Field(ge=0, le=10_000)
    valid_from: date


class ManualAvvik(Part):
    """AVVIK_REPORTED: a deviation filed by staff."""

    category: str = Field(min_length=1, max_length=100)
    text: str = Field(min_length=1, max_length=4000)
    reported_by: str | None = Field(default=None, description="Role or unit, never a person's name")


Body = (
    Admission
    | Transfer
    | Discharge
    | EpisodeRef
    | Death
    | Notice
    | Response
    | Report
    | Dialogue
    | Rejection
    | KadAdmission
    | KadDischarge
    | MunicipalService
    | Mission
    | Capacity
    | ManualAvvik
)

BODY_TYPES: tuple[type[Part], ...] = (
    Admission,
    Transfer,
    Discharge,
    EpisodeRef,
    Death,
    Notice,
    Response,
    Report,
    Dialogue,
    Rejection,
    KadAdmission,
    KadDischarge,
    MunicipalService,
    Mission,
    Capacity,
    ManualAvvik,
)

BODY_FOR_TYPE: dict[EventType, type[Part]] = {
    EventType.ADMITTED: Admission,
    EventType.TRANSFERRED: Transfer,
    EventType.DISCHARGED: Discharge,
    EventType.ADMISSION_CANCELLED: EpisodeRef,
    EventType.DISCHARGE_CANCELLED: EpisodeRef,
    EventType.DIED: Death,
    EventType.DECLARED_READY: EpisodeRef,
    EventType.READY_WITHDRAWN: EpisodeRef,
    EventType.MUNICIPALITY_NOTIFIED: Notice,
    EventType.MUNICIPALITY_RESPONDED: Response,
    EventType.INNLEGGELSESRAPPORT_SENT: Report,
    EventType.UTSKRIVNINGSRAPPORT_SENT: Report,
    EventType.EPIKRISE_SENT: Report,
    EventType.MESSAGE_REJECTED: Rejection,
    EventType.MEDISINSKE_OPPLYSNINGER_SENT: Report,
    EventType.HELSEOPPLYSNINGER_LEGE_SENT: Report,
    EventType.DIALOGUE_QUESTION_SENT: Dialogue,
    EventType.DIALOGUE_ANSWER_SENT: Dialogue,
    EventType.KAD_ADMITTED: KadAdmission,
    EventType.KAD_DISCHARGED: KadDischarge,
    EventType.MUNICIPAL_SERVICE_STARTED: MunicipalService,
    EventType.MUNICIPAL_SERVICE_ENDED: MunicipalService,
    EventType.CALL_RECEIVED: Mission,
    EventType.DISPATCHED: Mission,
    EventType.ON_SCENE: Mission,
    EventType.LEFT_SCENE: Mission,
    EventType.ARRIVED: Mission,
    EventType.CANCELLED: Mission,
    EventType.BED_CAPACITY_SET: Capacity,
    EventType.AVVIK_REPORTED: ManualAvvik,
}
