"""Safe parsing: entity expansion, external entities and malformed input are rejected with ParseError."""

from __future__ import annotations

import pytest

from connectors.formats import MappingContext
from connectors.plo.format import FORMAT
from connectors.plo.xmlsafe import MAX_BYTES, parse
from hub.errors import ParseError

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<MsgHead xmlns="http://www.kith.no/xmlstds/msghead/2006-05-24"><MsgInfo>&lol4;</MsgInfo></MsgHead>"""

EXTERNAL_FILE = b"""<?xml version="1.0"?>
<!DOCTYPE MsgHead [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<MsgHead xmlns="http://www.kith.no/xmlstds/msghead/2006-05-24"><MsgInfo>&xxe;</MsgInfo></MsgHead>"""

EXTERNAL_HTTP = b"""<?xml version="1.0"?>
<!DOCTYPE MsgHead [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/evil">]>
<MsgHead xmlns="http://www.kith.no/xmlstds/msghead/2006-05-24"><MsgInfo>&xxe;</MsgInfo></MsgHead>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE MsgHead SYSTEM "http://127.0.0.1:9/evil.dtd">
<MsgHead xmlns="http://www.kith.no/xmlstds/msghead/2006-05-24"/>"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY % pe SYSTEM "file:///etc/passwd"> %pe;]>
<x/>"""


@pytest.mark.parametrize(
    "payload",
    [BILLION_LAUGHS, EXTERNAL_FILE, EXTERNAL_HTTP, EXTERNAL_DTD, PARAMETER_ENTITY],
    ids=["billion-laughs", "file-entity", "http-entity", "external-dtd", "parameter-entity"],
)
def test_dtd_and_entity_attacks_are_parse_errors(payload: bytes, ctx: MappingContext) -> None:
    """Entity-expansion and external-entity documents are refused before any content is read."""
    with pytest.raises(ParseError):
        parse(payload)
    with pytest.raises(ParseError) as info:
        FORMAT.accept(payload, ctx)
    assert "root:" not in info.value.reason  # /etc/passwd content never reaches the reason


@pytest.mark.parametrize("payload", [b"", b"   ", b"<a", b"not xml", b"<a></b>", b"\x00\x01"])
def test_malformed_input_is_a_parse_error(payload: bytes) -> None:
    """Empty and malformed documents raise ParseError."""
    with pytest.raises(ParseError):
        parse(payload)


def test_oversized_input_is_refused() -> None:
    """Messages over the size limit are refused without parsing."""
    with pytest.raises(ParseError) as info:
        parse(b"<a>" + b"x" * MAX_BYTES + b"</a>")
    assert info.value.code == "too_large"


def test_well_formed_document_parses() -> None:
    """A plain document without a DTD parses to its root element."""
    assert parse(b"<?xml version='1.0' encoding='UTF-8'?><a><b>x</b></a>").tag == "a"
