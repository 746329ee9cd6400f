"""The avvik report as CSV: one row per avvik, and a long-format summary (dimension, key, metric, value).

The per-avvik file leaves out the patient pseudonym, pathway, episode and evidence ids: the report is for
samhandling leaders and holds no patient-level identifiers.
"""

from __future__ import annotations

import csv
from typing import TextIO

from hub.report.avvik import AvvikReport, StatusCounts

__all__ = ["AVVIK_COLUMNS", "SUMMARY_COLUMNS", "write_avvik_csv", "write_summary_csv"]

AVVIK_COLUMNS = (
    "avvik_id",
    "code",
    "status",
    "severity",
    "hf",
    "kommune",
    "helsefellesskap",
    "detected_at",
    "due_at",
    "resolved_at",
    "delay_seconds",
    "overliggedogn",
    "betalingsplikt_nok",
    "unpriced_days",
    "category",
    "text_no",
)
SUMMARY_COLUMNS = ("dimension", "key", "name", "metric", "value")


def write_avvik_csv(report: AvvikReport, out: TextIO) -> None:
    """One row per selected avvik (retracted ones included, with their status), instants in ISO 8601 UTC."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(AVVIK_COLUMNS)
    for rec in report.records:
        data = rec.model_dump(mode="json")
        writer.writerow(["" if data.get(col) is None else data[col] for col in AVVIK_COLUMNS])


def _counts(dimension: str, key: str, name: str, counts: StatusCounts) -> list[list[str]]:
    return [
        [dimension, key, name, metric, str(value)]
        for metric, value in (
            ("open", counts.open),
            ("resolved", counts.resolved),
            ("total", counts.total),
            ("retracted", counts.retracted),
        )
    ]


def write_summary_csv(report: AvvikReport, out: TextIO) -> None:
    """Every figure of the report as ``dimension,key,name,metric,value`` rows."""
    rows: list[list[str]] = _counts("total", "all", report.helsefellesskap_name, report.totals)
    for code in report.by_code:
        rows += _counts("code", code.code, code.title_no, code.counts)
        if code.median_delay_seconds is not None:
            rows.append(
                ["code", code.code, code.title_no, "median_delay_seconds", f"{code.median_delay_seconds:g}"]
            )
    for group in report.by_kommune:
        rows += _counts("kommune", group.key, group.name, group.counts)
    for group in report.by_hf:
        rows += _counts("hf", group.key, group.name, group.counts)
    for month in report.by_month:
        rows += [["month", month.month, "", f"count_{code}", str(n)] for code, n in month.by_code]
        rows.append(["month", month.month, "", "total", str(month.total)])
    for row in report.betalingsplikt:
        rows += [
            ["betalingsplikt", row.kommune, row.name, "overliggedogn", str(row.overliggedogn)],
            ["betalingsplikt", row.kommune, row.name, "betalingsplikt_nok", f"{row.betalingsplikt_nok:.2f}"],
            ["betalingsplikt", row.kommune, row.name, "unpriced_days", str(row.unpriced_days)],
        ]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SUMMARY_COLUMNS)
    writer.writerows(rows)
