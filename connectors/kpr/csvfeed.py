"""The KPR CSV feed (documented in ``connectors/kpr/README.md``): parse, validate, redact.

A file is accepted whole or rejected whole: the first bad row rejects the file with its line and column, so a
sender never has to work out which half of a file got in. Unknown columns are rejected too, so a name or
address column cannot slip into Kafka.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from connectors.formats import MappingContext
from connectors.kpr.records import BED_CODES, KAD_CODE, ServiceRecord, check_code, local_midnight
from hub.errors import IdentityError, ParseError, ValidationError
from hub.events import Place, UnitKind

REQUIRED: Final = ("record_id", "person_id", "kommunenummer", "tjenestetype", "start")
OPTIONAL: Final = ("end", "bed_kind", "referred_by", "discharge_destination", "unit_id")
COLUMNS: Final = REQUIRED + OPTIONAL
MAX_ROWS: Final = 500_000
MAX_FIELD: Final = 200

BED_KINDS: Final[dict[str, UnitKind]] = {
    "kad_somatisk": UnitKind.KAD_SOMATISK,
    "kad_psykisk_rus": UnitKind.KAD_PSYKISK_RUS,
    "sykestue": UnitKind.SYKESTUE,
    "korttid": UnitKind.KORTTID,
}
REFERRERS: Final[dict[str, Place]] = {
    "legevakt": Place.LEGEVAKT,
    "fastlege": Place.FASTLEGE,
    "ambulance": Place.AMBULANCE,
    "hospital": Place.HOSPITAL,
    "other": Place.OTHER,
}
DESTINATIONS: Final[dict[str, Place]] = {
    "home": Place.HOME,
    "home_nursing": Place.HOME_NURSING,
    "sykehjem": Place.SYKEHJEM,
    "hospital": Place.HOSPITAL,
    "kad": Place.KAD,
    "sykestue": Place.SYKESTUE,
    "dead": Place.DEAD,
    "other": Place.OTHER,
}
RECORD_ID: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$")
KOMMUNE: Final = re.compile(r"^[0-9]{4}$")
CODE: Final = re.compile(r"^[0-9]{1,3}$")
DATE_ONLY: Final = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
WITH_OFFSET: Final = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|z|[+-][0-9]{2}:[0-9]{2})$"
)


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One validated row; ``person_id`` is still the person number or token as given."""

    line: int
    values: dict[str, str]


def _text(payload: bytes) -> str:
    try:
        return payload.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"CSV is not UTF-8: {exc.reason} at byte {exc.start}") from exc


def _delimiter(header_line: str) -> str:
    return ";" if header_line.count(";") > header_line.count(",") else ","


def read_rows(payload: bytes) -> Iterator[CsvRow]:
    """Rows of a KPR CSV with their line numbers; raise on a malformed file or header."""
    text = _text(payload)
    if "\x00" in text:
        raise ParseError("CSV contains NUL characters")
    first = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first), strict=True)
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise ParseError("CSV has no header line", location="line 1")
        names = [cell.strip().lower() for cell in header]
        unknown = sorted(set(names) - set(COLUMNS))
        if unknown:
            raise ValidationError(f"unknown CSV columns: {', '.join(unknown)}", location="line 1")
        missing = [c for c in REQUIRED if c not in names]
        if missing:
            raise ValidationError(f"missing CSV columns: {', '.join(missing)}", location="line 1")
        if len(set(names)) != len(names):
            raise ValidationError("duplicate CSV columns", location="line 1")
        count = 0
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            count += 1
            if count > MAX_ROWS:
                raise ValidationError(f"more than {MAX_ROWS} rows", location=f"line {line}")
            if len(cells) != len(names):
                raise ValidationError(
                    f"row has {len(cells)} fields, the header {len(names)}", location=f"line {line}"
                )
            yield CsvRow(line, {name: cell.strip() for name, cell in zip(names, cells, strict=True)})
    except csv.Error as exc:
        raise ParseError(f"malformed CSV: {exc}", location=f"line {reader.line_num}") from exc


def _when(value: str, location: str) -> datetime:
    if DATE_ONLY.match(value):
        try:
            return local_midnight(date.fromisoformat(value))
        except ValueError as exc:
            raise ValidationError(f"not a valid date: {exc}", location=location) from exc
    if not WITH_OFFSET.match(value):
        raise ValidationError(
            "expected YYYY-MM-DD or an ISO 8601 date-time with a UTC offset (local time without offset is "
            "ambiguous)",
            location=location,
        )
    try:
        return datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError as exc:
        raise ValidationError(f"not a valid date-time: {exc}", location=location) from exc


