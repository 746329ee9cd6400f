"""The avvik report as a PNG bar chart: avvik per month, stacked by code (matplotlib, Agg backend).

matplotlib is the optional ``report`` extra (``pip install 'samhandling-hub[report]'``).
"""

from __future__ import annotations

from pathlib import Path

from hub.errors import ConfigError
from hub.report.avvik import AvvikReport

__all__ = ["write_chart"]


def write_chart(report: AvvikReport, path: Path) -> None:
    """Write the chart of ``report`` to ``path`` (PNG)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot as plt
        from matplotlib.ticker import MaxNLocator
    except ImportError as exc:
        raise ConfigError("the chart needs matplotlib: pip install 'samhandling-hub[report]'") from exc

    fig, ax = plt.subplots(figsize=(10, 5.5), dpi=100)
    try:
        months = [m.month for m in report.by_month]
        xs = list(range(len(months)))
        codes = report.codes
        colours = plt.get_cmap("tab20")
        bottoms = [0] * len(months)
        for i, code in enumerate(codes):
            heights = [m.count(code) for m in report.by_month]
            # even indices of tab20 first: ten distinct hues before the lighter shades
            ax.bar(xs, heights, bottom=bottoms, label=code, color=colours((2 * i) % 20 + (2 * i) // 20))
            bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
        for x, total in zip(xs, bottoms, strict=True):
            if total:
                ax.text(x, total, str(total), ha="center", va="bottom")
        ax.set_xticks(xs, months, rotation=45 if len(months) > 12 else 0)
        ax.set_ylim(0, max(bottoms, default=0) * 1.1 + 1)
        who = report.helsefellesskap_name
        ax.set_title(f"Samhandlingsavvik per måned – {who}")
        ax.set_xlabel("Måned (dato avviket oppstod)")
        ax.set_ylabel("Antall avvik (åpne og lukkede)")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        if codes:
            ax.legend(title="Avvikskode", loc="upper left", bbox_to_anchor=(1.01, 1.0))
        else:
            ax.text(0.5, 0.5, "Ingen avvik i perioden", ha="center", va="center", transform=ax.transAxes)
            ax.set_xticks([])
        fig.tight_layout()
        fig.savefig(path, format="png")
    finally:
        plt.close(fig)
