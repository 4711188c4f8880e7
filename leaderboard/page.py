"""The static leaderboard page: one self-contained HTML file (plots inlined as PNG).

Per suite: the IQM of normalised score of every agent with its 95 % interval (a dot and a
bar), the evaluation curves of every agent on every task (:func:`~wmagents.harness.plots.plot_curves`:
mean over seeds, band from the lowest to the highest seed), and each agent's table as printed by ``leaderboard.show``.
"""

from __future__ import annotations

import base64
import html
import io
from collections import defaultdict
from pathlib import Path

from leaderboard.table import CI_NOTE, Summary, iqm_line, task_rows
from wmagents.harness.plots import eval_curve, new_figure, plot_curves
from wmagents.harness.store import Store

STYLE = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
         "table{border-collapse:collapse;margin:.5em 0 1.5em}"
         "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:right}"
         "td:first-child,th:first-child{text-align:left}img{max-width:100%}")


def _png(fig) -> str:
    """``fig`` as an inline ``<img>``; closes the figure."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    return f'<img alt="plot" src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}">'


def _iqm_plot(summaries: list[Summary]) -> str:
    import matplotlib.pyplot as plt

    scored = [(s.name, stats["iqm"]) for s in summaries if (stats := s.aggregate()) is not None]
    if not scored:
        return ""
    fig, ax = plt.subplots(figsize=(6, 0.6 + 0.45 * len(scored)))
    for i, (agent, (point, low, high)) in enumerate(scored):
        ax.plot([low, high], [i, i], color="tab:blue", linewidth=6, alpha=0.35)
        ax.plot(point, i, "o", color="tab:blue")
    ax.set(yticks=range(len(scored)), yticklabels=[a for a, _ in scored],
           xlabel="IQM of normalised score (95% CI)", ylim=(-0.7, len(scored) - 0.3))
    fig.tight_layout()
    return _png(fig)


def _curves_plot(store: Store, summaries: list[Summary]) -> str:
    tasks = summaries[0].suite.tasks
    fig, axes = new_figure(len(tasks))
    for ax, task in zip(axes[0], tasks):    # every agent in every panel: one colour each
        plot_curves(ax, {s.name: [eval_curve(store.curve(r)) for r in s.run_ids.get(task.env_id, [])]
                         for s in summaries})
        ax.set(title=task.env_id.removeprefix("wmenvs/"), xlabel="simulator steps",
               ylabel="evaluation return")
    fig.tight_layout()
    return _png(fig)


def _table(summary: Summary) -> str:
    head = ["env", "n", "final return, mean [95% CI]", "normalised, mean [95% CI]"]
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                   for row in task_rows(summary))
    return (f"<h3>{html.escape(summary.name)}</h3><table><tr>"
            + "".join(f"<th>{h}</th>" for h in head) + f"</tr>{rows}</table>"
            f"<p>{html.escape(iqm_line(summary))}</p>")


def write_page(store: Store, summaries: list[Summary], path: Path) -> Path:
    """Write the page for ``summaries`` (any mix of suites and agents) to ``path``."""
    import matplotlib
    matplotlib.use("Agg")

    by_suite: dict[str, list[Summary]] = defaultdict(list)
    for summary in summaries:
        by_suite[summary.suite.label].append(summary)
    body = ["<h1>wmenvs leaderboard</h1>"]
    for label, group in sorted(by_suite.items()):
        body += [f"<h2>{html.escape(label)}</h2>",
                 f"<p>{html.escape(group[0].suite.description)}</p>",
                 _iqm_plot(group), _curves_plot(store, group)]
        body += [_table(summary) for summary in group]
    body.append(f"<p><small>{html.escape(CI_NOTE)}</small></p>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"<!doctype html><html><head><meta charset='utf-8'><title>wmenvs "
                    f"leaderboard</title><style>{STYLE}</style></head><body>"
                    + "\n".join(body) + "</body></html>\n")
    return path
