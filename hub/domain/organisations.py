"""Which helseforetak a fact concerns, whatever code its source named the place by.

Sources name places their own way: HL7 v2 by facility (MSH-4, PV1-3.4) and point-of-care codes (PV1-3.1), PLO
and Epikrise by HER-id, FHIR by Organization/Location identifiers, AMK by central id. The master data table
``organisations.csv`` maps each ``(system, code)`` to one organisation. The stay join
(:mod:`hub.domain.episodes`) compares stays by patient, helseforetak and time, so every hospital fact gets its
helseforetak here, before it is stored.

PLO messages name no stay. Their connector derives a stay alias ``plo:<hospital HER-id>:<admission date>``
(or ``plo:<HER-id>:current``, see ``connectors/plo/hendelser.py``); the HER-id in it is the hospital's, also
when the message was sent by the kommune (a Dialogmelding answer), so it decides the helseforetak.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from hub.events import Organisation
from hub.masterdata.model import MasterData

PLO_ALIAS_PREFIX = "plo:"


@dataclass(frozen=True, slots=True)
class StayHint:
    """What a PLO stay alias says: the hospital's HER-id and the admission date when the message states it."""

    hospital_her_id: str
    admitted_on: date | None


def stay_hint(alias: str | None) -> StayHint | None:
    """The hint in a PLO alias ``plo:<HER-id>:<YYYY-MM-DD|current>``; None for any other stay id."""
    if alias is None or not alias.startswith(PLO_ALIAS_PREFIX):
        return None
    parts = alias.split(":")
    if len(parts) != 3:
        return None
    try:
        day = None if parts[2] == "current" else date.fromisoformat(parts[2])
    except ValueError:
        return None
    return StayHint(parts[1], day)


@dataclass(frozen=True, slots=True)
class Resolved:
    """The helseforetak of a fact, and the source code that named no organisation (if any)."""

    hf: str | None
    unknown: tuple[str, str] | None = None


def resolve_unit(masterdata: MasterData, unit_id: str | None) -> str | None:
    """The master-data unit id of a unit code: itself when master data knows it, else its ``hl7-unit``
    or ``her`` row's unit, else the code unchanged (an unknown ward still counts beds under its own code)."""
    if not unit_id or unit_id in masterdata.units:
        return unit_id
    for system in ("hl7-unit", "her"):
        code = masterdata.org_code(system, unit_id)
        if code is not None and code.unit_id is not None:
            return code.unit_id
    return unit_id


def resolve_hf(  # noqa: PLR0911 - one return per source of the answer
    masterdata: MasterData, org: Organisation | None, alias: str | None
) -> Resolved:
    """The helseforetak a fact concerns (first match wins; see the module docstring)."""
    hint = stay_hint(alias)
    if hint is not None:
        code = masterdata.org_code("her", hint.hospital_her_id)
        if code is not None and code.hf_id is not None:
            return Resolved(code.hf_id)
        if code is None:
            return Resolved(org.hf if org else None, ("her", hint.hospital_her_id))
    if org is None:
        return Resolved(None)
    if org.hf:
        return Resolved(org.hf)
    unit = masterdata.unit(org.unit_id)
    if unit is not None:
        return Resolved(unit.hf_id)
    unknown: tuple[str, str] | None = None
    for system, value in (("hl7-unit", org.unit_id), ("her", org.her_id), ("hl7-facility", org.hospital)):
        if not value:
            continue
        code = masterdata.org_code(system, value)
        if code is None:
            unknown = unknown or (system, value)
        elif code.hf_id is not None:
            return Resolved(code.hf_id)
    return Resolved(None, unknown)


class Places:
    """:func:`resolve_hf` and :func:`resolve_unit` over one master data, counting the codes no row names.

    ``unknown`` counts ``(system, code)`` pairs seen on facts that master data does not name (for the
    ``hub_unknown_organisation_codes_total`` metric and ``hub validate``); codes are bounded by what sources
    send, never person data.
    """

    __slots__ = ("_md", "unknown")

    def __init__(self, masterdata: MasterData) -> None:
        self._md = masterdata
        self.unknown: dict[tuple[str, str], int] = {}

    def hf(self, org: Organisation | None, alias: str | None) -> str | None:
        """The helseforetak of a fact (see :func:`resolve_hf`)."""
        found = resolve_hf(self._md, org, alias)
        if found.unknown is not None:
            self.unknown[found.unknown] = self.unknown.get(found.unknown, 0) + 1
        return found.hf

    def unit(self, unit_id: str | None) -> str | None:
        """The master-data unit id of a unit code (see :func:`resolve_unit`)."""
        return resolve_unit(self._md, unit_id)
