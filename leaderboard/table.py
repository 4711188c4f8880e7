"""The leaderboard table of one (suite, agent): per-task mean return with a 95 % bootstrap
interval over seeds, normalised scores where the suite has a score range, and the IQM, mean
and optimality gap of normalised scores with stratified-bootstrap 95 % intervals (rliable,
Agarwal et al. 2021)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from leaderboard.suites import Suite
from wmagents.harness.stats import (FEW_SEEDS, REPS, aggregate, bootstrap_ci, format_interval,
                                    mean_interval)
from wmagents.harness.store import Store

CI_NOTE = (f"CIs: rliable's percentile bootstrap over seeds ({REPS} resamples); with few seeds "
           "they are optimistic.")


def overrides_of(run: dict) -> str:
    """A stored run's config overrides as canonical JSON (``{}`` for the defaults)."""
    return json.dumps(json.loads(run["spec_json"])["overrides"], sort_keys=True)


def isolation_of(run: dict) -> str:
    """``process`` (sandboxed, the leaderboard's default) or ``none`` (in the evaluator's
    process: the harness's own runs, ``--in-process``, and runs from before the sandbox)."""
    return json.loads(run["spec_json"]).get("isolation", "none")


def display_name(agent: str, overrides: str, isolation: str = "process") -> str:
    """The agent, with its overrides when it has any (``baselines.sac {"lr": 0.001}``), marked
    ``(in-process)`` when it did not run sandboxed."""
    name = agent if overrides == "{}" else f"{agent} {overrides}"
    return name if isolation == "process" else f"{name} (in-process)"


@dataclass
class Summary:
    """Finished runs of one agent and config on one suite: final returns and run ids per env
    ID. Runs with other overrides are another summary (another row), never pooled."""

    suite: Suite
    agent: str
    overrides: str = "{}"
    isolation: str = "process"
    returns: dict[str, list[float]] = field(default_factory=dict)
    run_ids: dict[str, list[str]] = field(default_factory=dict)
    wall_time_s: float = 0.0

    @property
    def name(self) -> str:
        return display_name(self.agent, self.overrides, self.isolation)

    def normalised(self) -> dict[str, list[float]]:
        """Normalised final scores of the tasks that have a score range and finished runs."""
        return {t.env_id: [t.normalise(r) for r in self.returns[t.env_id]]
                for t in self.suite.tasks if t.score_range and self.returns.get(t.env_id)}

    def aggregate(self) -> dict | None:
        """IQM, mean and optimality gap of normalised scores with their stratified-bootstrap
        95 % intervals, over the runs every task has (``n`` per task)."""
        normalised = self.normalised()
        return aggregate(normalised) if normalised else None


def summarise(store: Store, suite: Suite, agent: str, overrides: str = "{}",
              run_ids: list[str] | None = None, isolation: str = "process") -> Summary:
    """The finished runs of ``agent`` with ``overrides`` and ``isolation`` on ``suite`` in
    ``store`` (only ``run_ids`` when given)."""
    summary = Summary(suite, agent, overrides, isolation)
    for run in store.runs(label=suite.label):
        if run["agent"] == agent and overrides_of(run) == overrides \
                and isolation_of(run) == isolation \
                and (run_ids is None or run["run_id"] in run_ids):
            summary.returns.setdefault(run["env_id"], []).append(run["final_return"])
            summary.run_ids.setdefault(run["env_id"], []).append(run["run_id"])
            summary.wall_time_s += run["wall_time_s"]
    return summary


def task_rows(summary: Summary) -> list[tuple[str, str, str, str]]:
    """(env ID, n, final return mean [CI], normalised mean [CI]) per task of the suite."""
    rows, normalised = [], summary.normalised()
    for task in summary.suite.tasks:
        returns = summary.returns.get(task.env_id, [])
        if not returns:
            rows.append((task.env_id, "0", "(no finished runs)", ""))
            continue
        norm = format_interval(*bootstrap_ci(normalised[task.env_id]), 3) if task.env_id in normalised else ""
        rows.append((task.env_id, str(len(returns)), format_interval(*bootstrap_ci(returns), 1), norm))
    return rows


def iqm_line(summary: Summary) -> str:
    """IQM, mean and optimality gap of the normalised scores, with ``n`` and a warning when
    the seeds are too few for trustworthy intervals."""
    stats = summary.aggregate()
    if stats is None:
        return ""
    tasks, n = len(summary.normalised()), stats["n"]
    line = (f"IQM of normalised score: {format_interval(*stats['iqm'], 3)}; mean "
            f"{format_interval(*stats['mean'], 3)}; optimality gap "
            f"{format_interval(*stats['optimality_gap'], 3)} (stratified bootstrap, {n} runs "
            f"per task over {tasks} tasks)")
    if n < FEW_SEEDS:
        line += f". Warning: {n} seed(s) per task; intervals need >= {FEW_SEEDS} to be trusted"
    return line


def run_groups(store: Store, label: str) -> list[tuple[str, str, str, list[float]]]:
    """Finished runs under a label that is not a suite (a paper reproduction), one group per
    (agent, env ID, overrides): ``(agent, env_id, overrides JSON, final returns)``."""
    groups: dict[tuple[str, str, str], list[float]] = {}
    for run in store.runs(label=label):
        groups.setdefault((run["agent"], run["env_id"], overrides_of(run)), []).append(
            run["final_return"])
    return [(*key, returns) for key, returns in groups.items()]


def reproduction_markdown(store: Store, label: str) -> str:
    lines = [f"### {label} (paper reproduction runs; `python -m wmagents.reproduce` tabulates "
             "them beside the paper)", "",
             "| agent | env | overrides | final return, mean [95% CI] |", "| --- | --- | --- | --- |"]
    lines += [f"| {agent} | {env_id} | `{overrides}` | {mean_interval(returns)} |"
              for agent, env_id, overrides, returns in run_groups(store, label)]
    return "\n".join(lines)


def render_table(store: Store, suite: Suite, agent: str, overrides: dict,
                 run_ids: list[str] | None = None, isolation: str = "process") -> str:
    """Markdown table of the finished runs of ``agent`` with ``overrides`` on ``suite`` in
    ``store`` (only ``run_ids`` when given)."""
    return markdown(summarise(store, suite, agent, json.dumps(overrides, sort_keys=True), run_ids,
                              isolation))


def markdown(summary: Summary) -> str:
    lines = [f"### {summary.suite.label} — {summary.name}", "",
             "| env | n | final return, mean [95% CI] | normalised, mean [95% CI] |",
             "| --- | --- | --- | --- |"]
    lines += ["| " + " | ".join(row) + " |" for row in task_rows(summary)]
    lines.append("")
    if line := iqm_line(summary):
        lines.append(line)
    lines.append(f"Training wall time summed over runs: {summary.wall_time_s:.0f} s. {CI_NOTE}")
    return "\n".join(lines)
