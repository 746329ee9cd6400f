"""Episodes derived from a patient's facts: hospital stays, ready periods, KAD stays, missions, services.

:func:`build_episodes` replays facts in event-time order (then event id), so the result depends only on the
set of facts, never on arrival order. Cancellations are applied here: ADMISSION_CANCELLED (HL7 A11) voids the
stay, DISCHARGE_CANCELLED (A13) reopens it, and messages named by an AppRec rejection do not count.
These are derived views rebuilt on every evaluation, so they are plain mutable dataclasses.

**One stay across sources** (the rules and their reasons are in this package's README, "Stay join"): a
source's stay id (HL7 PV1-19, a FHIR Encounter id, a PLO alias) is an *alias*. :func:`join_stays` decides
which stay each hospital fact belongs to: admissions of one patient at one helseforetak within
``StayJoin.tolerance`` of each other are one stay; a fact whose alias no admission carries attaches to the
stay whose time covers it (admission <= t <= discharge + ``StayJoin.grace``), preferring the stay admitted on
the date a PLO alias states.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hub.domain.facts import SORT_KEY, Fact
from hub.domain.organisations import stay_hint
from hub.domain.timeutil import local_date
from hub.events.enums import EventType, NoticeKind, Place

if TYPE_CHECKING:
    from hub.domain.pathway import Pathway

ET = EventType
INNLEGGELSESRAPPORT_LOOKAHEAD = 12 * 3600
"""An innleggelsesrapport without episode id counts for a stay admitted up to 12 h after it was sent."""


@dataclass(slots=True)
class ReadyPeriod:
    """One utskrivningsklar period: declared, maybe withdrawn (avmelding), its notice and responses."""

    declared: Fact
    withdrawn: Fact | None = None
    notice: Fact | None = None
    responses: list[Fact] = field(default_factory=list)


@dataclass(slots=True)
class HospitalStay:
    """A hospital stay (episode) with its transfers, ready periods, notices and reports."""

    episode_id: str
    admitted: Fact | None = None
    discharged: Fact | None = None
    cancelled: bool = False
    aliases: set[str] = field(default_factory=set)
    """Every source stay id joined into this stay (the episode id is the first admission's)."""
    units: list[Fact] = field(default_factory=list)
    ready_periods: list[ReadyPeriod] = field(default_factory=list)
    admission_notices: list[Fact] = field(default_factory=list)
    ready_notices: list[Fact] = field(default_factory=list)
    responses: list[Fact] = field(default_factory=list)
    reports: dict[EventType, list[Fact]] = field(default_factory=dict)
    facts: list[Fact] = field(default_factory=list)

    @property
    def key(self) -> str:
        """Episode key used for pathways and bed segments."""
        return f"H:{self.episode_id}"

    @property
    def valid(self) -> bool:
        """True when the stay has an admission that was not cancelled."""
        return self.admitted is not None and not self.cancelled

    @property
    def end(self) -> int | None:
        """Discharge time, or None while the patient is in hospital."""
        return self.discharged.t if self.discharged else None

    @property
    def destination(self) -> Place | None:
        """Where the patient went at discharge."""
        if self.discharged is None:
            return None
        if self.discharged.type is ET.DIED:
            return Place.DEAD
        return Place(self.discharged.attr(0) or Place.UNKNOWN.value)

    def first_report(self, kind: EventType) -> Fact | None:
        """The earliest report of a kind, or None."""
        found = self.reports.get(kind)
        return found[0] if found else None


@dataclass(slots=True)
class KadStay:
    """A municipal acute bed (KAD/ØHD), sykestue or korttid stay."""

    stay_id: str
    admitted: Fact | None = None
    discharged: Fact | None = None

    @property
    def key(self) -> str:
        """Episode key."""
        return f"K:{self.stay_id}"

    @property
    def end(self) -> int | None:
        """Discharge time, or None while the stay is open."""
        return self.discharged.t if self.discharged else None


@dataclass(slots=True)
class AmbulanceMission:
    """An AMK mission: call, dispatch, on scene, arrival or cancellation."""

    mission_id: str
    facts: dict[EventType, Fact] = field(default_factory=dict)
    first: Fact | None = None
    last: Fact | None = None

    @property
    def key(self) -> str:
        """Episode key."""
        return f"M:{self.mission_id}"

    def terminal(self) -> Fact | None:
        """ARRIVED or CANCELLED, whichever came first."""
        ends = [f for f in (self.facts.get(ET.ARRIVED), self.facts.get(ET.CANCELLED)) if f]
        return min(ends, key=SORT_KEY) if ends else None


@dataclass(slots=True)
class Service:
    """A municipal service (hjemmesykepleie, sykehjem, ...) known from KPR/IPLOS or PLO."""

    service_id: str
    kind: str
    started: Fact | None = None
    ended: Fact | None = None

    def active_at(self, t: int) -> bool:
        """True when the service was running at instant ``t``."""
        return self.started is not None and self.started.t <= t and (self.ended is None or self.ended.t > t)


@dataclass(slots=True)
class Episodes:
    """Everything derived from one patient's facts."""

    stays: dict[str, HospitalStay] = field(default_factory=dict)
    kad: dict[str, KadStay] = field(default_factory=dict)
    missions: dict[str, AmbulanceMission] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    rejections: list[Fact] = field(default_factory=list)
    manual: list[Fact] = field(default_factory=list)
    died: Fact | None = None
    by_mid: dict[str, Fact] = field(default_factory=dict)
    valid: list[HospitalStay] | None = None
    stay_of: dict[str, str] = field(default_factory=dict)
    """Fact id -> the stay it was joined to (:func:`join_stays`)."""
    pathways: list[Pathway] | None = field(default=None, compare=False, repr=False)
    """The pathways grouped from these episodes, once the engine asked; read-only like the rest."""

    def stay_id_of(self, fact: Fact | None) -> str | None:
        """The stay a fact was joined to, else the stay id it named."""
        if fact is None:
            return None
        return self.stay_of.get(fact.id, fact.ep)

    def services_at(self, t: int) -> list[Service]:
        """Services running at instant ``t``."""
        return [s for s in self.services.values() if s.active_at(t)]

    def valid_stays(self) -> list[HospitalStay]:
        """Admitted, non-cancelled stays in admission order (cached once building is done)."""
        if self.valid is not None:
            return self.valid
        return sorted(
            (s for s in self.stays.values() if s.valid),
            key=lambda s: s.admitted.sort_key if s.admitted else (0, ""),
        )


def _stay(eps: Episodes, episode_id: str) -> HospitalStay:
    stay = eps.stays.get(episode_id)
    if stay is None:
        stay = eps.stays[episode_id] = HospitalStay(episode_id)
    return stay


def _hospital(eps: Episodes, f: Fact, episode_id: str) -> None:  # noqa: PLR0912 - one branch per event type
    stay = _stay(eps, episode_id)
    stay.facts.append(f)
    if f.ep is not None:
        stay.aliases.add(f.ep)
    kind = f.type
    if kind is ET.ADMITTED:
        if stay.cancelled:  # re-admission after A11: a fresh stay under the same episode id
            stay = eps.stays[stay.episode_id] = HospitalStay(stay.episode_id, facts=[f], aliases=stay.aliases)
        if stay.admitted is None:
            stay.admitted = f
            stay.units.insert(0, f)
    elif kind is ET.TRANSFERRED:
        stay.units.append(f)
    elif kind is ET.DISCHARGED:
        if stay.discharged is None:
            stay.discharged = f
    elif kind is ET.ADMISSION_CANCELLED:
        stay.cancelled = True
    elif kind is ET.DISCHARGE_CANCELLED:
        stay.discharged = None
    elif kind is ET.DECLARED_READY:
        if not stay.ready_periods or stay.ready_periods[-1].withdrawn is not None:
            stay.ready_periods.append(ReadyPeriod(declared=f))
    elif kind is ET.READY_WITHDRAWN:
        if stay.ready_periods and stay.ready_periods[-1].withdrawn is None:
            stay.ready_periods[-1].withdrawn = f
    elif kind is ET.MUNICIPALITY_NOTIFIED:
        if f.attr(0) == NoticeKind.READY.value:
            stay.ready_notices.append(f)
        else:
            stay.admission_notices.append(f)
    elif kind is ET.MUNICIPALITY_RESPONDED:
        stay.responses.append(f)
    else:
        stay.reports.setdefault(kind, []).append(f)


def _attach_ready(stay: HospitalStay) -> None:
    """Give each ready period its first READY notice and the responses after that notice."""
    lower = -1
    for period in stay.ready_periods:
        upper = period.withdrawn.t if period.withdrawn else None
        for notice in stay.ready_notices:
            if notice.t >= lower and (upper is None or notice.t < upper):
                period.notice = notice
                break
        if period.notice is not None:
            notice_t = period.notice.t
            period.responses = [
                r for r in stay.responses if r.t >= notice_t and (upper is None or r.t < upper)
            ]
        lower = upper if upper is not None else lower


HOSPITAL = frozenset(
    {
        ET.ADMITTED,
        ET.TRANSFERRED,
        ET.DISCHARGED,
        ET.ADMISSION_CANCELLED,
        ET.DISCHARGE_CANCELLED,
        ET.DECLARED_READY,
        ET.READY_WITHDRAWN,
        ET.MUNICIPALITY_NOTIFIED,
        ET.MUNICIPALITY_RESPONDED,
        ET.INNLEGGELSESRAPPORT_SENT,
        ET.UTSKRIVNINGSRAPPORT_SENT,
        ET.EPIKRISE_SENT,
    }
)
MISSION = frozenset({ET.CALL_RECEIVED, ET.DISPATCHED, ET.ON_SCENE, ET.LEFT_SCENE, ET.ARRIVED, ET.CANCELLED})


@dataclass(frozen=True, slots=True)
class StayJoin:
    """How facts from several sources are joined into one hospital stay (seconds; see the README)."""

    tolerance: int = 2 * 3600
    """Two admissions of one patient at one helseforetak this close in time are the same stay."""
    grace: int = 30 * 86_400
    """A fact without a known stay id still belongs to a stay this long after its discharge (late reports)."""


DEFAULT_JOIN = StayJoin()


@dataclass(slots=True)
class _Span:
    episode_id: str
    hf: str | None
    admitted: int
    end: int | None = None
    cancelled: bool = False


def _compatible(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a == b


def _spans(ordered: list[Fact], join: StayJoin) -> tuple[dict[str, str], dict[str, _Span]]:
    """Aliases of admissions -> stay id, and each stay's span, from admissions, discharges and cancels."""
    alias_of: dict[str, str] = {}
    spans: dict[str, _Span] = {}
    for f in ordered:
        if f.ep is None:
            continue
        kind = f.type
        known = alias_of.get(f.ep)
        if kind is ET.ADMITTED:
            if known is not None:
                span = spans[known]
                if span.cancelled:  # re-admission after A11 under the same id
                    span.cancelled, span.admitted, span.end = False, f.t, None
                continue
            match = next(
                (
                    s
                    for s in spans.values()
                    if not s.cancelled and _compatible(s.hf, f.hf) and abs(f.t - s.admitted) <= join.tolerance
                ),
                None,
            )
            if match is None:
                match = spans[f.ep] = _Span(f.ep, f.hf, f.t)
            elif match.hf is None:
                match.hf = f.hf
            alias_of[f.ep] = match.episode_id
        elif known is None:
            continue
        elif kind is ET.ADMISSION_CANCELLED:
            spans[known].cancelled = True
        elif kind is ET.DISCHARGED and spans[known].end is None:
            spans[known].end = f.t
        elif kind is ET.DISCHARGE_CANCELLED:
            spans[known].end = None
    return alias_of, spans


def _covering(f: Fact, spans: dict[str, _Span], join: StayJoin) -> str | None:
    """The stay a fact without a known stay id belongs to (see the module docstring), or None."""
    candidates = [s for s in spans.values() if not s.cancelled and _compatible(s.hf, f.hf)]
    hint = stay_hint(f.ep)
    if hint is not None and hint.admitted_on is not None:
        on_day = [s for s in candidates if local_date(s.admitted) == hint.admitted_on]
        if on_day:
            return max(on_day, key=lambda s: (s.admitted, s.episode_id)).episode_id
    limit = f.t + INNLEGGELSESRAPPORT_LOOKAHEAD if f.type is ET.INNLEGGELSESRAPPORT_SENT else f.t
    best: _Span | None = None
    for span in candidates:
        covers = span.admitted <= limit and (span.end is None or f.t <= span.end + join.grace)
        if covers and (best is None or (span.admitted, span.episode_id) > (best.admitted, best.episode_id)):
            best = span
    return best.episode_id if best is not None else None


def join_stays(ordered: list[Fact], join: StayJoin = DEFAULT_JOIN) -> dict[str, str]:
    """Fact id -> stay (episode) id of one patient's hospital facts and deaths (facts in SORT_KEY order).

    A fact whose id no admission carries and that no stay covers keeps its own id (a stay fragment without an
    admission, which the rules ignore until its admission arrives); a death that names no stay is absent.
    """
    alias_of, spans = _spans(ordered, join)
    result: dict[str, str] = {}
    for f in ordered:
        if f.type not in HOSPITAL and f.type is not ET.DIED:
            continue
        known = alias_of.get(f.ep) if f.ep is not None else None
        if known is None:
            known = _covering(f, spans, join)
        if known is None and f.type is not ET.DIED:
            known = f.ep
        if known is not None:
            result[f.id] = known
    return result


def _died(eps: Episodes, f: Fact, episode_id: str | None) -> None:
    if eps.died is None:
        eps.died = f
    for stay in eps.stays.values():
        if stay.valid and stay.discharged is None and (episode_id is None or episode_id == stay.episode_id):
            stay.discharged = f
            stay.facts.append(f)
    for kad in eps.kad.values():
        if kad.admitted is not None and kad.discharged is None:
            kad.discharged = f


def build_episodes(  # noqa: PLR0912 - a dispatch over event types
    facts: Iterable[Fact], join: StayJoin = DEFAULT_JOIN
) -> Episodes:
    """Derive all episodes from facts (any order in, event-time order applied)."""
    ordered = sorted(facts, key=SORT_KEY)
    eps = Episodes()
    rejected = {f.attr(0) for f in ordered if f.type is ET.MESSAGE_REJECTED}
    # Rejectable messages (notices, reports, answers) never shape a stay's span, so joining them too gives
    # the other facts the same stays and tells SA13 which stay a rejected message was about.
    stay_of = eps.stay_of = join_stays(ordered, join)
    for f in ordered:
        if f.mid is not None:
            eps.by_mid.setdefault(f.mid, f)
            if f.mid in rejected:
                continue
        kind = f.type
        if kind in HOSPITAL:
            episode = stay_of.get(f.id)
            if episode is not None:
                _hospital(eps, f, episode)
        elif kind is ET.DIED:
            _died(eps, f, stay_of.get(f.id))
        elif kind is ET.KAD_ADMITTED and f.ep:
            kad = eps.kad.setdefault(f.ep, KadStay(f.ep))
            if kad.admitted is None:
                kad.admitted = f
        elif kind is ET.KAD_DISCHARGED and f.ep:
            kad = eps.kad.setdefault(f.ep, KadStay(f.ep))
            if kad.discharged is None:
                kad.discharged = f
        elif kind in MISSION and f.ep:
            mission = eps.missions.setdefault(f.ep, AmbulanceMission(f.ep))
            mission.facts.setdefault(kind, f)
            mission.first = mission.first or f
            mission.last = f
        elif kind in (ET.MUNICIPAL_SERVICE_STARTED, ET.MUNICIPAL_SERVICE_ENDED) and f.ep:
            service = eps.services.setdefault(f.ep, Service(f.ep, f.attr(0)))
            if kind is ET.MUNICIPAL_SERVICE_STARTED:
                service.started = service.started or f
            else:
                service.ended = service.ended or f
        elif kind is ET.MESSAGE_REJECTED:
            eps.rejections.append(f)
        elif kind is ET.AVVIK_REPORTED:
            eps.manual.append(f)
    for stay in eps.stays.values():
        if stay.ready_periods:
            _attach_ready(stay)
    eps.valid = eps.valid_stays()
    return eps
