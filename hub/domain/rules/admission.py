"""Rules about hospital admissions: SA01 notice to the kommune, SA02 innleggelsesrapport, SA09 readmission."""

from __future__ import annotations

from hub.domain.episodes import HospitalStay
from hub.domain.facts import SORT_KEY
from hub.domain.rules.base import RuleContext, Sink, absence, observed
from hub.domain.timeutil import local_date
from hub.events.enums import EventType, Hastegrad, Place, ServiceKind

NURSING_SERVICES = frozenset(
    {
        ServiceKind.HJEMMESYKEPLEIE.value,
        ServiceKind.SYKEHJEM_LANGTID.value,
        ServiceKind.SYKEHJEM_KORTTID.value,
    }
)
NOT_READMISSION_AFTER = frozenset({Place.HOSPITAL, Place.DEAD})
"""A discharge to another hospital is a transfer, and death ends the history: neither counts for SA09."""


def _acute(stay: HospitalStay) -> bool:
    return stay.admitted is not None and stay.admitted.attr(0) == Hastegrad.AKUTT.value


def sa01_notify_admission(ctx: RuleContext, sink: Sink) -> None:
    """SA01: admission of a patient with municipal services (or aged >= 75) not notified within 24 h."""
    limit = int(ctx.config.sa01_notify_within.total_seconds())
    for stay in ctx.episodes.valid_stays():
        admitted = stay.admitted
        assert admitted is not None  # noqa: S101 - valid_stays guarantees it
        age = local_date(admitted.t).year - ctx.patient.birth_year if ctx.patient.birth_year else None
        served = bool(ctx.episodes.services_at(admitted.t))
        if not served and (age is None or age < ctx.config.sa01_min_age):
            continue
        absence(
            ctx,
            sink,
            code="SA01",
            anchor=admitted,
            due=admitted.t + limit,
            awaited=stay.admission_notices[0] if stay.admission_notices else None,
            closed_at=stay.end,
            episode_key=stay.key,
            episode_id=stay.episode_id,
        )


def sa02_innleggelsesrapport(ctx: RuleContext, sink: Sink) -> None:
    """SA02: acute admission of a patient with home nursing or sykehjem, no innleggelsesrapport in 24 h."""
    limit = int(ctx.config.sa02_report_within.total_seconds())
    for stay in ctx.episodes.valid_stays():
        admitted = stay.admitted
        assert admitted is not None  # noqa: S101 - valid_stays guarantees it
        if not _acute(stay):
            continue
        if not any(s.kind in NURSING_SERVICES for s in ctx.episodes.services_at(admitted.t)):
            continue
        absence(
            ctx,
            sink,
            code="SA02",
            anchor=admitted,
            due=admitted.t + limit,
            awaited=stay.first_report(EventType.INNLEGGELSESRAPPORT_SENT),
            closed_at=stay.end,
            episode_key=stay.key,
            episode_id=stay.episode_id,
        )


def sa09_readmission(ctx: RuleContext, sink: Sink) -> None:
    """SA09: acute admission within 30 days of an earlier discharge (not a transfer, not death)."""
    window = int(ctx.config.sa09_window.total_seconds())
    stays = ctx.episodes.valid_stays()
    for stay in stays:
        admitted = stay.admitted
        assert admitted is not None  # noqa: S101 - valid_stays guarantees it
        if not _acute(stay):
            continue
        previous = [
            other.discharged
            for other in stays
            if other is not stay
            and other.discharged is not None
            and other.destination not in NOT_READMISSION_AFTER
            and admitted.t - window <= other.discharged.t <= admitted.t
        ]
        if not previous:
            continue
        last = max(previous, key=SORT_KEY)
        observed(
            sink,
            code="SA09",
            anchor=admitted,
            evidence=(last.id, admitted.id),
            episode_key=stay.key,
            episode_id=stay.episode_id,
        )
