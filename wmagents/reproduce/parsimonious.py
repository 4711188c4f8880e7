"""Saanum & Schulz, *Learning Parsimonious Dynamics for Generalization in RL*: Figures 3 and 4.

``python -m wmagents.reproduce parsimonious [--figure 3|4] [--budget smoke|small|paper]
[--seeds N] [--backend local|ray] [--worlds GridWorld,...] [--paper-nets]``

``--paper-nets`` keeps the budget's episodes and planner but gives SAC and the models the
paper's network sizes (A.2, A.5: SAC 800-800, models 1200-1200); its runs, tables and plots
are filed under ``<budget>-paper-nets``. ``--worlds`` runs a subset of the three worlds.

* Figure 3 (policy learning, §4.3): discrete SAC over the latents of the parsimonious model,
  of a beta-VAE, and on raw observations (Baseline), on GridWorld / FourRooms / Torus for
  200 / 500 / 250 episodes of 250 steps. Score: the total training return summed over
  episodes (the paper's "total score summed over episodes"), per seed.
* Figure 4 (planning, §4.4): the CEM planner with the parsimonious model, an RNN, an SSM and the
  true dynamics on 30 planning problems per seed (``<World>Planning-v0``, 50 steps each; the
  problems of seed ``s`` are the loop's training resets of run seed ``s``, identical for every
  model). Score: the mean return over the 30 problems, per seed.

The paper reports curves and bars only, so each table states the paper's *ordering* beside
our mean and 95 % bootstrap CI. Everything is read from the store ``--db`` (runs, provenance,
evaluation points and every training episode's return), the one the leaderboard uses.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from wmagents.harness.plots import new_figure, plot_curves, save
from wmagents.harness.spec import RunSpec
from wmagents.harness.store import Store
from wmagents.reproduce import (Cell, add_common_arguments, check_common_arguments,
                                comparison_table, finished_line, run_tables, sweep)

WORLDS = ("GridWorld", "FourRooms", "Torus")
POLICY_STEPS, PLANNING_STEPS = 250, 50
SAC_AGENT = "wmagents.agents.parsimonious_sac"
PLANNER_AGENT = "wmagents.agents.parsimonious_planning"
FIG3_METHODS = {"Parsimonious (ours)": "parsimonious", "VAE": "vae", "Baseline (SAC)": "none"}
FIG3_PAPER = {"Parsimonious (ours)": "1st (best total)", "VAE": "2nd", "Baseline (SAC)": "3rd"}
FIG4_MODELS = {"Parsimonious (ours)": "parsimonious", "RNN": "rnn", "SSM": "ssm",
               "True dynamics": "true"}
FIG4_PAPER = {"Parsimonious (ours)": "best learnt model", "RNN": "below ours",
              "SSM": "below ours", "True dynamics": "top (red line)"}

BUDGETS = {
    # the paper's budget: A.2, A.5-A.7, §4.3 (10 seeds)
    "paper": {"seeds": 10, "episodes": {"GridWorld": 200, "FourRooms": 500, "Torus": 250},
              "sac": {"hidden": [800, 800]}, "model": {"model_hidden": [1200, 1200]},
              "planner": {}, "tasks": 30},
    # CPU hours: about half the episodes, 256-unit nets, a 10x smaller CEM (J=200, K=40, I=5)
    "small": {"seeds": 2, "episodes": {"GridWorld": 100, "FourRooms": 150, "Torus": 100},
              "sac": {"hidden": [256, 256]}, "model": {"model_hidden": [256, 256]},
              "planner": {"candidates": 200, "top_k": 40, "iterations": 5,
                          "dynamics_updates_per_episode": 25}, "tasks": 30},
    # seconds per run (CI): checks the plumbing, not the science
    "smoke": {"seeds": 1, "episodes": {"GridWorld": 2, "FourRooms": 2, "Torus": 2},
              "sac": {"hidden": [32, 32], "batch_size": 32, "updates_per_episode": 2},
              "model": {"model_hidden": [32, 32], "dynamics_updates_per_episode": 2,
                        "dynamics_batch": 32},
              "planner": {"candidates": 20, "top_k": 4, "iterations": 2, "horizon": 5,
                          "dynamics_updates_per_episode": 2, "dynamics_batch": 32},
              "tasks": 3},
}


def networks(budget: str, paper_nets: bool = False) -> tuple[dict, dict]:
    """``(SAC overrides, model overrides)`` of ``budget``, with the paper's sizes if asked."""
    preset = BUDGETS[budget]
    sac, model = dict(preset["sac"]), dict(preset["model"])
    if paper_nets:
        sac["hidden"] = BUDGETS["paper"]["sac"]["hidden"]
        model["model_hidden"] = BUDGETS["paper"]["model"]["model_hidden"]
    return sac, model


