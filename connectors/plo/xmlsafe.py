"""Safe XML parsing: no DTDs, no entities, no network, bounded size.

Every ELIN message is parsed here. lxml parses with entity resolution, DTD loading and network access
switched off; a document that declares a DTD at all (the carrier of entity-expansion and external-entity
attacks) is rejected with :class:`~hub.errors.ParseError`, as is anything that is not well-formed.
"""

from __future__ import annotations

from lxml import etree

from hub.errors import ParseError
from hub.events.transport import MAX_RECORD_BYTES

MAX_BYTES = MAX_RECORD_BYTES - 32 * 1024
"""Largest message accepted: what fits, redacted, in one raw record (``MAX_RECORD_BYTES``, which producer and
topics agree on) with room for the record's other fields. Larger messages (big attachments) are refused for
good: AppRec Avvist T99 and a dead letter."""
HTTP_MAX_BYTES = 2 * MAX_RECORD_BYTES
"""Largest request body the HTTP endpoint reads at all (a memory guard): up to it an oversized message is
answered with an Avvist AppRec naming it; beyond it the transport answers 413 without reading it."""

_PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
    "collect_ids": False,
}


def _parser() -> etree.XMLParser:
    return etree.XMLParser(**_PARSER_OPTIONS)  # type: ignore[arg-type]


def parse(payload: bytes, *, max_bytes: int = MAX_BYTES) -> etree._Element:
    """Parse ``payload`` into an element tree; raise :class:`ParseError` for anything unsafe or malformed."""
    if not isinstance(payload, bytes | bytearray):
        raise ParseError("payload must be bytes")
    if len(payload) > max_bytes:
        raise ParseError(
            f"message is {len(payload)} bytes, larger than the limit of {max_bytes} bytes", code="too_large"
        )
    if not payload.strip():
        raise ParseError("message is empty")
    try:
        root = etree.fromstring(bytes(payload), parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"not well-formed XML: {exc.msg}", location=f"line {exc.lineno}") from exc
    except (ValueError, LookupError) as exc:  # e.g. unknown encoding declaration
        raise ParseError(f"not parseable XML: {exc}") from exc
    if root is None:
        raise ParseError("message has no root element")
    docinfo = root.getroottree().docinfo
    if getattr(docinfo, "doctype", "") or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise ParseError("DTDs and entity declarations are not allowed in ELIN messages", code="dtd")
    for node in root.iter():
        if isinstance(node, etree._Entity):
            raise ParseError("entity references are not allowed in ELIN messages", code="dtd")
    return root


def local(tag: object) -> str:
    """Local name of an element tag (``{ns}Name`` -> ``Name``)."""
    text = str(tag)
    return text.rsplit("}", 1)[-1]


def namespace(element: etree._Element) -> str:
    """Namespace URI of an element ('' when none)."""
    return etree.QName(element).namespace or ""


def children(element: etree._Element | None, name: str) -> list[etree._Element]:
    """Direct child elements with local name ``name`` (any namespace)."""
    if element is None:
        return []
    return [c for c in element if isinstance(c.tag, str) and local(c.tag) == name]


def child(element: etree._Element | None, *path: str) -> etree._Element | None:
    """The first element reached by following local names ``path`` (any namespace), or None."""
    node = element
    for name in path:
        found = children(node, name)
        if not found:
            return None
        node = found[0]
    return node


def descendants(element: etree._Element, name: str) -> list[etree._Element]:
    """All descendant elements with local name ``name`` (any namespace), in document order."""
    return [e for e in element.iter() if isinstance(e.tag, str) and local(e.tag) == name]


def text(element: etree._Element | None, *path: str) -> str | None:
    """Stripped text of the element at ``path``; None if absent or empty."""
    node = child(element, *path) if path else element
    if node is None or node.text is None:
        return None
    value = node.text.strip()
    return value or None


def attr(element: etree._Element | None, *path: str, name: str = "V") -> str | None:
    """Attribute ``name`` (default the KITH code value ``V``) of the element at ``path``; None if absent."""
    node = child(element, *path) if path else element
    if node is None:
        return None
    value = node.get(name)
    return value.strip() if value and value.strip() else None
