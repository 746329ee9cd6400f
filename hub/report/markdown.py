"""The avvik report as Markdown, in Norwegian (bokmål)."""

from __future__ import annotations

from hub.report.avvik import AvvikReport, GroupRow

__all__ = ["format_hours", "format_nok", "render_markdown"]


def format_nok(amount: float) -> str:
    """Whole kroner with a space as thousands separator: ``11 490``."""
    return f"{amount:,.0f}".replace(",", " ")


def format_hours(seconds: float | None) -> str:
    """Hours with one decimal and a decimal comma (``2,5``), or ``–``."""
    return "–" if seconds is None else f"{seconds / 3600:.1f}".replace(".", ",")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _group_table(first: str, rows: tuple[GroupRow, ...]) -> list[str]:
    body = [
        [
            r.key,
            r.name,
            str(r.counts.open),
            str(r.counts.resolved),
            str(r.counts.total),
            str(r.counts.retracted),
        ]
        for r in rows
    ]
    return _table([first, "Navn", "Åpne", "Lukket", "Totalt", "Trukket tilbake"], body)


def render_markdown(report: AvvikReport) -> str:
    """The whole report: totals, per code, kommune, HF and month, and betalingsplikt (SA05)."""
    hfs = f"{report.helsefellesskap_name} ({report.helsefellesskap})" if report.helsefellesskap else "alle"
    start = report.start.isoformat() if report.start else "…"
    end = report.end.isoformat() if report.end else "…"
    t = report.totals
    out = [
        f"# Samhandlingsavvik – {hfs}",
        "",
        f"Periode: {start} – {end} (dato avviket oppstod, norsk tid). "
        "Tilbaketrukne avvik er ikke med i tellingene.",
        "",
        "## Totalt",
        "",
        *_table(
            ["Status", "Antall"],
            [
                ["Avvik totalt (åpne + lukket)", str(t.total)],
                ["Åpne", str(t.open)],
                ["Lukket", str(t.resolved)],
                ["Trukket tilbake (ikke talt med)", str(t.retracted)],
            ],
        ),
        "",
        "## Per avvikskode",
        "",
        *_table(
            ["Kode", "Avvik", "Åpne", "Lukket", "Totalt", "Trukket tilbake", "Median forsinkelse (timer)"],
            [
                [
                    r.code,
                    r.title_no,
                    str(r.counts.open),
                    str(r.counts.resolved),
                    str(r.counts.total),
                    str(r.counts.retracted),
                    format_hours(r.median_delay_seconds),
                ]
                for r in report.by_code
            ],
        ),
        "",
        "Median forsinkelse: median av hvor sent den ventede meldingen kom, for lukkede avvik.",
        "",
        "## Per kommune (oppholdskommune)",
        "",
        *_group_table("Kommunenr.", report.by_kommune),
        "",
        "## Per helseforetak",
        "",
        *_group_table("HF", report.by_hf),
        "",
        "## Per måned",
        "",
    ]
    codes = list(report.codes)
    if report.by_month:
        out += _table(
            ["Måned", *codes, "Totalt"],
            [[m.month, *(str(m.count(c)) for c in codes), str(m.total)] for m in report.by_month],
        )
    else:
        out.append("Ingen avvik i perioden.")
    out += ["", "## Betalingsplikt for utskrivningsklare pasienter (SA05)", ""]
    if report.betalingsplikt:
        rows = [
            [r.kommune, r.name, str(r.overliggedogn), format_nok(r.betalingsplikt_nok), str(r.unpriced_days)]
            for r in report.betalingsplikt
        ]
        rows.append(
            ["**Sum**", "", str(report.overliggedogn_total), format_nok(report.betalingsplikt_total_nok), ""]
        )
        out += _table(
            ["Kommunenr.", "Kommune", "Overliggedøgn", "Betalingsplikt (NOK)", "Døgn uten døgnpris"], rows
        )
        if report.assumed_dognpris_years:
            years = ", ".join(str(y) for y in report.assumed_dognpris_years)
            out += [
                "",
                f"**Antatt døgnpris for {years}:** Helsedirektoratet har ikke publisert døgnprisen; siste "
                "offisielle pris er videreført (master data `dognpris.csv`, basis=assumption).",
            ]
    else:
        out.append("Ingen overliggedøgn i perioden.")
    return "\n".join(out) + "\n"
