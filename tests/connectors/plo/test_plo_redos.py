"""XSD patterns run in linear time: the KITH ``oid`` pattern no longer backtracks exponentially."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from connectors.plo import schemas
from tests.connectors.plo.conftest import sample

ORIGINAL = 'S="2.16.578.1.12.4.1.1.9051"'
SAMPLE = "Innleggelsesrapport_v1-6_Ny.xml"


def _in_child(code: str, timeout: float, what: str) -> dict[str, float | str]:
    """Run ``code`` in a child process (a catastrophic backtrack holds the GIL, so only a process can be
    timed out) and return the JSON of its last line."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
            cwd=Path(__file__).resolve().parents[3],
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{what} took more than {timeout:.0f} s (backtracking regex)")
    result: dict[str, float | str] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _validate_in_child(payload: bytes, tmp_path: Path) -> dict[str, float | str]:
    """Validate in a child process so a catastrophic backtrack (which holds the GIL) can be timed out."""
    path = tmp_path / "m.xml"
    path.write_bytes(payload)
    code = textwrap.dedent(
        f"""
        import json, sys, time
        from connectors.plo import msghead, schemas, xmlsafe
        from hub.errors import ValidationError
        root = xmlsafe.parse(open({str(path)!r}, "rb").read())
        for ns in (schemas.MSGHEAD_NS, "http://www.kith.no/xmlstds/po/Innleggelsesrapport/2012-04-01"):
            schemas.schema_for(ns)
        started = time.perf_counter()
        try:
            msghead.validate_msghead(root)
            outcome = "valid"
        except ValidationError as exc:
            outcome = "invalid: " + str(exc)[:200]
        print(json.dumps({{"seconds": time.perf_counter() - started, "outcome": outcome}}))
        """
    )
    return _in_child(code, 30, "validating one message")


@pytest.mark.parametrize("digits", [35, 2000])
def test_long_oid_with_a_letter_is_rejected_fast(digits: int, tmp_path: Path) -> None:
    """A code attribute of many digits and a letter (minutes with ``re``) is refused in < 0.5 s."""
    payload = sample(SAMPLE).replace(ORIGINAL.encode(), f'S="{"1" * digits}x"'.encode(), 1)
    result = _validate_in_child(payload, tmp_path)
    assert str(result["outcome"]).startswith("invalid")
    assert float(result["seconds"]) < 0.5


def test_valid_oid_still_valid(tmp_path: Path) -> None:
    """The sample with real OIDs still validates."""
    assert _validate_in_child(sample(SAMPLE), tmp_path)["outcome"] == "valid"


def test_every_pattern_of_a_built_schema_is_linear() -> None:
    """No pattern facet of the MsgHead schema set is left to Python's backtracking ``re``."""
    from xmlschema.validators.facets import XsdPatternFacets

    schema = schemas.schema_for(schemas.MSGHEAD_NS)
    facets = [
        f
        for c in schema.maps.iter_components()
        if isinstance(getattr(c, "facets", None), dict)
        for f in c.facets.values()
        if isinstance(f, XsdPatternFacets)
    ]
    assert facets
    assert all(isinstance(p, schemas.LinearPattern) for f in facets for p in f.patterns)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("1.2.3", True),
        ("2.16.578.1.12.4.1.1.9051", True),
        ("1..2", False),
        ("", False),
        ("1" * 40 + "a", False),
    ],
)
def test_oid_pattern_keeps_its_meaning(value: str, ok: bool) -> None:
    """RE2 gives the same answers as the XSD pattern ``(\\d+\\.?)*\\d+``."""
    oid = schemas.schema_for(schemas.MSGHEAD_NS).maps.types["{http://www.kith.no/xmlstds}oid"]
    assert oid.is_valid(value) is ok


EPIKRISE = "epikrise_v1.2_m.xml"
EPIKRISE_CODE = 'V="E119" S="2.16.578.1.12.4.1.1.7110"'


def _accept_in_child(first: bytes, payload: bytes, tmp_path: Path) -> dict[str, float | str]:
    """The whole PLO format in a child process (timed out if it backtracks): ``first``, then ``payload``
    (timed)."""
    path, before = tmp_path / "m.xml", tmp_path / "first.xml"
    path.write_bytes(payload)
    before.write_bytes(first)
    code = textwrap.dedent(
        f"""
        import json, time
        from datetime import UTC, datetime
        from connectors.formats import MappingContext
        from connectors.plo.format import FORMAT
        from hub.errors import InputError
        from hub.identity import Pseudonymiser
        ctx = MappingContext(
            pseudonymiser=Pseudonymiser({{"k": b"redos-test-key-0123456789"}}, "k"),
            received_at=datetime(2024, 3, 1, tzinfo=UTC),
        )
        FORMAT.accept(open({str(before)!r}, "rb").read(), ctx)
        started = time.perf_counter()
        try:
            FORMAT.accept(open({str(path)!r}, "rb").read(), ctx)
            outcome = "accepted"
        except InputError as exc:
            outcome = "rejected: " + str(exc)[:200]
        print(json.dumps({{"seconds": time.perf_counter() - started, "outcome": outcome}}))
        """
    )
    return _in_child(code, 60, "accepting one message")


