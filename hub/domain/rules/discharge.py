"""Rules about hospital discharges: SA06 no agreement, SA07 epikrise, SA08 utskrivningsrapport."""

from __future__ import annotations

from hub.domain.rules.admission import NURSING_SERVICES
from hub.domain.rules.base import RuleContext, Sink, absence, observed
from hub.events.enums import MUNICIPAL_CARE_PLACES, EventType, Place

NURSING_PLACES = frozenset({Place.HOME_NURSING, Place.SYKEHJEM})


def sa06_no_agreement(ctx: RuleContext, sink: Sink) -> None:
    """SA06: DISCHARGED to municipal care without an earlier "can receive" answer from the kommune."""
    for stay in ctx.episodes.valid_stays():
        out = stay.discharged
        if out is None or stay.destination not in MUNICIPAL_CARE_PLACES:
            continue
        agreed = any(r.attr(0) == "1" and r.t <= out.t for r in stay.responses)
        if agreed:
            continue
        observed(
            sink,
            code="SA06",
            anchor=out,
            evidence=(out.id,),
            episode_key=stay.key,
            episode_id=stay.episode_id,
        )


def sa07_epikrise(ctx: RuleContext, sink: Sink) -> None:
    """SA07: no EPIKRISE_SENT within 1 day of DISCHARGED (not after death)."""
    limit = int(ctx.config.sa07_epikrise_within.total_seconds())
    for stay in ctx.episodes.valid_stays():
        out = stay.discharged
        if out is None or stay.destination is Place.DEAD:
            continue
        absence(
            ctx,
            sink,
            code="SA07",
            anchor=out,
            due=out.t + limit,
            awaited=stay.first_report(EventType.EPIKRISE_SENT),
            closed_at=None,
            episode_key=stay.key,
            episode_id=stay.episode_id,
        )


def sa08_utskrivningsrapport(ctx: RuleContext, sink: Sink) -> None:
    """SA08: discharged to home nursing / sykehjem without UTSKRIVNINGSRAPPORT_SENT by discharge + 24 h."""
    limit = int(ctx.config.sa08_report_within.total_seconds())
    for stay in ctx.episodes.valid_stays():
        out = stay.discharged
        if out is None:
            continue
        to_nursing = stay.destination in NURSING_PLACES or (
            stay.destination is Place.HOME
            and any(s.kind in NURSING_SERVICES for s in ctx.episodes.services_at(out.t))
        )
        if not to_nursing:
            continue
        absence(
            ctx,
            sink,
            code="SA08",
            anchor=out,
            due=out.t + limit,
            awaited=stay.first_report(EventType.UTSKRIVNINGSRAPPORT_SENT),
            closed_at=None,
            episode_key=stay.key,
            episode_id=stay.episode_id,
        )
