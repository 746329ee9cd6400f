"""Redaction of an ADT message before it is written to ``samhandling.raw.hl7v2``.

What stays is exactly what ``adt.map_adt`` reads, so mapping the redacted message gives the same events:

* segments: only MSH, SFT, EVN, the first PID, PV1, PV2 and DG1 are kept; a second PID (the mapping reads
  the first only), NK1 (next of kin), PD1, GT1, IN1–IN3, ROL, MRG, OBX, AL1, Z-segments and any other
  segment are dropped — every segment with person data other than the first PID;
* PID-3: only the person-number repetition is kept, its number replaced by the pseudonym token
  (``PSN1.<key>.<pseudonym>.<year>.<sex>``), its CX-4/CX-5 kept; other identifiers (local ids) dropped;
* PID-2, 4, 5 (name), 6 (mother's maiden name), 9 (alias), 13/14 (phones), 18 (account), 19 (SSN),
  20 (driver's licence), 21 (mother's id), 23 (birth place), 29 (death date/time) blanked;
* PID-7 reduced to the year; PID-11 reduced to address type (XAD-7) and county/parish code (XAD-9);
* health personnel in EVN-5 and PV1-7/8/9/17/52 reduced to their identifier (XCN-1), names blanked;
* MSH-18 is set when the charset was guessed (ISO 8859-1), so the redacted bytes decode the same way.

Free text in kept segments (PV2, DG1 descriptions) remains; it is clinical, not identifying by design.
"""

from __future__ import annotations

from connectors.hl7v2.adt import find_identity
from connectors.hl7v2.parse import Message, msh18_for
from hub.identity import PseudonymousPerson

KEPT_SEGMENTS = frozenset({"MSH", "SFT", "EVN", "PID", "PV1", "PV2", "DG1"})
BLANKED_PID_FIELDS = (2, 4, 5, 6, 9, 13, 14, 18, 19, 20, 21, 23, 29)
PERSONNEL_FIELDS = (("EVN", 5), ("PV1", 7), ("PV1", 8), ("PV1", 9), ("PV1", 17), ("PV1", 52))


def redact(msg: Message, person: PseudonymousPerson | None) -> bytes:
    """The redacted message bytes (``msg`` is modified in place)."""
    tree = msg.tree
    kept, seen_pid = [], False
    for seg in tree:
        name = str(seg[0]) if len(seg) else ""
        if name not in KEPT_SEGMENTS or (name == "PID" and seen_pid):
            continue
        seen_pid = seen_pid or name == "PID"
        kept.append(seg)
    tree[:] = kept
    msg.reindex()
    comp, rep = msg.header.encoding_chars[0], msg.header.encoding_chars[1]
    esc = msg.tree.escape  # values read with ``get`` are unescaped; escape them again when writing back
    if not msg.header.charset:
        msg.assign(msh18_for(msg.codec), "MSH", 18)
    for segment, field in PERSONNEL_FIELDS:
        if msg.has(segment) and msg.repetitions(segment, field):
            ids = [esc(msg.get(segment, field, r, 1)) for r in range(1, msg.repetitions(segment, field) + 1)]
            msg.assign(rep.join(ids), segment, field)
    if not msg.has("PID"):
        return msg.to_bytes()
    identity = find_identity(msg)
    counties = [
        comp * 6 + esc(msg.get("PID", 11, r, 7)) + comp * 2 + esc(msg.get("PID", 11, r, 9))
        for r in range(1, msg.repetitions("PID", 11) + 1)
    ]
    birth = msg.get("PID", 7)[:4]
    if identity is not None and person is not None:
        r = identity.repetition
        cx = comp.join([person.token, "", "", _raw_component(msg, 3, r, 4), esc(msg.get("PID", 3, r, 5))])
        msg.assign(cx, "PID", 3)
    else:
        msg.assign("", "PID", 3)
    msg.assign(birth if birth.isdigit() and len(birth) == 4 else "", "PID", 7)
    msg.assign(rep.join(c if c.strip(comp) else "" for c in counties), "PID", 11)
    for field in BLANKED_PID_FIELDS:
        msg.assign("", "PID", field)
    return msg.to_bytes()


def _raw_component(msg: Message, field: int, rep: int, comp: int) -> str:
    """A component with its subcomponents (CX-4 assigning authority is an HD: namespace&OID&type)."""
    sub = msg.header.encoding_chars[3]
    parts = [msg.tree.escape(msg.get("PID", field, rep, comp, s)) for s in (1, 2, 3)]
    return sub.join(parts).rstrip(sub)
