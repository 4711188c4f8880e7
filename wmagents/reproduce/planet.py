"""PlaNet (Hafner et al. 2019; reproduction report ``papers/002``): Table 1.

``python -m wmagents.reproduce planet [--budget smoke|small|paper] [--seeds N]
[--backend local|ray] [--rows planet,oracle]``

* ``PlaNet (RSSM)``: the learned agent (:mod:`baselines.planet`) on the six pixel tasks
  (``wmenvs/DMC-<task>-Pixels-v0``) with PlaNet's action repeat from
  ``wmenvs.wrappers.protocol``; submitted as run specs (finished runs are skipped, partial ones
  resume); score = the final evaluation's mean return.
* ``CEM + true simulator``: :class:`wmagents.agents.true_sim_cem.TrueSimCEM` acting in the
  state IDs (the oracle reads the simulator, not the pixels); no training, each episode is one
  evaluation episode; results cached as JSON in ``--work-dir/oracle`` (keyed by the settings).
* A3C, D4PG and "PlaNet at 200 episodes" are the papers' numbers only (not rerun).

Episodes are 1000 env steps; budgets count env steps. Besides the table the command writes
``planet_<budget>.md``, the learning curves ``planet_curves_<budget>.png`` and the oracle's
seconds per action into ``--out``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from wmagents.harness.runner import run_sweep
from wmagents.harness.spec import RunSpec
from wmagents.harness.store import Store
from wmagents.reproduce import Cell, add_common_arguments, comparison_table

TASKS = ("cartpole-swingup", "reacher-easy", "cheetah-run", "finger-spin", "ball_in_cup-catch",
         "walker-walk")
EPISODE_STEPS = 1000
AGENT = "baselines.planet"
PAPER = {   # Table 1 of the PlaNet paper as quoted in the reproduction report (papers/002)
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


def action_repeat(task: str) -> int:
    from wmenvs.wrappers.protocol import protocol

    return protocol("planet", task).action_repeat


def planet_specs(budget: str, seeds: int, tasks: tuple[str, ...] = TASKS
                 ) -> dict[str, list[RunSpec]]:
    from wmenvs.registration import dmc_id

    preset = BUDGETS[budget]
    steps = preset["episodes"] * EPISODE_STEPS
    every = preset["eval_every_episodes"] * EPISODE_STEPS
    specs = {}
    for task in tasks:
        overrides = {**preset["planet"], "action_repeat": action_repeat(task)}
        env_id = dmc_id(*task.split("-"), pixels=True)
        specs[task] = [RunSpec(AGENT, env_id, seed, steps, every, preset["eval_episodes"], overrides)
                       for seed in range(seeds)]
    return specs


def oracle_episode(task: str, overrides: dict, episode: int, threads: int = 1) -> dict:
    """One evaluation episode of CEM + true simulator on the state ID of ``task``
    (``threads``: rollout threads; they change the speed only, so results are cached without)."""
    import gymnasium as gym
    import torch

    import wmenvs  # noqa: F401
    from wmagents.agents.true_sim_cem import TrueSimCEM, TrueSimCEMConfig
    from wmagents.api import make_config
    from wmagents.harness.loop import episode_seed, run_episode
    from wmenvs.registration import dmc_id

    torch.set_num_threads(1)
    env = gym.make(dmc_id(*task.split("-")))
    config = make_config(TrueSimCEMConfig, {**overrides, "action_repeat": action_repeat(task),
                                            "threads": threads})
    agent = TrueSimCEM(env, config, seed=episode)
    started = time.perf_counter()
    result = run_episode(agent, env, episode_seed(0, episode, True), explore=False)
    return {"task": task, "episode": episode, "return": result["return"],
            "seconds_per_action": agent.seconds_per_action,
            "cpu_seconds_per_action": agent.cpu_seconds_per_action, "actions": agent.plans,
            "wall_s": time.perf_counter() - started, "config": vars(config)}


def run_oracle(budget: str, args) -> dict[str, list[dict]]:
    """Oracle episodes per task, computing only those not cached in ``work_dir/oracle``."""
    preset = BUDGETS[budget]
    cache = Path(args.work_dir) / "oracle"
    cache.mkdir(parents=True, exist_ok=True)
    jobs, results = [], {task: [] for task in args.tasks}
    for task in args.tasks:
        for episode in range(preset["oracle_episodes"]):
            key = json.dumps([task, preset["oracle"], episode], sort_keys=True)
            path = cache / (hashlib.sha256(key.encode()).hexdigest()[:16] + ".json")
            if path.exists():
                results[task].append(json.loads(path.read_text()))
            else:
                jobs.append((path, (task, preset["oracle"], episode, args.oracle_threads)))
    paths = [p for p, _ in jobs]
    for index, result in tqdm(_map(oracle_episode, [a for _, a in jobs], args), total=len(jobs),
                              desc="oracle episodes", unit="episode", disable=not jobs):
        paths[index].write_text(json.dumps(result))       # cached as soon as it finishes
        results[result["task"]].append(result)
    return results


def _map(function, arguments: list[tuple], args):
    """Yield ``(i, function(*arguments[i]))`` as each call finishes (local process pool or Ray
    tasks); an error stops the loop after every call finished before it was yielded."""
    if not arguments:
        return
    if args.backend == "ray":
        import ray

        started_here = not ray.is_initialized()
        if started_here:
            ray.init(address=args.address, include_dashboard=False, log_to_driver=False)
        remote = ray.remote(num_cpus=1)(function)
        pending = {remote.remote(*a): i for i, a in enumerate(arguments)}
        try:
            while pending:
                (done,), _ = ray.wait(list(pending), num_returns=1)
                yield pending.pop(done), ray.get(done)
        finally:
            for ref in pending:
                ray.cancel(ref)
            if started_here:
                ray.shutdown()
        return
    import concurrent.futures as cf
    import multiprocessing

    workers = max(1, min(args.workers or 2, len(arguments)))
    with cf.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(function, *a): i for i, a in enumerate(arguments)}
        try:
            for future in cf.as_completed(futures):
                yield futures[future], future.result()
        finally:
            pool.shutdown(cancel_futures=True)


def plot_curves(curves: dict[str, list[list[dict]]], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(curves), figsize=(3.2 * len(curves), 3), squeeze=False)
    for ax, (task, runs) in zip(axes[0], curves.items()):
        for run in runs:
            ax.plot([p["step"] for p in run], [p["mean_return"] for p in run], marker="o")
        ax.set(title=task, xlabel="env steps", ylabel="eval return")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wmagents.reproduce planet",
                                     description=__doc__.split("\n\n")[0])
    add_common_arguments(parser)
    parser.add_argument("--rows", default="planet,oracle",
                        help="comma-separated rows to run: planet, oracle (default both)")
    parser.add_argument("--tasks", default=",".join(TASKS),
                        help=f"comma-separated subset of {','.join(TASKS)} (default all six)")
    parser.add_argument("--oracle-threads", type=int, default=1,
                        help="MuJoCo rollout threads per oracle episode (speed only)")
    parser.add_argument("--out", default="runs/planet", help="folder for the table and plots")
    args = parser.parse_args(argv)
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
    notes, curves = [], {}
    if "planet" in rows:
        specs = planet_specs(args.budget, args.seeds, args.tasks)
        with Store(args.db) as store:
            run_sweep([s for group in specs.values() for s in group], store, args.work_dir,
                      args.backend, args.workers, args.address, args.device,
                      f"planet-{args.budget}")
            for task, group in specs.items():
                curves[task] = [store.curve(s.run_id) for s in group]
                cells[PLANET_ROW, task].ours = [c[-1]["mean_return"] for c in curves[task]]
        plot_curves(curves, out / f"planet_curves_{args.budget}.png")
        preset = BUDGETS[args.budget]
        notes.append(f"- {PLANET_ROW}: {preset['episodes']} episodes per run, {args.seeds} seed(s), "
                     f"overrides {preset['planet'] or 'none (paper defaults)'}; score = final "
                     f"evaluation over {preset['eval_episodes']} episode(s)")
    if "oracle" in rows:
        oracle = run_oracle(args.budget, args)
        for task, episodes in oracle.items():
            cells[ORACLE_ROW, task].ours = [e["return"] for e in episodes]
        speed = ", ".join(f"{t} {np.mean([e['seconds_per_action'] for e in oracle[t]]):.2f} "
                          f"({np.mean([e['cpu_seconds_per_action'] for e in oracle[t]]):.2f} CPU)"
                          for t in args.tasks)
        config = {k: v for k, v in oracle[args.tasks[0]][0]["config"].items()
                  if k not in ("action_repeat", "threads")}
        notes.append(f"- {ORACLE_ROW}: {BUDGETS[args.budget]['oracle_episodes']} episode(s) per "
                     f"task, CEM {config}; wall (CPU) seconds per action: {speed}")
    table = comparison_table(f"PlaNet Table 1 (budget {args.budget})", list(PAPER), list(args.tasks),
                             cells)
    report = table + "\n\n" + "\n".join(notes) + "\n"
    (out / f"planet_{args.budget}.md").write_text(report)
    print(report)
    return 0
