"""Rules about municipal acute beds: SA10 stay too long, SA11 bounce to hospital."""

from __future__ import annotations

from hub.domain.rules.base import RuleContext, Sink, absence, observed
from hub.events.enums import Place, UnitKind

KAD_KINDS = frozenset({UnitKind.KAD_SOMATISK.value, UnitKind.KAD_PSYKISK_RUS.value})


def sa10_long_stay(ctx: RuleContext, sink: Sink) -> None:
    """SA10: KAD stay longer than 72 h, sykestue stay longer than 14 days (korttid has no limit)."""
    for stay in ctx.episodes.kad.values():
        admitted = stay.admitted
        if admitted is None:
            continue
        kind = admitted.attr(0)
        if kind in KAD_KINDS:
            limit = ctx.config.sa10_kad_max
        elif kind == UnitKind.SYKESTUE.value:
            limit = ctx.config.sa10_sykestue_max
        else:
            continue
        absence(
            ctx,
            sink,
            code="SA10",
            anchor=admitted,
            due=admitted.t + int(limit.total_seconds()),
            awaited=stay.discharged,
            closed_at=None,
            episode_key=stay.key,
            episode_id=stay.stay_id,
        )


def sa11_bounce(ctx: RuleContext, sink: Sink) -> None:
    """SA11: KAD_DISCHARGED to hospital within 24 h of KAD_ADMITTED."""
    limit = int(ctx.config.sa11_bounce_within.total_seconds())
    for stay in ctx.episodes.kad.values():
        admitted, out = stay.admitted, stay.discharged
        if admitted is None or out is None or out.attr(0) != Place.HOSPITAL.value:
            continue
        if out.t - admitted.t > limit:
            continue
        observed(
            sink,
            code="SA11",
            anchor=out,
            evidence=(admitted.id, out.id),
            episode_key=stay.key,
            episode_id=stay.stay_id,
        )
