"""From a parsed ELIN document to canonical events: dispatch by document kind and message type.

===========================================  ===============================================================
Message (MsgHead Type / document)            canonical events
===========================================  ===============================================================
LOG_INNLAGT                                  ADMITTED + MUNICIPALITY_NOTIFIED(ADMISSION)
LOG_UTSKRIVNINGSKLAR                         DECLARED_READY + MUNICIPALITY_NOTIFIED(READY)
LOG_AVMELDING                                READY_WITHDRAWN
LOG_UTSKREVET                                DISCHARGED
LOG_DOD                                      DIED
HELSEOPPL_SOKNAD: v1.6 TypeInnhold (9140)    MUNICIPALITY_NOTIFIED(ADMISSION)
= 1 (M/C also 2); v1.5 always
INNLEGGELSESRAPPORT                          INNLEGGELSESRAPPORT_SENT
UTSKRIVNINGSRAPPORT                          UTSKRIVNINGSRAPPORT_SENT
ORIENTERING_TJENESTETILBUD                   MUNICIPAL_SERVICE_STARTED / _ENDED per dated municipal service
MEDISINSKE_OPPLYSNINGER                      MEDISINSKE_OPPLYSNINGER_SENT
HELSEOPPLYSNINGER_LEGE                       HELSEOPPLYSNINGER_LEGE_SENT
DIALOG_FORESPORSEL / DIALOG_SVAR             DIALOGUE_QUESTION_SENT / DIALOGUE_ANSWER_SENT
Dialogmelding stating the answer on          MUNICIPALITY_RESPONDED
utskrivningsklar
Epikrise 1.0-1.2                             EPIKRISE_SENT
AppRec status 2 (Avvist)                     MESSAGE_REJECTED; status 1 / 3: no event
===========================================  ===============================================================

Every other *valid* message of a supported standard (PLO v1.5/v1.6, Dialogmelding 1.0/1.1, Epikrise 1.0-1.2,
AppRec 1.0/1.1) is accepted with no canonical event and the reason (``Mapped.unmapped``): an Avvist AppRec is
for messages that cannot be read or are not valid. Forsendelsesstatus M / C (Epikrise: ServType) adds
Correction REPLACE / CANCEL to each event (see build.py); another status is accepted without events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from connectors.formats import MappingContext
from connectors.plo import (
    apprec_in,
    dialog,
    dokumenter,
    epikrise,
    helseopplysninger,
    pasientlogistikk,
    rapporter,
    schemas,
    tjenester,
)
from connectors.plo.build import STATUS_ACTION, Drafts, NotMapped, Origin, build_events, system_name
from connectors.plo.hendelser import forsendelsesstatus
from connectors.plo.msghead import Envelope, PatientIdent, read_msghead
from connectors.plo.xmlsafe import local, namespace
from hub.errors import IdentityError, UnsupportedMessage, ValidationError
from hub.events import Event, Organisation, Patient

PLO_NAMESPACE_PREFIX = "http://www.kith.no/xmlstds/po/"


@dataclass(frozen=True, slots=True)
class Mapped:
    """A message read and mapped: its ids, type, standard, parties and events (why none, when none)."""

    message_id: str
    system: str
    msg_type: str
    sender: str | None
    events: list[Event]
    standard: str | None = None
    receiver: str | None = None
    unmapped: str | None = None
    sent_at: datetime | None = None


def standard_of(ns: str) -> str | None:
    """Standard and version of a document namespace, e.g. ``PLO 1.6``, ``Dialogmelding 1.1``."""
    if ns.startswith(PLO_NAMESPACE_PREFIX):
        return {"2009-06-30": "PLO 1.5", "2012-04-01": "PLO 1.6"}.get(ns.rsplit("/", 1)[-1], "PLO")
    return STANDARDS.get(ns)


STANDARDS = {
    "http://www.kith.no/xmlstds/dialog/2006-10-11": "Dialogmelding 1.0",
    "http://www.kith.no/xmlstds/dialog/2013-01-23": "Dialogmelding 1.1",
    "http://www.kith.no/xmlstds/epikrise": "Epikrise 1.0",
    "http://www.kith.no/xmlstds/epikrise/2006-09-23": "Epikrise 1.1",
    "http://www.kith.no/xmlstds/epikrise/2012-02-15": "Epikrise 1.2",
    schemas.APPREC_V1_NS: "AppRec 1.0",
    schemas.APPREC_V11_NS: "AppRec 1.1",
}


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


def _msghead_drafts(env: Envelope, status: str, kommunenummer: str | None) -> Drafts:
    if status not in STATUS_ACTION:
        return NotMapped(f"Forsendelsesstatus {status!r} is not mapped (N, M and C are); not guessed at")
    mappers: dict[frozenset[str], Callable[[], Drafts]] = {
        pasientlogistikk.TYPES: lambda: pasientlogistikk.drafts(env, kommunenummer),
        helseopplysninger.TYPES: lambda: helseopplysninger.drafts(env, kommunenummer, status),
        rapporter.TYPES: lambda: rapporter.drafts(env),
        tjenester.TYPES: lambda: tjenester.drafts(env),
        dokumenter.TYPES: lambda: dokumenter.drafts(env),
    }
    for types, mapper in mappers.items():
        if env.msg_type in types:
            return mapper()
    if env.body_namespace in dialog.NAMESPACES:
        return dialog.drafts(env, kommunenummer)
    return NotMapped(f"message type {env.msg_type!r} ({local(env.body.tag)}) maps to no canonical event")


def map_msghead(root: etree._Element, ctx: MappingContext) -> Mapped:
    """Validate and map a MsgHead-wrapped message."""
    env = read_msghead(root)
    status = forsendelsesstatus(env.body) if env.body_namespace.startswith(PLO_NAMESPACE_PREFIX) else "N"
    system = system_name(env.sender.her_id, ctx.system)
    patient = _patient(env.patient, ctx)
    drafts = _msghead_drafts(env, status, patient.bostedskommune)
    standard = standard_of(env.body_namespace)
    receiver = env.receiver.her_id
    if isinstance(drafts, NotMapped):
        return Mapped(
            env.msg_id,
            system,
            env.msg_type,
            env.sender.her_id,
            [],
            standard,
            receiver,
            drafts.reason,
            env.gen_date,
        )
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
    return Mapped(
        env.msg_id,
        system,
        env.msg_type,
        env.sender.her_id,
        events,
        standard,
        receiver,
        sent_at=env.gen_date,
    )


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
    return Mapped(
        facts.msg_id,
        system,
        "EPIKRISE",
        facts.her_id,
        events,
        standard_of(namespace(root)),
        sent_at=facts.draft.occurred_at,
    )


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
    unmapped = None if events else "AppRec status 1 or 3 (OK): nothing rejected, no event"
    return Mapped(
        facts.msg_id,
        system,
        "APPREC",
        her_id or facts.sender_id,
        events,
        standard_of(namespace(root)),
        receiver=facts.receiver_id,
        unmapped=unmapped,
        sent_at=facts.sent_at,
    )


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