def _choice(values: dict[str, str], column: str, table: dict[str, Place], where: str) -> Place:
    value = values.get(column, "").lower()
    if not value:
        return Place.UNKNOWN
    if value not in table:
        raise ValidationError(f"{column} must be one of {', '.join(table)}", location=f"{where}, {column}")
    return table[value]


def _bed_fields(values: dict[str, str], code: int, where: str) -> tuple[UnitKind | None, Place, Place]:
    """bed_kind, referred_by and discharge_destination of a row, checked against its tjenestetype."""
    bed_text = values.get("bed_kind", "").lower()
    bed_kind: UnitKind | None = None
    if bed_text:
        if bed_text not in BED_KINDS:
            raise ValidationError(
                f"bed_kind must be one of {', '.join(BED_KINDS)}", location=f"{where}, bed_kind"
            )
        if code not in BED_CODES:
            raise ValidationError(
                f"bed_kind needs an institutional tjenestetype ({', '.join(map(str, sorted(BED_CODES)))})",
                location=f"{where}, bed_kind",
            )
        bed_kind = BED_KINDS[bed_text]
    referred_by = _choice(values, "referred_by", REFERRERS, where)
    destination = _choice(values, "discharge_destination", DESTINATIONS, where)
    if (bed_kind is None and code != KAD_CODE) and (
        referred_by is not Place.UNKNOWN or destination is not Place.UNKNOWN
    ):
        raise ValidationError(
            "referred_by and discharge_destination are only for bed stays", location=f"{where}, referred_by"
        )
    return bed_kind, referred_by, destination


def to_record(row: CsvRow, ctx: MappingContext) -> tuple[ServiceRecord, str]:
    """The validated record of a row, and the token that replaces its person id."""
    where = f"line {row.line}"
    values = row.values
    for column, value in values.items():
        if len(value) > MAX_FIELD:
            raise ValidationError(
                f"{column} is longer than {MAX_FIELD} characters", location=f"{where}, {column}"
            )
    for column in REQUIRED:
        if not values[column]:
            raise ValidationError(f"{column} is empty", location=f"{where}, {column}")
    if not RECORD_ID.match(values["record_id"]):
        raise ValidationError("record_id must be 1-100 of [A-Za-z0-9._:/-]", location=f"{where}, record_id")
    kommune = values["kommunenummer"]
    if not KOMMUNE.match(kommune):
        raise ValidationError("kommunenummer must be 4 digits", location=f"{where}, kommunenummer")
    if not CODE.match(values["tjenestetype"]):
        raise ValidationError(
            "tjenestetype must be a code list 9151 number", location=f"{where}, tjenestetype"
        )
    code = int(values["tjenestetype"])
    check_code(code, f"{where}, tjenestetype")
    try:
        person = ctx.pseudonymiser.resolve(values["person_id"], today=ctx.received_at.date())
    except IdentityError as exc:
        raise ValidationError(f"person_id: {exc}", code="identity", location=f"{where}, person_id") from exc
    start = _when(values["start"], f"{where}, start")
    end = _when(values["end"], f"{where}, end") if values.get("end") else None
    if end is not None and end < start:
        raise ValidationError("end is before start", location=f"{where}, end")
    bed_kind, referred_by, destination = _bed_fields(values, code, where)
    unit_id = values.get("unit_id") or None
    if unit_id is not None and not RECORD_ID.match(unit_id):
        raise ValidationError("unit_id must be 1-100 of [A-Za-z0-9._:/-]", location=f"{where}, unit_id")
    record = ServiceRecord(
        key=f"{kommune}/{values['record_id']}",
        location=where,
        patient=person.to_patient(),
        kommunenummer=kommune,
        tjenestetype=code,
        start=start,
        end=end,
        bed_kind=bed_kind,
        referred_by=referred_by,
        discharge_destination=destination,
        unit_id=unit_id,
    )
    return record, person.token


def parse(payload: bytes, ctx: MappingContext) -> tuple[list[ServiceRecord], bytes]:
    """All records of a CSV file and its redacted form (canonical columns, person ids as tokens)."""
    records: list[ServiceRecord] = []
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    seen: dict[str, int] = {}
    for row in read_rows(payload):
        record, token = to_record(row, ctx)
        if record.key in seen:
            raise ValidationError(
                f"record_id repeats line {seen[record.key]}", location=f"line {row.line}, record_id"
            )
        seen[record.key] = row.line
        records.append(record)
        writer.writerow([token if c == "person_id" else row.values.get(c, "") for c in COLUMNS])
    if not records:
        raise ValidationError("CSV has a header but no rows", location="line 2")
    return records, out.getvalue().encode()


def message_id(redacted: bytes) -> str:
    """Id of a CSV file: a digest of its redacted form, the same for the original and the redacted bytes."""
    return "kpr-csv-" + hashlib.sha256(redacted).hexdigest()[:32]