def figure3_specs(budget: str, seeds: int, worlds=WORLDS,
                  paper_nets: bool = False) -> dict[tuple[str, str], list[RunSpec]]:
    preset = BUDGETS[budget]
    base_sac, model_nets = networks(budget, paper_nets)
    specs: dict[tuple[str, str], list[RunSpec]] = {}
    for world in worlds:
        steps = preset["episodes"][world] * POLICY_STEPS
        sac = dict(base_sac)
        if world == "FourRooms" and budget != "smoke":
            sac["batch_size"] = 350                      # A.6: 350 in Four Rooms
        for row, model in FIG3_METHODS.items():
            overrides = {**sac, "model": model}
            if model != "none":
                overrides.update(model_nets)
            specs[row, world] = [RunSpec(SAC_AGENT, f"wmenvs/{world}-v0", seed, steps, steps, 1,
                                         overrides) for seed in range(seeds)]
    return specs


def figure4_specs(budget: str, seeds: int, worlds=WORLDS,
                  paper_nets: bool = False) -> dict[tuple[str, str], list[RunSpec]]:
    preset = BUDGETS[budget]
    steps = preset["tasks"] * PLANNING_STEPS
    model_nets = networks(budget, paper_nets)[1]
    specs: dict[tuple[str, str], list[RunSpec]] = {}
    for world in worlds:
        for row, model in FIG4_MODELS.items():
            overrides = {**preset["planner"], "model": model, "tasks": preset["tasks"]}
            if model == "true":
                overrides = {k: v for k, v in overrides.items() if not k.startswith("dynamics")}
                overrides["world"] = world
            else:
                overrides["model_hidden"] = model_nets["model_hidden"]
            specs[row, world] = [RunSpec(PLANNER_AGENT, f"wmenvs/{world}Planning-v0", seed, steps,
                                         steps, 1, overrides) for seed in range(seeds)]
    return specs


def ordering(cells: dict[tuple[str, str], Cell], rows: list[str], world: str) -> str:
    means = {row: np.mean(cells[row, world].ours) for row in rows if cells[row, world].ours}
    return " > ".join(sorted(means, key=means.get, reverse=True))


def mean_or_nan(values: list[float]) -> float:
    return float(np.mean(values)) if values else float("nan")


def plot_figure3(curves: dict, path: Path, worlds=WORLDS) -> None:
    fig, axes = new_figure(len(worlds), 5, 3.6)
    for ax, world in zip(axes[0], worlds):
        plot_curves(ax, {row: [list(enumerate(run, 1)) for run in curves[row, world]]
                         for row in FIG3_METHODS})
        ax.set(title=world, xlabel="episode", ylabel="training return")
    fig.suptitle("Figure 3: policy learning (mean over seeds, band: lowest to highest seed)")
    save(fig, path)


def plot_figure4(cells: dict, per_task: dict, path: Path, worlds=WORLDS) -> None:
    fig, axes = new_figure(len(worlds), 5, 3.5, rows=2)
    learnt = [row for row in FIG4_MODELS if row != "True dynamics"]
    for col, world in enumerate(worlds):
        means = [mean_or_nan(cells[row, world].ours) for row in learnt]
        stds = [np.std(cells[row, world].ours) if cells[row, world].ours else 0.0 for row in learnt]
        axes[0, col].bar(range(len(learnt)), means, yerr=stds, capsize=4)
        axes[0, col].axhline(mean_or_nan(cells["True dynamics", world].ours), color="red",
                             label="true dynamics")
        axes[0, col].set_xticks(range(len(learnt)), learnt, fontsize=8)
        axes[0, col].set(title=world, ylabel="mean return over tasks (std over seeds)")
        plot_curves(axes[1, col], {row: [list(enumerate(run, 1)) for run in per_task[row, world]]
                                   for row in FIG4_MODELS})
        axes[1, col].set(xlabel="task", ylabel="return")
    axes[0, 0].legend()
    fig.suptitle("Figure 4: planning")
    save(fig, path)


