"""From a parsed ELIN document to canonical events: dispatch by document kind and message type.

===========================================  ===============================================================
Message (MsgHead Type / document)            canonical events
===========================================  ===============================================================
LOG_INNLAGT                                  ADMITTED + MUNICIPALITY_NOTIFIED(ADMISSION)
LOG_UTSKRIVNINGSKLAR                         DECLARED_READY + MUNICIPALITY_NOTIFIED(READY)
LOG_AVMELDING                                READY_WITHDRAWN
LOG_UTSKREVET                                DISCHARGED
LOG_DOD                                      DIED
HELSEOPPL_SOKNAD, TypeInnhold (9140) = 1     MUNICIPALITY_NOTIFIED(ADMISSION)
INNLEGGELSESRAPPORT                          INNLEGGELSESRAPPORT_SENT
UTSKRIVNINGSRAPPORT                          UTSKRIVNINGSRAPPORT_SENT
DIALOG_* stating the answer on utskrivningsklar  MUNICIPALITY_RESPONDED (else UnsupportedMessage)
Epikrise 1.0-1.2                             EPIKRISE_SENT
AppRec status 2 (Avvist)                     MESSAGE_REJECTED; status 1 / 3: accepted, no event
other PLO types (HELSEOPPLYSNINGER_LEGE,     UnsupportedMessage
MEDISINSKE_OPPLYSNINGER, ORIENTERING_...)
===========================================  ===============================================================

Forsendelsesstatus M / C (Epikrise: ServType) adds Correction REPLACE / CANCEL to each event (see build.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from connectors.formats import MappingContext
from connectors.plo import (
    apprec_in,
    dialog,
    epikrise,
    helseopplysninger,
    pasientlogistikk,
    rapporter,
    schemas,
)
from connectors.plo.build import Draft, Origin, build_events, system_name
from connectors.plo.hendelser import forsendelsesstatus
from connectors.plo.msghead import Envelope, PatientIdent, read_msghead
from connectors.plo.xmlsafe import local, namespace
from hub.errors import IdentityError, UnsupportedMessage, ValidationError
from hub.events import Event, Organisation, Patient

PLO_NAMESPACE_PREFIX = "http://www.kith.no/xmlstds/po/"


@dataclass(frozen=True, slots=True)
class Mapped:
    """A message read and mapped: its ids, sender and events."""

    message_id: str
    system: str
    msg_type: str
    sender: str | None
    events: list[Event]


def _patient(ident: PatientIdent | None, ctx: MappingContext) -> Patient:
    if ident is None:
        raise ValidationError(
            "message has no patient person number (MsgHead Patient/Ident, code list 8116)",
            code="patient_missing",
            location="Patient/Ident",
        )
    try:
        person = ctx.pseudonymiser.resolve(ident.id)
    except IdentityError as exc:
        raise ValidationError(
            f"invalid patient identifier: {exc}", code="patient", location="Patient/Ident"
        ) from exc
    return person.to_patient(bostedskommune=ident.bostedskommune)


def _msghead_drafts(env: Envelope, status: str, kommunenummer: str | None) -> list[Draft]:
    body_ns = env.body_namespace
    if env.msg_type in pasientlogistikk.TYPES:
        return pasientlogistikk.drafts(env, kommunenummer)
    if env.msg_type in helseopplysninger.TYPES:
        return helseopplysninger.drafts(env, kommunenummer, status)
    if env.msg_type in rapporter.TYPES:
        return rapporter.drafts(env)
    if body_ns in dialog.NAMESPACES:
        return dialog.drafts(env, kommunenummer)
    raise UnsupportedMessage(
        f"message type {env.msg_type!r} ({local(env.body.tag)}) is valid but not mapped to canonical events",
        code="msgtype",
    )


def map_msghead(root: etree._Element, ctx: MappingContext) -> Mapped:
    """Validate and map a MsgHead-wrapped message."""
    env = read_msghead(root)
    status = forsendelsesstatus(env.body) if env.body_namespace.startswith(PLO_NAMESPACE_PREFIX) else "N"
    system = system_name(env.sender.her_id, ctx.system)
    patient = _patient(env.patient, ctx)
    drafts = _msghead_drafts(env, status, patient.bostedskommune)
    origin = Origin(
        system=system,
        message_id=env.msg_id,
        recorded_at=ctx.received_at,
        status=status,
        ref_to_parent=env.ref_to_parent,
        sender_her_id=env.sender.her_id,
        sender_org=env.sender.name,
    )
    organisation = Organisation(her_id=env.sender.her_id, unit_id=env.sender.unit_her_id)
    events = build_events(origin, drafts, patient=patient, organisation=organisation)
    return Mapped(env.msg_id, system, env.msg_type, env.sender.her_id, events)


def map_epikrise(root: etree._Element, ctx: MappingContext) -> Mapped:
    """Validate and map an Epikrise."""
    schemas.validate(root, namespace(root))
    facts = epikrise.read(root)
    system = system_name(facts.her_id, ctx.system)
    new = facts.status == "N"
    if not new and not facts.document_id:
        raise ValidationError("an Endring/Kansellering epikrise needs ServProvId", code="reference")
    origin = Origin(
        system=system,
        message_id=facts.msg_id,
        recorded_at=ctx.received_at,
        status=facts.status,
        sender_her_id=facts.her_id,
        sender_org=facts.name,
        event_key=facts.document_id if new else None,
        parent_key=None if new else facts.document_id,
    )
    organisation = Organisation(her_id=facts.her_id, unit_id=facts.unit_her_id)
    events = build_events(
        origin, [facts.draft], patient=_patient(facts.patient, ctx), organisation=organisation
    )
    return Mapped(facts.msg_id, system, "EPIKRISE", facts.her_id, events)


def map_apprec(root: etree._Element, ctx: MappingContext) -> Mapped:
    """Validate and map an incoming AppRec."""
    schemas.validate(root, namespace(root))
    facts = apprec_in.read(root)
    her_id = facts.sender_id if facts.sender_id_type == "HER" else None
    system = (
        system_name(her_id, None)
        if her_id
        else (
            f"{(facts.sender_id_type or 'id').lower()}:{facts.sender_id}"
            if facts.sender_id
            else ctx.system or "plo"
        )
    )
    origin = Origin(
        system=system,
        message_id=facts.msg_id,
        recorded_at=ctx.received_at,
        sender_her_id=her_id,
        sender_org=facts.sender_name,
    )
    events = build_events(origin, facts.drafts, patient=None, organisation=Organisation(her_id=her_id))
    return Mapped(facts.msg_id, system, "APPREC", her_id or facts.sender_id, events)


def map_document(root: etree._Element, ctx: MappingContext) -> Mapped:
    """Map any supported ELIN document (MsgHead, Epikrise, AppRec)."""
    ns = namespace(root)
    if ns == schemas.MSGHEAD_NS:
        return map_msghead(root, ctx)
    if ns in epikrise.NAMESPACES:
        return map_epikrise(root, ctx)
    if ns in {schemas.APPREC_V1_NS, schemas.APPREC_V11_NS}:
        return map_apprec(root, ctx)
    raise UnsupportedMessage(
        f"not an ELIN message the hub accepts: root {local(root.tag)!r} in namespace {ns or '(none)'!r}",
        code="namespace",
    )
