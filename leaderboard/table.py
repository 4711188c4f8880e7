"""The leaderboard table of one (suite, agent): per-task mean return with a 95 % bootstrap
interval over seeds, normalised scores where the suite has a score range, and the IQM of
normalised scores with a stratified-bootstrap 95 % interval (Agarwal et al. 2021)."""

from __future__ import annotations

from collections import defaultdict

from leaderboard.suites import Suite
from wmagents.harness.stats import bootstrap_ci, stratified_bootstrap_ci
from wmagents.harness.store import Store


def _fmt(point: float, low: float, high: float, digits: int) -> str:
    return f"{point:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def render_table(store: Store, suite: Suite, agent: str, run_ids: list[str] | None = None) -> str:
    """Markdown table of the finished runs of ``agent`` on ``suite`` in ``store`` (only
    ``run_ids`` when given)."""
    by_task: dict[str, list[float]] = defaultdict(list)
    wall = 0.0
    for run in store.runs(label=suite.label):
        if run["agent"] == agent and (run_ids is None or run["run_id"] in run_ids):
            by_task[run["env_id"]].append(run["final_return"])
            wall += run["wall_time_s"]
    lines = [f"### {suite.label} — {agent}", "",
             "| env | n | final return, mean [95% CI] | normalised, mean [95% CI] |",
             "| --- | --- | --- | --- |"]
    normalised: dict[str, list[float]] = {}
    for task in suite.tasks:
        returns = by_task.get(task.env_id, [])
        if not returns:
            lines.append(f"| {task.env_id} | 0 | (no finished runs) | |")
            continue
        norm = ""
        if task.score_range is not None:
            normalised[task.env_id] = [task.normalise(r) for r in returns]
            norm = _fmt(*bootstrap_ci(normalised[task.env_id]), 3)
        lines.append(f"| {task.env_id} | {len(returns)} | {_fmt(*bootstrap_ci(returns), 1)} "
                     f"| {norm} |")
    lines.append("")
    if normalised:
        n = sum(map(len, normalised.values()))
        lines.append(f"IQM of normalised score: {_fmt(*stratified_bootstrap_ci(normalised), 3)} "
                     f"(stratified bootstrap, {n} runs over {len(normalised)} tasks)")
    lines.append(f"Training wall time summed over runs: {wall:.0f} s. CIs: percentile "
                 "bootstrap over seeds (2000 resamples); with few seeds they are optimistic.")
    return "\n".join(lines)
