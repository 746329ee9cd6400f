"""Envelope parts shared by every canonical event: source, patient, organisation, correction."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from hub.events.enums import CorrectionAction, Sex, SourceKind, UnitKind

KOMMUNENUMMER = r"^\d{4}$"


class Part(BaseModel):
    """Base for immutable, strict event parts."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)


class Source(Part):
    """Where the event came from: connector kind, sending system, its message id and sender."""

    kind: SourceKind
    system: str = Field(min_length=1, max_length=100, description="Sending system, e.g. DIPS Arena, Gerica")
    message_id: str = Field(min_length=1, max_length=200, description="The source's own message id")
    sender_her_id: str | None = Field(default=None, description="HER-id of the sender (Adresseregisteret)")
    sender_org: str | None = Field(default=None, description="Sender organisation number or name")


class Patient(Part):
    """The patient, pseudonymised: no fødselsnummer, name or address ever appears here."""

    pseudonym: str = Field(min_length=8, max_length=100, description="Keyed HMAC pseudonym")
    key_id: str = Field(min_length=1, max_length=32, description="Id of the pseudonym key that made it")
    birth_year: int | None = Field(default=None, ge=1880, le=2200)
    sex: Sex = Sex.UNKNOWN
    bostedskommune: str | None = Field(default=None, pattern=KOMMUNENUMMER)
    oppholdskommune: str | None = Field(default=None, pattern=KOMMUNENUMMER)


class Organisation(Part):
    """The organisation where the event happened: HF, hospital, unit and kommune."""

    hf: str | None = Field(default=None, description="Helseforetak id from master data, e.g. HNT")
    hospital: str | None = None
    unit_id: str | None = Field(default=None, description="Unit id from master data")
    unit_kind: UnitKind | None = None
    kommunenummer: str | None = Field(default=None, pattern=KOMMUNENUMMER)
    her_id: str | None = None


class Correction(Part):
    """This event replaces (M) or cancels (C) an earlier one, named by its event id."""

    action: CorrectionAction
    target_event_id: str = Field(min_length=1)
