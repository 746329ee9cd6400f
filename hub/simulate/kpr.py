"""KPR CSV extracts (``connectors/kpr/README.md``): one file per reported change of a stay or service.

A KAD stay is reported twice under the same ``record_id``: at admission (no end) and at discharge (with the
end); the connector's event ids come from the record, so the second report does not duplicate the start.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from hub.events import Place, ServiceKind, UnitKind
from hub.simulate.persons import Person
from hub.simulate.timefmt import iso_offset

COLUMNS = (
    "record_id",
    "person_id",
    "kommunenummer",
    "tjenestetype",
    "start",
    "end",
    "bed_kind",
    "referred_by",
    "discharge_destination",
    "unit_id",
)
BED_KIND: dict[UnitKind, tuple[str, str]] = {
    UnitKind.KAD_SOMATISK: ("kad_somatisk", "25"),
    UnitKind.KAD_PSYKISK_RUS: ("kad_psykisk_rus", "25"),
    UnitKind.SYKESTUE: ("sykestue", "20"),
    UnitKind.KORTTID: ("korttid", "20"),
}
"""Bed kind -> (CSV bed_kind, tjenestetype of code list 9151: 25 KAD, 20 tidsbegrenset opphold)."""
SERVICE_TYPE: dict[ServiceKind, str] = {
    ServiceKind.HJEMMESYKEPLEIE: "15",
    ServiceKind.SYKEHJEM_LANGTID: "21",
    ServiceKind.SYKEHJEM_KORTTID: "20",
    ServiceKind.PRAKTISK_BISTAND: "1",
}
DESTINATION: dict[Place, str] = {
    Place.HOME: "home",
    Place.HOME_NURSING: "home_nursing",
    Place.SYKEHJEM: "sykehjem",
    Place.HOSPITAL: "hospital",
    Place.KAD: "kad",
    Place.SYKESTUE: "sykestue",
    Place.DEAD: "dead",
}
REFERRER: dict[Place, str] = {
    Place.LEGEVAKT: "legevakt",
    Place.FASTLEGE: "fastlege",
    Place.AMBULANCE: "ambulance",
    Place.HOSPITAL: "hospital",
}


@dataclass(frozen=True, slots=True)
class KprRow:
    """One CSV row: a bed stay (``bed_kind``) or a service period."""

    record_id: str
    person: Person
    kommunenummer: str
    start: datetime
    end: datetime | None = None
    bed_kind: UnitKind | None = None
    service: ServiceKind | None = None
    referred_by: Place | None = None
    destination: Place | None = None
    unit_id: str | None = None

    def values(self) -> dict[str, str]:
        """The row's column values."""
        if self.bed_kind is not None:
            bed, tjenestetype = BED_KIND.get(self.bed_kind, ("kad_somatisk", "25"))
        else:
            bed, tjenestetype = "", SERVICE_TYPE.get(self.service or ServiceKind.OTHER, "22")
        stay = self.bed_kind is not None
        return {
            "record_id": self.record_id,
            "person_id": self.person.number,
            "kommunenummer": self.kommunenummer,
            "tjenestetype": tjenestetype,
            "start": iso_offset(self.start),
            "end": iso_offset(self.end) if self.end else "",
            "bed_kind": bed,
            "referred_by": REFERRER.get(self.referred_by, "other") if stay and self.referred_by else "",
            "discharge_destination": DESTINATION.get(self.destination, "other")
            if stay and self.destination and self.end
            else "",
            "unit_id": self.unit_id or "",
        }


def render_csv(rows: list[KprRow]) -> bytes:
    """A KPR CSV extract with a header line."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row.values())
    return out.getvalue().encode("utf-8")
