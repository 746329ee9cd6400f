"""Rules about utskrivningsklar patients: SA03 late notice, SA04 no answer, SA05 overliggedøgn."""

from __future__ import annotations

from datetime import date

from hub.domain.episodes import HospitalStay, ReadyPeriod
from hub.domain.overlig import KommuneAnswer, count_overlig, price
from hub.domain.rules.base import Finding, RuleContext, Sink, absence
from hub.domain.timeutil import end_of_local_day, local_midnight


def _periods(ctx: RuleContext) -> list[tuple[HospitalStay, ReadyPeriod]]:
    return [(stay, period) for stay in ctx.episodes.valid_stays() for period in stay.ready_periods]


def _stop(stay: HospitalStay, period: ReadyPeriod) -> int | None:
    ends = [t for t in (period.withdrawn.t if period.withdrawn else None, stay.end) if t is not None]
    return min(ends) if ends else None


def sa03_late_ready_notice(ctx: RuleContext, sink: Sink) -> None:
    """SA03: DECLARED_READY without a READY notice to the kommune the same (Oslo) day."""
    for stay, period in _periods(ctx):
        absence(
            ctx,
            sink,
            code="SA03",
            anchor=period.declared,
            due=end_of_local_day(period.declared.t),
            awaited=period.notice,
            closed_at=_stop(stay, period),
            episode_key=stay.key,
            episode_id=stay.episode_id,
        )


def sa04_no_answer(ctx: RuleContext, sink: Sink) -> None:
    """SA04: a READY notice without MUNICIPALITY_RESPONDED by the end of the same (Oslo) day."""
    for stay, period in _periods(ctx):
        if period.notice is None:
            continue
        absence(
            ctx,
            sink,
            code="SA04",
            anchor=period.notice,
            due=end_of_local_day(period.notice.t),
            awaited=period.responses[0] if period.responses else None,
            closed_at=_stop(stay, period),
            episode_key=stay.key,
            episode_id=stay.episode_id,
        )


def _answers(period: ReadyPeriod) -> list[KommuneAnswer]:
    return [
        KommuneAnswer(
            t=r.t,
            can_receive=r.attr(0) == "1",
            receive_date=date.fromisoformat(r.attr(1)) if r.attr(1) else None,
        )
        for r in period.responses
    ]


def sa05_overligg(ctx: RuleContext, sink: Sink) -> None:
    """SA05: overliggedøgn counted and priced per :mod:`hub.domain.overlig`; open while still in hospital."""
    for stay, period in _periods(ctx):
        stop = _stop(stay, period)
        count = count_overlig(
            period.declared.t,
            period.notice.t if period.notice else None,
            stop,
            _answers(period),
            ctx.known_until,
        )
        if count is None:
            continue
        if count.next_midnight is not None:
            sink.wake(count.next_midnight, "SA05")
        if not count.days:
            continue
        cost = price(count.days, ctx.dognpris)
        first_midnight = local_midnight(count.days[0]) + 86_400
        evidence = [period.declared.id]
        if period.notice is not None:
            evidence.append(period.notice.id)
        evidence.extend(r.id for r in period.responses)
        ended = stop is not None and stop <= ctx.known_until
        if ended and stop is not None:
            ender = period.withdrawn if period.withdrawn and period.withdrawn.t == stop else stay.discharged
            if ender is not None:
                evidence.append(ender.id)
        sink.add(
            Finding(
                code="SA05",
                anchor=period.declared.anchor,
                episode_key=stay.key,
                episode_id=stay.episode_id,
                detected_at=first_midnight,
                due_at=first_midnight,
                resolved_at=stop if ended else None,
                delay=None,
                evidence=tuple(evidence),
                hf=period.declared.hf,
                days=len(count.days),
                amount_nok=cost.amount_nok,
                unpriced_days=cost.unpriced_days,
            )
        )
