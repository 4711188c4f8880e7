"""The one curve plotter of reports and the leaderboard page (matplotlib, Agg backend)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np

from wmagents.harness.stats import bootstrap_ci


def plot_curves(ax, curves: Mapping[str, Sequence[Sequence[tuple[float, float]]]],
                band: str = "range") -> None:
    """One line per label: at each x the mean over the label's runs, shaded from the lowest to
    the highest run (``band="ci"``: the 95 % bootstrap interval of the mean), ``(n=...)`` in
    the legend. A label's colour is its position in ``curves``
    (C0, C1, ...), so panels that list the same labels, even with no runs, colour them alike.
    The legend lists the labels that have runs."""
    drawn = False
    for colour, (label, runs) in enumerate(curves.items()):
        by_x = defaultdict(list)
        for run in runs:
            for x, y in run:
                by_x[x].append(y)
        if not by_x:
            continue
        xs = sorted(by_x)
        ys = [np.asarray(by_x[x], float) for x in xs]
        ax.plot(xs, [y.mean() for y in ys], marker="." if len(xs) < 60 else None,
                color=f"C{colour}", label=f"{label} (n={len(runs)})")
        if len(runs) > 1:
            low, high = (zip(*(bootstrap_ci(y)[1:] for y in ys)) if band == "ci"
                         else ([y.min() for y in ys], [y.max() for y in ys]))
            ax.fill_between(xs, low, high, color=f"C{colour}", alpha=0.2)
        drawn = True
    if drawn:
        ax.legend(fontsize="small")


def eval_curve(points: Sequence[Mapping]) -> list[tuple[float, float]]:
    """A stored evaluation curve as ``(step, mean_return)`` pairs."""
    return [(p["step"], p["mean_return"]) for p in points]


def binned_curve(curve: Sequence[tuple[float, float]], bins: int,
                 x_max: float) -> list[tuple[float, float]]:
    """``curve`` averaged in ``bins`` equal bins over ``[0, x_max]``: ``(bin centre, mean y)``
    for each bin holding points (the DynE release's plots: 20 bins per seed)."""
    width = x_max / bins
    by_bin = defaultdict(list)
    for x, y in curve:
        by_bin[min(int(x // width), bins - 1)].append(y)
    return [((b + 0.5) * width, float(np.mean(ys))) for b, ys in sorted(by_bin.items())]


def new_figure(panels: int, width: float = 4.0, height: float = 3.0, rows: int = 1):
    """``(figure, axes)`` with ``axes[row][panel]``, on the Agg backend."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(rows, panels, figsize=(width * panels, height * rows), squeeze=False)


def save(fig, path) -> None:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
