"""Rules about messages: SA13 rejected by AppRec, SA14 filed by staff."""

from __future__ import annotations

from hub.domain.facts import SORT_KEY, Fact
from hub.domain.rules.base import RuleContext, Sink, observed
from hub.events.enums import EventType

RESEND_BY_MESSAGE_TYPE: tuple[tuple[str, EventType], ...] = (
    ("EPIKRISE", EventType.EPIKRISE_SENT),
    ("INNLEGGELSESRAPPORT", EventType.INNLEGGELSESRAPPORT_SENT),
    ("UTSKRIVNINGSRAPPORT", EventType.UTSKRIVNINGSRAPPORT_SENT),
    ("UTSKRIVNINGSKLAR", EventType.MUNICIPALITY_NOTIFIED),
    ("INNLAGT", EventType.MUNICIPALITY_NOTIFIED),
    ("HELSEOPPL", EventType.MUNICIPALITY_NOTIFIED),
    ("TILBAKEMELDING", EventType.MUNICIPALITY_RESPONDED),
)


def _resent(ctx: RuleContext, rejection: Fact) -> Fact | None:
    """The first later message of the same kind (and episode) that was not itself rejected."""
    original = ctx.episodes.by_mid.get(rejection.attr(0))
    kind: EventType | None = original.type if original else None
    episode = _stay(ctx, rejection)
    if kind is None:
        message_type = rejection.attr(1).upper()
        kind = next((k for key, k in RESEND_BY_MESSAGE_TYPE if key in message_type), None)
    if kind is None:
        return None
    rejected = {r.attr(0) for r in ctx.episodes.rejections}
    candidates = [
        f
        for f in ctx.episodes.by_mid.values()
        if f.type is kind
        and f.t > rejection.t
        and f.mid not in rejected
        and (episode is None or ctx.episodes.stay_id_of(f) == episode)
    ]
    return min(candidates, key=SORT_KEY) if candidates else None


def _stay(ctx: RuleContext, rejection: Fact) -> str | None:
    """The stay of the rejected message (an AppRec names no stay), else the one the rejection names."""
    original = ctx.episodes.by_mid.get(rejection.attr(0))
    return ctx.episodes.stay_id_of(original) or rejection.ep


def sa13_rejected(ctx: RuleContext, sink: Sink) -> None:
    """SA13: AppRec status 2 for a samhandling message; resolved when it is sent again and accepted."""
    for rejection in ctx.episodes.rejections:
        episode = _stay(ctx, rejection)
        observed(
            sink,
            code="SA13",
            anchor=rejection,
            evidence=(rejection.id,),
            episode_key=f"H:{episode}" if episode else None,
            episode_id=episode,
            resolved=_resent(ctx, rejection),
        )


def sa14_manual(ctx: RuleContext, sink: Sink) -> None:
    """SA14: a deviation filed by staff (AVVIK_REPORTED); only its category is kept, never the free text."""
    for report in ctx.episodes.manual:
        observed(
            sink,
            code="SA14",
            anchor=report,
            evidence=(report.id,),
            episode_key=None,
            episode_id=None,
            category=report.attr(0) or None,
        )
