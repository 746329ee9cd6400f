"""What rules read (:class:`RuleContext`), what they produce (:class:`Finding`), and the absence pattern.

Findings about an instant are only produced once ``known_until`` (= clock - allowed lateness) has passed it,
and only from facts that occurred by ``known_until``: the outcome is a pure function of the facts and the
clock, so arrival order within the allowed lateness cannot change it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from hub.domain.config import RuleConfig
from hub.domain.episodes import Episodes
from hub.domain.facts import Fact


@dataclass(frozen=True, slots=True)
class PatientInfo:
    """Demographics from the newest event: birth year and kommuner (no direct identifiers)."""

    birth_year: int | None = None
    sex: str | None = None
    bostedskommune: str | None = None
    oppholdskommune: str | None = None

    @property
    def kommune(self) -> str | None:
        """The kommune that is billed and concerned: oppholdskommune, else bostedskommune."""
        return self.oppholdskommune or self.bostedskommune


@dataclass(frozen=True, slots=True)
class RuleContext:
    """Input of every rule."""

    episodes: Episodes
    known_until: int
    config: RuleConfig
    patient: PatientInfo
    dognpris: Mapping[int, int]


@dataclass(frozen=True, slots=True)
class Finding:
    """A deviation a rule found; the engine turns it into an :class:`~hub.domain.avvik.AvvikRecord`."""

    code: str
    anchor: str
    episode_key: str | None
    episode_id: str | None
    detected_at: int
    due_at: int | None
    resolved_at: int | None
    delay: int | None
    evidence: tuple[str, ...]
    hf: str | None
    unit_kommune: str | None = None
    days: int | None = None
    amount_nok: int | None = None
    unpriced_days: int = 0
    category: str | None = None


@dataclass(slots=True)
class Sink:
    """Collects findings and the event-time instants at which the outcome may change (future dues)."""

    findings: list[Finding] = field(default_factory=list)
    wakes: list[tuple[int, str]] = field(default_factory=list)

    def add(self, finding: Finding) -> None:
        """Record a finding."""
        self.findings.append(finding)

    def wake(self, at: int, reason: str) -> None:
        """Ask to be evaluated again once ``known_until`` reaches ``at`` (``reason``: the rule code)."""
        self.wakes.append((at, reason))


def absence(
    ctx: RuleContext,
    sink: Sink,
    *,
    code: str,
    anchor: Fact,
    due: int,
    awaited: Fact | None,
    closed_at: int | None,
    episode_key: str | None,
    episode_id: str | None,
    unit_kommune: str | None = None,
) -> None:
    """The "no X within T" pattern: ``awaited`` is the first X (or None), ``closed_at`` ends the wait.

    Nothing while ``due`` is still ahead of ``known_until`` (a wake is requested), nothing when X came by
    ``due`` or the wait was closed by then; otherwise an open finding, resolved by a late X (with its delay)
    or by the end of the episode (no delay).
    """
    if awaited is not None and awaited.t <= due:
        return  # in time (a later cancel of ``awaited`` triggers a new evaluation anyway)
    if closed_at is not None and closed_at <= due:
        return
    if due > ctx.known_until:
        sink.wake(due, code)
        return
    resolved_at: int | None = None
    delay: int | None = None
    evidence = [anchor.id]
    if awaited is not None and (closed_at is None or awaited.t <= closed_at):
        resolved_at, delay = awaited.t, awaited.t - due
        evidence.append(awaited.id)
    elif closed_at is not None:
        resolved_at = closed_at
    sink.add(
        Finding(
            code=code,
            anchor=anchor.anchor,
            episode_key=episode_key,
            episode_id=episode_id,
            detected_at=due,
            due_at=due,
            resolved_at=resolved_at,
            delay=delay,
            evidence=tuple(evidence),
            hf=anchor.hf,
            unit_kommune=unit_kommune or anchor.kommune,
        )
    )


def observed(
    sink: Sink,
    *,
    code: str,
    anchor: Fact,
    evidence: tuple[str, ...],
    episode_key: str | None,
    episode_id: str | None,
    hf: str | None = None,
    resolved: Fact | None = None,
    category: str | None = None,
) -> None:
    """An event-triggered deviation detected at ``anchor``'s time (no deadline)."""
    sink.add(
        Finding(
            code=code,
            anchor=anchor.anchor,
            episode_key=episode_key,
            episode_id=episode_id,
            detected_at=anchor.t,
            due_at=None,
            resolved_at=resolved.t if resolved else None,
            delay=None,
            evidence=evidence + ((resolved.id,) if resolved else ()),
            hf=hf or anchor.hf,
            unit_kommune=anchor.kommune,
            category=category,
        )
    )