def test_a_long_oid_in_the_body_of_an_epikrise_is_rejected_fast(tmp_path: Path) -> None:
    """The fuzz run's hang: validating an Epikrise makes xmlschema load the XHTML schema (and a fresh KITH
    schema) on demand, with their patterns on ``re``; in every later Epikrise a diagnosis code's 37-digit OID
    plus a letter held the parser (and the GIL) for hours. Now every namespace is loaded, and made linear,
    before the first message."""
    valid = sample(EPIKRISE)
    payload = valid.replace(
        EPIKRISE_CODE.encode(), f'V="E119" S="2.16.578.1.12.4.{"5" * 37}a1.1.7110"'.encode(), 1
    )
    result = _accept_in_child(valid, payload, tmp_path)
    assert str(result["outcome"]).startswith("rejected"), result
    assert "pattern" in str(result["outcome"]), result
    assert float(result["seconds"]) < 5, result


def test_no_pattern_is_left_to_re_after_every_sample_was_read() -> None:
    """Also the schemas xmlschema loads while validating (``xs:any`` content, on demand) are linear."""
    import gc
    import re as stdlib_re
    from datetime import UTC, datetime

    from xmlschema.validators.facets import XsdPatternFacets

    from connectors.formats import MappingContext
    from connectors.plo.format import FORMAT
    from hub.errors import InputError
    from hub.identity import Pseudonymiser
    from tests.connectors.plo.conftest import SAMPLES

    ctx = MappingContext(
        pseudonymiser=Pseudonymiser({"k": b"redos-test-key-0123456789"}, "k"),
        received_at=datetime(2024, 3, 1, tzinfo=UTC),
    )
    for path in sorted(SAMPLES.rglob("*.xml")):
        with contextlib.suppress(InputError):
            FORMAT.accept(path.read_bytes(), ctx)
    facets = [o for o in gc.get_objects() if isinstance(o, XsdPatternFacets)]
    assert facets
    left = sorted({p.pattern for f in facets for p in f.patterns if isinstance(p, stdlib_re.Pattern)})
    assert not left, left


def test_a_pattern_xmlschema_builds_later_is_linear_from_the_start() -> None:
    """Any schema built after the PLO connector is imported (as xmlschema does on demand while validating)
    gets RE2 patterns as it is built, not after the first validation."""
    import xmlschema
    from xmlschema.validators.facets import XsdPatternFacets

    xsd = """<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
      <xs:simpleType name="oid"><xs:restriction base="xs:string">
        <xs:pattern value="(\\d+\\.?)*\\d+"/></xs:restriction></xs:simpleType>
      <xs:element name="c"><xs:complexType><xs:attribute name="S" type="oid"/></xs:complexType></xs:element>
    </xs:schema>"""
    built = xmlschema.XMLSchema(xsd)
    facet = built.types["oid"].patterns
    assert isinstance(facet, XsdPatternFacets)
    assert all(isinstance(p, schemas.LinearPattern) for p in facet.patterns)
    assert not built.is_valid(f'<c S="{"1" * 40}a"/>')
    assert built.is_valid('<c S="2.16.578.1.12.4.1.1.7110"/>')


def test_an_id_longer_than_the_canonical_model_allows_is_refused_not_a_crash() -> None:
    """The 1 M fuzz run's only crashes (98): a MsgId of more than 200 characters made the canonical Source
    raise pydantic's ValidationError out of the format; it is an InputError naming the field now."""
    from datetime import UTC, datetime

    from connectors.formats import MappingContext
    from connectors.plo.format import FORMAT
    from hub.errors import InputError
    from hub.identity import Pseudonymiser

    ctx = MappingContext(
        pseudonymiser=Pseudonymiser({"k": b"redos-test-key-0123456789"}, "k"),
        received_at=datetime(2024, 3, 1, tzinfo=UTC),
    )
    message = sample(SAMPLE)
    msg_id = message.split(b"<MsgId>", 1)[1].split(b"</MsgId>", 1)[0]
    long_id = msg_id + b"-" + b"a1b2c3d4" * 30
    with pytest.raises(InputError) as refused:
        FORMAT.accept(message.replace(b"<MsgId>" + msg_id, b"<MsgId>" + long_id, 1), ctx)
    assert "message_id" in str(refused.value)
