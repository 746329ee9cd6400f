"""The samhandlingsavvik rules SA01-SA14 (DESIGN §5), grouped by where the deviation happens.

Every rule is a pure function ``rule(ctx, sink)``: it reads the patient's episodes as known up to
``ctx.known_until`` and adds :class:`~hub.domain.rules.base.Finding` objects and wake-up instants to ``sink``.
"""

from collections.abc import Callable

from hub.domain.rules.admission import sa01_notify_admission, sa02_innleggelsesrapport, sa09_readmission
from hub.domain.rules.ambulance import sa12_slow_ambulance
from hub.domain.rules.base import Finding, RuleContext, Sink
from hub.domain.rules.discharge import sa06_no_agreement, sa07_epikrise, sa08_utskrivningsrapport
from hub.domain.rules.kad import sa10_long_stay, sa11_bounce
from hub.domain.rules.messages import sa13_rejected, sa14_manual
from hub.domain.rules.ready import sa03_late_ready_notice, sa04_no_answer, sa05_overligg

Rule = Callable[[RuleContext, Sink], None]

RULES: dict[str, Rule] = {
    "SA01": sa01_notify_admission,
    "SA02": sa02_innleggelsesrapport,
    "SA03": sa03_late_ready_notice,
    "SA04": sa04_no_answer,
    "SA05": sa05_overligg,
    "SA06": sa06_no_agreement,
    "SA07": sa07_epikrise,
    "SA08": sa08_utskrivningsrapport,
    "SA09": sa09_readmission,
    "SA10": sa10_long_stay,
    "SA11": sa11_bounce,
    "SA12": sa12_slow_ambulance,
    "SA13": sa13_rejected,
    "SA14": sa14_manual,
}

NEEDS: dict[str, str] = {
    **{f"SA0{n}": "stays" for n in range(1, 10)},
    "SA10": "kad",
    "SA11": "kad",
    "SA12": "missions",
    "SA13": "rejections",
    "SA14": "manual",
}
"""Which episode collection a rule reads: a rule is skipped when that collection is empty."""

__all__ = ["NEEDS", "RULES", "Finding", "Rule", "RuleContext", "Sink"]
