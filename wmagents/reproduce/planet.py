"""PlaNet (Hafner et al. 2019, "Learning Latent Dynamics for Planning from Pixels",
arXiv:1811.04551): Table 1.

``python -m wmagents.reproduce planet [--budget smoke|small|paper] [--seeds N]
[--backend local|ray] [--rows planet,oracle]``

* ``PlaNet (RSSM)``: :mod:`wmagents.agents.planet` on the six protocol IDs
  ``wmenvs/PlaNet-<task>-v0`` (64x64 pixels; PlaNet's action repeat is part of the ID); score =
  the final evaluation's mean return.
* ``CEM + true simulator``: the planner :mod:`wmagents.planners.true_sim_cem` on the same IDs
  (it reads the simulator, not the pixels); no training: one run spec per episode (budget 0,
  seed = episode index), so episodes run in parallel and each is kept as soon as it finishes.
* A3C, D4PG and "PlaNet at 200 episodes" are the papers' numbers only (not rerun).

Both rows are run specs through :func:`wmagents.harness.runner.run_sweep` into the one store
(finished runs are skipped, partial ones resume). Episodes are 1000 simulator steps; budgets
count simulator steps. Besides the table the command writes ``planet_<budget>.md``, the
learning curves ``planet_curves_<budget>.png`` and the oracle's seconds per action into
``--out``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from wmagents.harness import plots
from wmagents.harness.plots import eval_curve, new_figure, save
from wmagents.harness.spec import RunSpec
from wmagents.harness.store import Store
from wmagents.reproduce import (Cell, add_common_arguments, check_common_arguments,
                                comparison_table, finished_line, sweep)

TASKS = ("cartpole-swingup", "reacher-easy", "cheetah-run", "finger-spin", "ball_in_cup-catch",
         "walker-walk")
EPISODE_STEPS = 1000
AGENT, ORACLE = "wmagents.agents.planet", "wmagents.planners.true_sim_cem"
PAPER = {   # Table 1 of the PlaNet paper as quoted in Fieldman & Gordon's reproduction report
    "A3C (proprioceptive, 100k episodes)": (558, 285, 214, 129, 105, 311),
    "D4PG (pixels, 100k episodes)": (862, 967, 524, 985, 980, 968),
    "PlaNet (RSSM)": (821, 832, 662, 700, 930, 951),
    "PlaNet at 200 episodes (reproduction report)": ("~600", "0-400", "~400", "~700", "~800",
                                                     "~400"),
    "CEM + true simulator": (850, 964, 656, 825, 993, 994),
}
PLANET_ROW, ORACLE_ROW = "PlaNet (RSSM)", "CEM + true simulator"

TINY = {"deter": 16, "stoch": 4, "hidden": 16, "cnn_depth": 4, "reward_hidden": 16,
        "reward_layers": 1, "batch_size": 4, "chunk_length": 8}
BUDGETS = {
    # the paper: 1,000 episodes, 5 seeds x 10 evaluation episodes, full-size CEM (a GPU)
    "paper": {"seeds": 5, "episodes": 1000, "eval_every_episodes": 100, "eval_episodes": 10,
              "planet": {}, "oracle": {}, "oracle_episodes": 10},
    # CPU hours per task (~97 CPU minutes for cartpole on a 2026 EPYC core): paper networks,
    # 20 episodes (5 of them seed episodes), C = 50 updates of 16 x 50 chunks, CEM 300 / 30
    "small": {"seeds": 1, "episodes": 20, "eval_every_episodes": 4, "eval_episodes": 2,
              "planet": {"updates_per_episode": 50, "batch_size": 16, "candidates": 300,
                         "top_k": 30},
              "oracle": {}, "oracle_episodes": 1},   # the paper's planner: ~6.5 CPU hours
    # minutes: plumbing only - tiny networks, 2 episodes (1 seed episode), 2 updates
    "smoke": {"seeds": 1, "episodes": 2, "eval_every_episodes": 2, "eval_episodes": 1,
              "planet": {**TINY, "seed_episodes": 1, "updates_per_episode": 2, "horizon": 4,
                         "iterations": 2, "candidates": 16, "top_k": 4},
              "oracle": {"horizon": 4, "iterations": 2, "candidates": 8, "top_k": 2},
              "oracle_episodes": 1},
}


def task_id(task: str) -> str:
    from wmenvs.registration import planet_id

    return planet_id(*task.split("-"))


def planet_specs(budget: str, seeds: int, tasks: tuple[str, ...] = TASKS
                 ) -> dict[str, list[RunSpec]]:
    preset = BUDGETS[budget]
    steps = preset["episodes"] * EPISODE_STEPS
    every = preset["eval_every_episodes"] * EPISODE_STEPS
    return {task: [RunSpec(AGENT, task_id(task), seed, steps, every, preset["eval_episodes"],
                           preset["planet"]) for seed in range(seeds)] for task in tasks}


def oracle_specs(budget: str, tasks: tuple[str, ...] = TASKS, threads: int = 1
                 ) -> dict[str, list[RunSpec]]:
    """One spec per oracle episode: seed = episode index, budget 0 (``threads`` enters the
    overrides, and so the run id, only when it is not 1)."""
    preset = BUDGETS[budget]
    overrides = {**preset["oracle"], **({"threads": threads} if threads != 1 else {})}
    return {task: [RunSpec(ORACLE, task_id(task), episode, 0, 1, 1, overrides)
                   for episode in range(preset["oracle_episodes"])] for task in tasks}


def plot_curves(curves: dict[str, list[list[dict]]], path: Path) -> None:
    fig, axes = new_figure(len(curves), 3.2, 3)
    for ax, (task, runs) in zip(axes[0], curves.items()):
        plots.plot_curves(ax, {PLANET_ROW: [eval_curve(run) for run in runs]})
        ax.set(title=task, xlabel="simulator steps", ylabel="evaluation return")
    save(fig, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wmagents.reproduce planet",
                                     description=__doc__.split("\n\n")[0])
    add_common_arguments(parser)
    parser.add_argument("--rows", default="planet,oracle",
                        help="comma-separated rows to run: planet, oracle (default both)")
    parser.add_argument("--tasks", default=",".join(TASKS),
                        help=f"comma-separated subset of {','.join(TASKS)} (default all six)")
    parser.add_argument("--oracle-threads", type=int, default=1,
                        help="MuJoCo rollout threads per oracle episode (speed only; a "
                             "value other than 1 enters the oracle's run ids)")
    parser.add_argument("--out", default="runs/planet", help="folder for the table and plots")
    args = parser.parse_args(argv)
    check_common_arguments(parser, args)
    args.seeds = args.seeds or BUDGETS[args.budget]["seeds"]
    rows = set(args.rows.split(","))
    args.tasks = tuple(args.tasks.split(","))
    if args.seeds < 1 or args.oracle_threads < 1 or not rows <= {"planet", "oracle"}:
        parser.error("--seeds and --oracle-threads must be >= 1 and --rows a subset of "
                     "planet,oracle")
    if unknown := [t for t in args.tasks if t not in TASKS]:
        parser.error(f"unknown task(s) {unknown}; PlaNet's tasks are {', '.join(TASKS)}")
    if len(set(args.tasks)) < len(args.tasks):
        parser.error(f"--tasks names a task twice: {args.tasks}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cells = {(row, task): Cell(values[i]) for row, values in PAPER.items()
             for i, task in enumerate(TASKS) if task in args.tasks}
    specs = {}
    if "planet" in rows:
        specs[PLANET_ROW] = planet_specs(args.budget, args.seeds, args.tasks)
    if "oracle" in rows:
        specs[ORACLE_ROW] = oracle_specs(args.budget, args.tasks, args.oracle_threads)
    preset, notes, ok = BUDGETS[args.budget], [], True
    with Store(args.db) as store:
        todo = [s for row in specs.values() for group in row.values() for s in group]
        report = sweep(args, todo, store, f"planet-{args.budget}")
        finished = {row: {task: [s.run_id for s in group if store.status(s.run_id) == "finished"]
                          for task, group in by_task.items()} for row, by_task in specs.items()}
        for row, by_task in finished.items():
            for task, run_ids in by_task.items():
                cells[row, task].ours = [store.curve(r)[-1]["mean_return"] for r in run_ids]
        if PLANET_ROW in finished:
            plot_curves({task: [store.curve(r) for r in run_ids]
                         for task, run_ids in finished[PLANET_ROW].items()},
                        out / f"planet_curves_{args.budget}.png")
            notes.append(f"- {PLANET_ROW}: {preset['episodes']} episodes per run, {args.seeds} "
                         f"seed(s), overrides {preset['planet'] or 'none (paper defaults)'}; score"
                         f" = final evaluation over {preset['eval_episodes']} episode(s)")
        if ORACLE_ROW in finished:
            timing = {task: [store.run_stats(r) for r in run_ids]
                      for task, run_ids in finished[ORACLE_ROW].items()}
            speed = ", ".join(
                f"{task} {np.mean([t['seconds_per_action'] for t in ts]):.2f} "
                f"({np.mean([t['cpu_seconds_per_action'] for t in ts]):.2f} CPU)"
                for task, ts in timing.items() if ts)
            notes.append(f"- {ORACLE_ROW}: {preset['oracle_episodes']} episode(s) per task, CEM "
                         f"{preset['oracle'] or 'as in the paper'}; wall (CPU) seconds per "
                         f"action: {speed}")
        notes.append(finished_line(store, todo))
    for run_id, error in report.failed.items():
        notes.append(f"- FAILED run {run_id} (left out of the table): {error}")
        ok = False
    table = comparison_table(f"PlaNet Table 1 (budget {args.budget})", list(PAPER),
                             list(args.tasks), cells)
    text = table + "\n\n" + "\n".join(notes) + "\n"
    (out / f"planet_{args.budget}.md").write_text(text)
    print(text)
    return 0 if ok else 1
