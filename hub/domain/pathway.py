"""Per-patient pathway state (serialisable) and the grouping of episodes into pathways (pasientforløp).

Pathway definition: the hub groups a patient's ambulance missions, hospital stays and KAD/sykestue stays
(municipal home services are context, not members) into pathways. Episodes are taken in start order; an
episode joins the current pathway when it starts while another episode of the pathway is open or at most
``EngineConfig.pathway_gap`` (default 24 h) after the last one ended. A pathway ENDS when the patient has had
no open episode for ``pathway_gap``; it is CLOSED once the clock has passed that point. Its id is
``uuid5(pseudonym | original event id of the first episode's opening event)``: deterministic on replay.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from hub.domain import ids
from hub.domain.avvik import AvvikRecord
from hub.domain.beds import BedSegment
from hub.domain.deadlines import Deadline
from hub.domain.episodes import Episodes
from hub.domain.facts import SORT_KEY, Fact
from hub.domain.rules.base import PatientInfo
from hub.domain.timeutil import iso
from hub.errors import DomainError

STATE_VERSION = 1


@dataclass(frozen=True, slots=True)
class Pathway:
    """A pasientforløp: start, end (None while an episode is open) and its member episode keys."""

    pathway_id: str
    start: int
    end: int | None
    episode_keys: frozenset[str]


def episode_intervals(eps: Episodes) -> list[tuple[int, int | None, str, str]]:
    """``(start, end, episode key, opening anchor)`` of every pathway-member episode."""
    spans: list[tuple[int, int | None, str, str]] = []
    for stay in eps.valid_stays():
        assert stay.admitted is not None  # noqa: S101 - valid_stays guarantees it
        spans.append((stay.admitted.t, stay.end, stay.key, stay.admitted.anchor))
    for kad in eps.kad.values():
        if kad.admitted is not None:
            spans.append((kad.admitted.t, kad.end, kad.key, kad.admitted.anchor))
    for mission in eps.missions.values():
        if mission.first is not None and mission.last is not None:
            terminal = mission.terminal()
            spans.append((mission.first.t, (terminal or mission.last).t, mission.key, mission.first.anchor))
    spans.sort(key=lambda s: (s[0], s[2]))
    return spans


def group_pathways(pseudonym: str, eps: Episodes, gap: int) -> list[Pathway]:
    """Group episodes into pathways (see module docstring), oldest first."""
    result: list[Pathway] = []
    current: list[tuple[int, int | None, str, str]] = []
    end: int | None = None

    def close() -> None:
        if current:
            result.append(
                Pathway(
                    pathway_id=ids.pathway_id(pseudonym, current[0][3]),
                    start=current[0][0],
                    end=end,
                    episode_keys=frozenset(c[2] for c in current),
                )
            )

    for span in episode_intervals(eps):
        start, stop = span[0], span[1]
        if current and (end is None or start <= end + gap):
            current.append(span)
            end = None if end is None or stop is None else max(end, stop)
            continue
        close()
        current, end = [span], stop
    close()
    return result


@dataclass(frozen=True, slots=True)
class PathwaySummary:
    """What ``samhandling.pathway.state`` publishes for a patient (key: pseudonym)."""

    pseudonym: str
    pathway_id: str | None
    status: str
    """ACTIVE (an episode is open or ended less than ``pathway_gap`` ago), CLOSED, or NONE."""
    started_at: int | None
    ended_at: int | None
    location: str | None
    """AMBULANCE, HOSPITAL or KAD while an episode is open, else None."""
    unit_id: str | None
    hf: str | None
    episode_id: str | None
    utskrivningsklar_since: int | None
    kommunenummer: str | None
    helsefellesskap: str | None
    open_avvik: int
    last_event_at: int | None
    source_ids: tuple[str, ...] = ()
    """Every source id the current pathway joined (``hospital:<stay id>`` for each source's stay id,
    ``kad:<id>``, ``ambulance:<mission id>``), so a subscriber can map the pathway back to its own ids."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (ISO 8601 UTC instants)."""
        return {
            "pseudonym": self.pseudonym,
            "pathway_id": self.pathway_id,
            "status": self.status,
            "started_at": iso(self.started_at),
            "ended_at": iso(self.ended_at),
            "location": self.location,
            "unit_id": self.unit_id,
            "hf": self.hf,
            "episode_id": self.episode_id,
            "utskrivningsklar_since": iso(self.utskrivningsklar_since),
            "kommunenummer": self.kommunenummer,
            "helsefellesskap": self.helsefellesskap,
            "open_avvik": self.open_avvik,
            "last_event_at": iso(self.last_event_at),
            "source_ids": list(self.source_ids),
        }


