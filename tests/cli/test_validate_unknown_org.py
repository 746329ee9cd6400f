"""`hub validate` names place codes master data does not know, and still accepts the message."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from click.testing import CliRunner

from hub.cli.validate import validate
from hub.identity.synthetic import synthetic_number

ADT = (
    "MSH|^~\\&|DIPS|{facility}|HUB|SAMHANDLING|20240501101500+0200||ADT^A01^ADT_A01|C123|P|2.5|||AL|NE\r"
    "EVN|A01|20240501101500+0200||||20240501101500+0200\r"
    "PID|1||{number}^^^FNR^NNNOR||Pasient^Syntetisk||19000101|F|||^^^^^NOR^H^^5037\r"
    "PV1|1|I|{unit}^^^{facility}|E" + "|" * 15 + "4711\r"
)


def _run(tmp_path: Path, facility: str, unit: str) -> tuple[int, str]:
    # the development key, as on a developer machine
    env = {"HUB_ENV": "dev"}
    path = tmp_path / "a01.hl7"
    number = synthetic_number(date(1938, 3, 1), 5, female=True)
    path.write_bytes(ADT.format(facility=facility, unit=unit, number=number).encode())
    result = CliRunner(env=env).invoke(validate, [str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.output


def test_unknown_facility_is_named_and_the_message_accepted(tmp_path: Path) -> None:
    """A facility code no row of organisations.csv names is reported, exit code 0."""
    code, output = _run(tmp_path, "NOPE", "NOPEWARD")
    assert code == 0, output
    assert "unknown organisation code hl7-unit:NOPEWARD" in output
    assert "1 event(s)" in output


def test_known_codes_are_not_reported(tmp_path: Path) -> None:
    """Sykehuset Levanger's illustrative codes (SLE, LEVMED) resolve: nothing is reported."""
    code, output = _run(tmp_path, "SLE", "LEVMED")
    assert code == 0, output
    assert "unknown organisation code" not in output
