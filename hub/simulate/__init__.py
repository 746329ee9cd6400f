"""``hub simulate``: a synthetic helsefellesskap sent through the real connectors' protocols.

:mod:`hub.synth` makes the canonical timeline; :mod:`hub.simulate.plan` turns it into source messages
(HL7 v2 ADT, PLO/ELIN XML, ambulance JSON, KPR CSV) for synthetic persons (:mod:`hub.simulate.persons`);
:mod:`hub.simulate.simulator` sends each message when its simulated time comes and counts the answers.
"""

from hub.simulate.simulator import SimOptions, run_simulation
from hub.simulate.stats import SimStats

__all__ = ["SimOptions", "SimStats", "run_simulation"]
