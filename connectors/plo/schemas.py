r"""The ELIN XML schemas, loaded once per namespace from the copies in ``schemas/elin/xsd`` (no network).

Imports inside the standard schemas point at sibling files or at remote addresses; :data:`LOCATIONS` maps each
imported namespace to the local copy, and xmlschema runs with ``allow="local"`` (never fetches a URL) and
``defuse="always"`` (schema files parsed without entities). Building a schema takes about a second, so each is
built on first use and cached for the life of the process.

**Patterns run in linear time.** xmlschema checks ``xs:pattern`` facets with Python's backtracking ``re``; the
KITH type ``oid`` (``(\d+\.?)*\d+``) then takes exponential time on a long digit run followed by a letter (one
35-digit code attribute froze the PLO connector). Every pattern facet of a built schema is recompiled with
RE2 (google-re2, a regex engine without backtracking, :func:`linear_patterns`); a pattern RE2 cannot run makes
the schema fail to load instead of falling back to ``re``. xmlschema also loads schemas *while validating*
(the XHTML of ``xs:any`` text content, a fresh KITH schema with it), and those came with patterns on ``re``:
after the first Epikrise, one diagnosis code's long OID held the parser for hours (found by the fuzz run). So
xmlschema compiles every pattern with RE2 as it builds it (:mod:`connectors.common.linear_xsd`, checked at
import), every namespace the documents reach (:data:`LOCATIONS` and XHTML) is loaded up front, and
:func:`validate` scans for a pattern left on ``re`` after each validation (a warning if it finds one).
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import structlog
import xmlschema
from lxml import etree
from xmlschema.validators.facets import XsdPatternFacets

from connectors.common.linear_xsd import LinearPattern
from hub.errors import UnsupportedMessage, ValidationError

_REPO_XSD = Path(__file__).resolve().parents[2] / "schemas" / "elin" / "xsd"
_WHEEL_XSD = Path(__file__).resolve().parents[2] / "hub" / "_schemas" / "elin" / "xsd"
XSD_DIR = _REPO_XSD if _REPO_XSD.is_dir() else _WHEEL_XSD

_F = "felleskomponenter"
LOCATIONS: dict[str, str] = {
    "http://www.w3.org/2000/09/xmldsig#": f"{_F}/xmldsig-core-schema.xsd",
    "http://www.kith.no/xmlstds": f"{_F}/kith.xsd",
    "http://www.kith.no/xmlstds/felleskomponent1": f"{_F}/felleskomponent1.xsd",
    "http://www.kith.no/xmlstds/base64container": f"{_F}/kith-base64.xsd",
    "http://www.kith.no/xmlstds/epj/epj1/2008-02-20": f"{_F}/EPJ-cave-mv.xsd",
    "http://www.kith.no/xmlstds/epj/epj2/2008-02-20": f"{_F}/EPJ-journalnotat-mv.xsd",
    "http://www.kith.no/xmlstds/epj/epj3/2008-02-20": f"{_F}/EPJ-legemiddel-mv.xsd",
    "http://www.kith.no/xmlstds/epj/meta/2008-02-20": f"{_F}/EPJ-meta.xsd",
    "http://www.kith.no/xmlstds/po/poKomponent/2009-06-30": "plo/v1.5/poKomponent-v1.5.xsd",
    "http://www.kith.no/xmlstds/po/poKomponent/2012-04-01": "plo/v1.6/poKomponent-v1.6.xsd",
}
"""Imported namespace -> schema file (relative to :data:`XSD_DIR`)."""

MSGHEAD_NS = "http://www.kith.no/xmlstds/msghead/2006-05-24"
APPREC_V1_NS = "http://www.kith.no/xmlstds/apprec/2004-11-21"
APPREC_V11_NS = "http://www.kith.no/xmlstds/apprec/2012-02-15"

_PO = "http://www.kith.no/xmlstds/po"
DOCUMENTS: dict[str, str] = {
    MSGHEAD_NS: f"{_F}/MsgHead-v1_2.xsd",
    APPREC_V1_NS: "applikasjonskvittering/AppRec-v1-2004-11-21.xsd",
    APPREC_V11_NS: "applikasjonskvittering/AppRec-v1.1.xsd",
    "http://www.kith.no/xmlstds/dialog/2006-10-11": "dialogmelding/2006-10-11/dialogmelding.xsd",
    "http://www.kith.no/xmlstds/dialog/2013-01-23": "dialogmelding/2013-01-23/dialogmelding-v1.1.xsd",
    "http://www.kith.no/xmlstds/epikrise": "epikrise/Epikrise-v1.0.xsd",
    "http://www.kith.no/xmlstds/epikrise/2006-09-23": "epikrise/Epikrise-v1.1.xsd",
    "http://www.kith.no/xmlstds/epikrise/2012-02-15": "epikrise/Epikrise-v1.2.xsd",
    # PLO v1.6 (2012-04-01)
    f"{_PO}/Pasientlogistikk/2012-04-01": "plo/v1.6/Pasientlogistikk-v1.6.xsd",
    f"{_PO}/HelseopplysningerVedSoknad/2012-04-01": "plo/v1.6/Helseopplysninger-v1.6.xsd",
    f"{_PO}/HelseopplysningerTilLege/2012-04-01": "plo/v1.6/HelseopplysningerTilLege-v1.6.xsd",
    f"{_PO}/Innleggelsesrapport/2012-04-01": "plo/v1.6/Innleggelsesrapport-v1.6.xsd",
    f"{_PO}/MedisinskeOpplysninger/2012-04-01": "plo/v1.6/MedisinskeOpplysninger-v1.6.xsd",
    f"{_PO}/OrienteringOmTjenestetilbud/2012-04-01": "plo/v1.6/OrienteringOmTjenestetilbud-v1.6.xsd",
    f"{_PO}/TverrfagligEpikrise/2012-04-01": "plo/v1.6/TverrfagligEpikrise-v1.6.xsd",
    # PLO v1.5 (2009-06-30)
    f"{_PO}/Pasientlogistikk/2009-06-30": "plo/v1.5/Pasientlogistikk-v1.5.xsd",
    f"{_PO}/HelseopplysningerVedSoknad/2009-06-30": "plo/v1.5/HelseopplysningerVedSoknad-v1.5.xsd",
    f"{_PO}/Konsultasjon/2009-06-30": "plo/v1.5/HelseopplysningerTilLege-v1.5.xsd",
    f"{_PO}/Innleggelsesrapport/2009-06-30": "plo/v1.5/Innleggelsesrapport-v1.5.xsd",
    f"{_PO}/OverforingMedisinskeOpplysninger/2009-06-30": "plo/v1.5/MedisinskeOpplysninger-v1.5.xsd",
    f"{_PO}/OrienteringOmTjenestetilbud/2009-06-30": "plo/v1.5/OrienteringOmTjenestetilbud-v1.5.xsd",
    f"{_PO}/TverrfagligEpikrise/2009-06-30": "plo/v1.5/TverrfagligEpikrise-v1.5.xsd",
    f"{_PO}/MeldingFravar/2009-06-30": "plo/v1.5/MeldingFravar-v1.5.xsd",
}
"""Namespace of a document (root or MsgHead body) -> the schema that validates it."""

_PERSON_NUMBER = re.compile(r"(?<!\d)\d{11}(?!\d)")
_cache: dict[str, Any] = {}
_lock = threading.Lock()
XHTML_NS = "http://www.w3.org/1999/xhtml"
"""Text content of ELIN documents (``xs:any``): xmlschema loads its own copy of the XHTML schema for it."""
log = structlog.get_logger(__name__)
_MAX_REASON = 300


def linear_patterns(schema: Any) -> int:
    """Replace every pattern facet's compiled ``re`` of ``schema`` (and what it imports) by RE2; the number
    replaced (0 when all were linear already)."""
    replaced = 0
    for component in schema.maps.iter_components():
        facets = getattr(component, "facets", None)
        if not isinstance(facets, dict):
            continue
        for facet in facets.values():
            if isinstance(facet, XsdPatternFacets) and not all(
                isinstance(p, LinearPattern) for p in facet.patterns
            ):
                fresh = sum(1 for p in facet.patterns if not isinstance(p, LinearPattern))
                linear: list[Any] = [
                    p if isinstance(p, LinearPattern) else LinearPattern(p.pattern) for p in facet.patterns
                ]
                facet.patterns = linear
                replaced += fresh
    return replaced


def schema_for(namespace: str) -> Any:
    """The (cached) compiled schema for documents in ``namespace``; UnsupportedMessage if there is none."""
    if namespace not in DOCUMENTS:
        raise UnsupportedMessage(f"no ELIN schema for namespace {namespace or '(none)'!r}", code="namespace")
    with _lock:
        schema = _cache.get(namespace)
        if schema is None:
            locations = [(ns, str(XSD_DIR / path)) for ns, path in LOCATIONS.items()]
            schema = xmlschema.XMLSchema(
                str(XSD_DIR / DOCUMENTS[namespace]), locations=locations, allow="local", defuse="always"
            )
            for preload in (*LOCATIONS, XHTML_NS):  # what validation would otherwise load on demand
                schema.load_namespace(preload)
            linear_patterns(schema)
            _cache[namespace] = schema
    return schema


def _still_linear(schema: Any, namespace: str) -> None:
    """After a validation: if xmlschema built components on demand (a schema loaded or rebuilt while
    validating), make their patterns linear too (a scan of the components: ~2 ms)."""
    with _lock:
        replaced = linear_patterns(schema)
    if replaced:
        log.warning("plo.patterns_built_on_demand", namespace=namespace, patterns=replaced)


def validate(element: etree._Element, namespace: str) -> None:
    """Validate ``element`` against the schema of ``namespace``; ValidationError names the first error."""
    schema = schema_for(namespace)
    try:
        error = next(iter(schema.iter_errors(element, use_location_hints=False)), None)
    except (xmlschema.XMLSchemaException, ValueError, TypeError, KeyError, ArithmeticError) as exc:
        # ArithmeticError: xs:dateTime values whose year overflows
        raise ValidationError(f"schema validation failed: {type(exc).__name__}", code="schema") from exc
    finally:
        _still_linear(schema, namespace)
    if error is not None:
        reason = (getattr(error, "reason", None) or str(error)).splitlines()[0][:_MAX_REASON]
        reason = _PERSON_NUMBER.sub("***********", reason)  # a value quoted in the reason never leaks
        raise ValidationError(f"breaks {DOCUMENTS[namespace]}: {reason}", code="schema", location=error.path)