@dataclass(slots=True)
class PathwayState:
    """Everything the engine remembers about one patient. Serialise with :meth:`to_dict` / :meth:`from_dict`.

    ``facts`` (by event id) is the pruned event history; ``tombstones`` are ids cancelled or replaced (so a
    late original is ignored); ``avvik`` are the records last published; ``segments`` the bed segments last
    published; ``deadlines`` the pending wake-ups (the engine rebuilds its heap from them).
    """

    pseudonym: str
    facts: dict[str, Fact] = field(default_factory=dict)
    tombstones: dict[str, int] = field(default_factory=dict)
    patient: PatientInfo = field(default_factory=PatientInfo)
    patient_at: tuple[int, str] = (0, "")
    avvik: dict[str, AvvikRecord] = field(default_factory=dict)
    segments: dict[str, BedSegment] = field(default_factory=dict)
    deadlines: tuple[Deadline, ...] = ()
    pathway_id: str | None = None
    pathway_status: str = "NONE"
    known_until: int = 0
    prune_at: int | None = None

    def checkpoint(self) -> PathwayState:
        """A copy to :meth:`roll_back` to (the containers are copied; what they hold is immutable)."""
        return PathwayState(  # not dataclasses.replace: this runs on every event and judgement
            self.pseudonym,
            dict(self.facts),
            dict(self.tombstones),
            self.patient,
            self.patient_at,
            dict(self.avvik),
            dict(self.segments),
            self.deadlines,
            self.pathway_id,
            self.pathway_status,
            self.known_until,
            self.prune_at,
        )

    def roll_back(self, saved: PathwayState) -> None:
        """Make this state (in place: caches hold this object) what it was at :meth:`checkpoint`."""
        for spec in fields(self):
            setattr(self, spec.name, getattr(saved, spec.name))

    def next_wake(self) -> int | None:
        """Clock time of the earliest pending deadline, or None."""
        return min((d.fire_at for d in self.deadlines), default=None)

    @staticmethod
    def stored_wake(data: Mapping[str, Any]) -> tuple[str, int | None]:
        """(pseudonym, :meth:`next_wake`) of a state as :meth:`to_dict` wrote it, without decoding it (a
        rebuild over millions of stored states reads only these)."""
        return str(data["p"]), min((int(d[1]) for d in data.get("d", ())), default=None)

    @property
    def empty(self) -> bool:
        """True when nothing is left to remember (all history pruned)."""
        return not self.facts and not self.tombstones

    def to_dict(self) -> dict[str, Any]:
        """Compact JSON-able form for the worker's RocksDB table / changelog."""
        p = self.patient
        return {
            "v": STATE_VERSION,
            "p": self.pseudonym,
            "f": [f.to_list() for f in sorted(self.facts.values(), key=SORT_KEY)],
            "x": dict(sorted(self.tombstones.items())),
            "pi": [p.birth_year, p.sex, p.bostedskommune, p.oppholdskommune],
            "pa": list(self.patient_at),
            "a": [r.to_dict() for r in sorted(self.avvik.values(), key=lambda r: r.avvik_id)],
            "s": [s.to_list() for s in sorted(self.segments.values(), key=lambda s: s.segment_id)],
            "d": [[d.due, d.fire_at, d.reason] for d in self.deadlines],
            "pw": [self.pathway_id, self.pathway_status],
            "k": self.known_until,
            "pr": self.prune_at,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PathwayState:
        """Inverse of :meth:`to_dict`."""
        if data.get("v") != STATE_VERSION:
            raise DomainError(f"unsupported pathway state version {data.get('v')!r}")
        facts = (Fact.from_list(row) for row in data["f"])
        segments = (BedSegment.from_list(row) for row in data["s"])
        records = (AvvikRecord.from_dict(row) for row in data["a"])
        birth_year, sex, bosted, opphold = data["pi"]
        return cls(
            pseudonym=data["p"],
            facts={f.id: f for f in facts},
            tombstones={k: int(v) for k, v in data["x"].items()},
            patient=PatientInfo(
                birth_year=birth_year, sex=sex, bostedskommune=bosted, oppholdskommune=opphold
            ),
            patient_at=(int(data["pa"][0]), str(data["pa"][1])),
            avvik={r.avvik_id: r for r in records},
            segments={s.segment_id: s for s in segments},
            deadlines=tuple(Deadline(due=int(d[0]), fire_at=int(d[1]), reason=str(d[2])) for d in data["d"]),
            pathway_id=data["pw"][0],
            pathway_status=data["pw"][1],
            known_until=int(data["k"]),
            prune_at=data.get("pr"),
        )
