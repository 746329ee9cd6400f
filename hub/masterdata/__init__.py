"""Master data (DESIGN §7): helsefellesskap, HF, kommuner (versioned), units, døgnpris, rule overrides.

:mod:`hub.masterdata.model` holds the parsed data as frozen dataclasses (pure);
:mod:`hub.masterdata.load` reads the shipped CSV/JSON files and the optional override directory.
"""

from hub.masterdata.load import DATA_DIR, load_masterdata
from hub.masterdata.model import Helsefellesskap, Helseforetak, Kommune, MasterData, Unit

__all__ = [
    "DATA_DIR",
    "Helsefellesskap",
    "Helseforetak",
    "Kommune",
    "MasterData",
    "Unit",
    "load_masterdata",
]
