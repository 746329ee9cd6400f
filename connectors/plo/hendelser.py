"""PLO ``TidsfestetHendelse`` (code list 9121) and the hospital-stay id the hub derives from them.

PLO messages carry no stay (episode) number. The hub names a stay ``plo:<hospital HER-id>:<admission date>``
when the message states the admission (Hendelsekode 1), else ``plo:<hospital HER-id>:current`` meaning "the
patient's current stay at that hospital"; the pathway resolves it within the patient's history.
"""

from __future__ import annotations

from lxml import etree

from connectors.plo.times import Stamp, parse_stamp
from connectors.plo.xmlsafe import attr, descendants

INNLAGT = "1"
UTSKREVET = "2"
UTSKRIVNINGSKLAR = "3"
AVMELDING = "4"
DOD = "13"


def hendelser(body: etree._Element) -> dict[str, Stamp]:
    """Hendelsekode -> time, for every TidsfestetHendelse in the document (first occurrence wins)."""
    found: dict[str, Stamp] = {}
    for event in descendants(body, "TidsfestetHendelse"):
        code = attr(event, "Hendelsekode")
        when = attr(event, "TidspunktForHendelse")
        if code and when and code not in found:
            found[code] = parse_stamp(when, where=f"TidsfestetHendelse[Hendelsekode={code}]")
    return found


def episode_id(hospital_her_id: str | None, admission: Stamp | None) -> str:
    """The derived stay id (see module docstring)."""
    hospital = hospital_her_id or "unknown"
    if admission is None:
        return f"plo:{hospital}:current"
    return f"plo:{hospital}:{admission.local_date.isoformat()}"


def forsendelsesstatus(body: etree._Element) -> str:
    """Forsendelsesstatus (code list 7309) of a PLO document; N when absent."""
    for info in descendants(body, "InformasjonOmForsendelsen"):
        value = attr(info, "Forsendelsesstatus")
        if value:
            return value
    return "N"