def run_figure(figure: int, args, store: Store, out: Path) -> tuple[str, bool]:
    """Run (or skip) the figure's specs; the report text and whether every run finished."""
    worlds, tag = args.worlds, args.budget + ("-paper-nets" if args.paper_nets else "")
    specs = (figure3_specs if figure == 3 else figure4_specs)(args.budget, args.seeds, worlds,
                                                              args.paper_nets)
    label = f"parsimonious-fig{figure}-{tag}"
    started = time.perf_counter()
    todo = [s for group in specs.values() for s in group]
    report = sweep(args, todo, store, label)
    wall = time.perf_counter() - started
    returns = {key: [store.train_returns(s.run_id) for s in group
                     if store.status(s.run_id) == "finished"] for key, group in specs.items()}
    rows = list(FIG3_METHODS if figure == 3 else FIG4_MODELS)
    paper = FIG3_PAPER if figure == 3 else FIG4_PAPER
    score = (lambda r: float(np.sum(r))) if figure == 3 else (lambda r: float(np.mean(r)))
    cells = {key: Cell(paper[key[0]], [score(r) for r in runs]) for key, runs in returns.items()}
    run_time = sum(r["wall_time_s"] or 0 for r in store.runs(label=label))
    if figure == 3:
        episodes = ", ".join(f"{w} {BUDGETS[args.budget]['episodes'][w]}" for w in worlds)
        title = f"Figure 3: total training return summed over episodes ({episodes} episodes)"
        plot_figure3(returns, out / f"figure3_{tag}.png", worlds)
    else:
        title = f"Figure 4: mean planning return over {BUDGETS[args.budget]['tasks']} problems"
        plot_figure4(cells, returns, out / f"figure4_{tag}.png", worlds)
    lines = [comparison_table(title, rows, list(worlds), cells), ""]
    lines += [f"- {world}: ours ranks {ordering(cells, rows, world)}" for world in worlds]
    if figure == 3:
        best = {w: BUDGETS[args.budget]["episodes"][w] * optimal_return(w) for w in worlds}
        lines.append("- best possible total: " + ", ".join(f"{w} {v}" for w, v in best.items()))
    lines.append(finished_line(store, todo))
    nets = ("the paper's network sizes (SAC 800-800, models 1200-1200)" if args.paper_nets
            else "the budget's network sizes")
    lines.append(f"- budget {args.budget} with {nets}, {args.seeds} seed(s); sweep wall time "
                 f"{wall:.0f} s (this call), summed run time {run_time:.0f} s; plot in {out}")
    lines += [f"- FAILED run {run_id} (left out of the table): {error}"
              for run_id, error in report.failed.items()]
    return "\n".join(lines), not report.failed


def optimal_return(world: str) -> int:
    import gymnasium as gym
    import wmenvs  # noqa: F401

    env = gym.make(f"wmenvs/{world}-v0")
    env.reset(seed=0)
    return int(env.unwrapped.optimal_return)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wmagents.reproduce parsimonious",
                                     description=__doc__.split("\n\n")[0])
    add_common_arguments(parser)
    parser.add_argument("--figure", type=int, choices=(3, 4), action="append",
                        help="3 (policy learning) and/or 4 (planning); default both")
    parser.add_argument("--out", default="runs/parsimonious", help="folder for plots and tables")
    parser.add_argument("--worlds", default=",".join(WORLDS),
                        help="comma-separated subset of " + ", ".join(WORLDS))
    parser.add_argument("--paper-nets", action="store_true",
                        help="the budget's episodes and planner with the paper's network sizes")
    args = parser.parse_args(argv)
    check_common_arguments(parser, args)
    args.worlds = tuple(args.worlds.split(","))
    unknown = sorted(set(args.worlds) - set(WORLDS))
    if unknown:
        parser.error(f"unknown --worlds {unknown}; choose from {', '.join(WORLDS)}")
    args.seeds = args.seeds or BUDGETS[args.budget]["seeds"]
    tag = args.budget + ("-paper-nets" if args.paper_nets else "")
    return run_tables(args, args.figure or (3, 4), run_figure, f"tables_{tag}.md")

