"""Reports for samhandling leaders: ``hub report avvik`` (DESIGN §5).

:mod:`hub.report.avvik` aggregates avvik records (pure); :mod:`hub.report.inputs` reads them from JSON lines
and :mod:`hub.report.topic` from the compacted avvik topic; :mod:`hub.report.markdown`,
:mod:`hub.report.csvout` and :mod:`hub.report.chart` render the report.
"""

from hub.report.avvik import AvvikReport, build_report

__all__ = ["AvvikReport", "build_report"]
