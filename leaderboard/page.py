"""The static leaderboard page: one self-contained HTML file (plots inlined as PNG).

Per suite, comparing every agent that has runs on it:

* rliable's plots (Agarwal et al. 2021): IQM, mean and optimality gap of normalised scores
  with stratified-bootstrap 95 % intervals; performance profiles (the fraction of runs above
  each normalised score, with bands); the probability of improvement of every agent over
  every other;
* the evaluation curves of every agent on every task (:func:`~wmagents.harness.plots.plot_curves`:
  mean over seeds, band from the lowest to the highest seed);
* each agent's table as ``leaderboard.show`` prints it, and per run its provenance.

Elements carry ``data-suite`` / ``data-agent`` / ``data-task`` / ``data-plot`` attributes, and
after loading ``body[data-plots-loaded]`` counts the decoded images (the browser test).
"""

from __future__ import annotations

import base64
import html
import io
from collections import defaultdict
from pathlib import Path

import json

import numpy as np

from leaderboard.table import CI_NOTE, Summary, iqm_line, task_rows
from wmagents.harness.plots import eval_curve, new_figure, plot_curves
from wmagents.harness.stats import performance_profiles, probability_of_improvement
from wmagents.harness.store import Store

PAIR = "\t"             # rliable's pair separator: agent names hold commas (overrides)
PROVENANCE = ("device", "cpu", "git_sha", "torch", "agent_process")
LOADED = ("<script>addEventListener('load',()=>document.body.dataset.plotsLoaded=[...document"
          ".images].filter(i=>i.complete&&i.naturalWidth>0).length)</script>")

STYLE = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
         "table{border-collapse:collapse;margin:.5em 0 1.5em}"
         "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:right}"
         "td:first-child,th:first-child{text-align:left}img{max-width:100%}")


def _png(fig, kind: str) -> str:
    """``fig`` as an inline ``<img data-plot=kind>``; closes the figure."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode()
    return f'<img alt="{kind}" data-plot="{kind}" src="data:image/png;base64,{data}">'


def _colours(names: list[str]) -> dict[str, str]:
    """One matplotlib colour per agent, the same in every plot of a suite."""
    return {name: f"C{i % 10}" for i, name in enumerate(names)}


def _aggregate_plot(scored: list[Summary]) -> str:
    """rliable's interval estimates of IQM, mean and optimality gap, one row per agent."""
    from rliable import plot_utils

    names = [s.name for s in scored]
    stats = {s.name: s.aggregate() for s in scored}
    keys = ("iqm", "mean", "optimality_gap")
    points = {a: np.array([stats[a][k][0] for k in keys]) for a in names}
    bands = {a: np.array([[stats[a][k][1] for k in keys], [stats[a][k][2] for k in keys]])
             for a in names}
    fig, _ = plot_utils.plot_interval_estimates(
        points, bands, metric_names=["IQM", "Mean", "Optimality gap"], algorithms=names,
        colors=_colours(names), xlabel="normalised score (95% stratified-bootstrap CI)",
        subfigure_width=3.6, row_height=0.6, xlabel_y_coordinate=-0.9 / len(names) - 0.25)
    return _png(fig, "aggregate")


def _profile_plot(scored: list[Summary]) -> str:
    """rliable's performance profiles: fraction of runs above each normalised score."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from rliable import plot_utils

    taus = np.linspace(0.0, 1.0, 41)
    profiles, bands = performance_profiles({s.name: s.normalised() for s in scored}, taus)
    fig, ax = plt.subplots(figsize=(6, 3.6))
    colours = _colours([s.name for s in scored])
    plot_utils.plot_performance_profiles(profiles, taus, performance_profile_cis=bands, ax=ax,
                                         colors=colours, xlabel=r"normalised score $\tau$",
                                         ylabel=r"fraction of runs with score $> \tau$")
    ax.legend([Line2D([0], [0], color=c) for c in colours.values()], list(colours),
              loc="upper right", fontsize="small")
    return _png(fig, "profiles")


def _improvement_plot(scored: list[Summary]) -> str:
    """rliable's probability of improvement P(X > Y) for every ordered pair of agents."""
    from rliable import plot_utils

    points, bands = {}, {}
    for x in scored:
        for y in scored:
            if x is not y:
                point, low, high = probability_of_improvement(x.normalised(), y.normalised())
                pair = f"{x.name}{PAIR}{y.name}"
                points[pair], bands[pair] = point, np.array([low, high])
    ax = plot_utils.plot_probability_of_improvement(points, bands, pair_separator=PAIR,
                                                    figsize=(5, 0.6 + 0.5 * len(points)))
    return _png(ax.figure, "improvement")


def _rliable_plots(group: list[Summary]) -> str:
    scored = [s for s in group if s.aggregate() is not None]
    if not scored:
        return "<p>(no task of this suite has a score range: no normalised plots)</p>"
    plots = [_aggregate_plot(scored), _profile_plot(scored)]
    if len(scored) > 1:
        plots.append(_improvement_plot(scored))
    return "".join(plots)


def _curves_plot(store: Store, summaries: list[Summary]) -> str:
    tasks = summaries[0].suite.tasks
    fig, axes = new_figure(len(tasks))
    for ax, task in zip(axes[0], tasks):    # every agent in every panel: one colour each
        plot_curves(ax, {s.name: [eval_curve(store.curve(r)) for r in s.run_ids.get(task.env_id, [])]
                         for s in summaries})
        ax.set(title=task.env_id.removeprefix("wmenvs/"), xlabel="simulator steps",
               ylabel="evaluation return")
    fig.tight_layout()
    return _png(fig, "curves")


def _table(summary: Summary) -> str:
    head = ["env", "n", "final return, mean [95% CI]", "normalised, mean [95% CI]"]
    rows = "".join(f"<tr data-task='{html.escape(row[0])}'>"
                   + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                   for row in task_rows(summary))
    return (f"<div data-agent='{html.escape(summary.name)}'><h3>{html.escape(summary.name)}</h3>"
            "<table><tr>" + "".join(f"<th>{h}</th>" for h in head) + f"</tr>{rows}</table>"
            f"<p>{html.escape(iqm_line(summary))}</p></div>")


def _provenance(store: Store, summary: Summary) -> str:
    """Per run: id, env, seed, final return and where it ran, in a collapsed block."""
    runs = {r["run_id"]: r for r in store.runs(label=summary.suite.label)}
    head = ["run", "env", "seed", "final return", *PROVENANCE]
    rows = []
    for env_id, run_ids in summary.run_ids.items():
        for run_id in run_ids:
            run = runs[run_id]
            where = json.loads(run["provenance_json"] or "{}")
            cells = [run_id, env_id, str(run["seed"]), f"{run['final_return']:.2f}",
                     *(str(where.get(k, "")) for k in PROVENANCE)]
            rows.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    return (f"<details><summary>Runs of {html.escape(summary.name)} ({len(rows)})</summary>"
            "<table><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>" + "".join(rows)
            + "</table></details>")


def write_page(store: Store, summaries: list[Summary], path: Path) -> Path:
    """Write the page for ``summaries`` (any mix of suites and agents) to ``path``."""
    import matplotlib
    matplotlib.use("Agg")

    by_suite: dict[str, list[Summary]] = defaultdict(list)
    for summary in summaries:
        by_suite[summary.suite.label].append(summary)
    body = ["<h1>wmenvs leaderboard</h1>"]
    for label, group in sorted(by_suite.items()):
        body += [f"<section data-suite='{html.escape(label)}'><h2>{html.escape(label)}</h2>",
                 f"<p>{html.escape(group[0].suite.description)}</p>",
                 _rliable_plots(group), _curves_plot(store, group)]
        body += [_table(summary) + _provenance(store, summary) for summary in group]
        body.append("</section>")
    body.append(f"<p><small>{html.escape(CI_NOTE)}</small></p>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"<!doctype html><html><head><meta charset='utf-8'><title>wmenvs "
                    f"leaderboard</title><style>{STYLE}</style>{LOADED}</head><body>"
                    + "\n".join(body) + "</body></html>\n")
    return path
