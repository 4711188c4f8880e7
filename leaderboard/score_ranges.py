"""``python -m leaderboard.score_ranges SUITE [--seeds N] [--write]``: measure a suite's score
ranges on the evaluation problems every run of the suite sees.

Per task: ``low`` is the uniform random policy's mean return over the suite's evaluation
episodes of run seeds ``0 .. N-1`` (the loop's own evaluation resets); ``high`` is the task's
``reference``: a number (a paper's best reported value or its oracle row, named in
``reference_source``), ``"expert"`` (the ID's scripted demo policy, measured on the same
episodes) or ``"bfs"`` (the grid task's BFS optimum, averaged over the same problems). With
``--write`` the suite file gets ``score_range`` and a ``score_range_source`` that says how and
where it was measured; tasks without a reference keep no range.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import gymnasium as gym
import numpy as np

from leaderboard.suites import SUITES_DIR, Task, load_suite
from wmagents.harness.loop import episode_seed, evaluate_demo, evaluate_random


def random_return(task: Task, seeds: int) -> float:
    env = gym.make(task.env_id)
    scores = evaluate_random(env, range(seeds), task.eval_episodes)
    env.close()
    return float(np.mean(scores))


def _evaluation_seeds(task: Task, seeds: int):
    """``(env, reset seed)`` of each evaluation episode of run seeds ``0 .. seeds-1``."""
    env = gym.make(task.env_id)
    for seed in range(seeds):
        for j in range(task.eval_episodes):
            yield env, episode_seed(seed, j, True)
    env.close()


def expert_return(task: Task, seeds: int) -> float:
    env = gym.make(task.env_id)
    score = float(np.mean([evaluate_demo(env, seed, task.eval_episodes) for seed in range(seeds)]))
    env.close()
    return score


def bfs_return(task: Task, seeds: int) -> float:
    optima = []
    for env, seed in _evaluation_seeds(task, seeds):
        env.reset(seed=seed)
        optima.append(env.unwrapped.optimal_return)
    return float(np.mean(optima))


def measure(task: Task, seeds: int) -> tuple[tuple[float, float], str] | None:
    """``((low, high), source)`` of ``task``, or None without a reference."""
    if task.reference is None:
        return None
    low = random_return(task, seeds)
    if isinstance(task.reference, (int, float)):
        high, how = float(task.reference), task.reference_source
    else:
        high = {"expert": expert_return, "bfs": bfs_return}[task.reference](task, seeds)
        how = f"{task.reference_source} ({high:.4g})"
    episodes = seeds * task.eval_episodes
    source = (f"low: uniform random policy, mean of {episodes} evaluation episodes (run seeds "
              f"0-{seeds - 1}), measured by python -m leaderboard.score_ranges on "
              f"{platform.machine()} {time.strftime('%Y-%m-%d')}; high: {how}")
    return (round(low, 4), round(high, 4)), source


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m leaderboard.score_ranges",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("suite", help="a suite name (leaderboard/suites/) or a JSON path")
    parser.add_argument("--seeds", type=int, default=3, help="run seeds measured (default 3)")
    parser.add_argument("--write", action="store_true", help="update the suite file")
    args = parser.parse_args(argv)
    suite = load_suite(args.suite)
    path = args.suite if args.suite.endswith(".json") else SUITES_DIR / f"{args.suite}.json"
    data = json.loads(open(path).read())
    for task, raw in zip(suite.tasks, data["tasks"]):
        result = measure(task, args.seeds)
        if result is None:
            print(f"{task.env_id}: no reference, no score range")
            continue
        (low, high), source = result
        print(f"{task.env_id}: [{low}, {high}]")
        raw["score_range"], raw["score_range_source"] = [low, high], source
    if args.write:
        with open(path, "w") as out:
            out.write(json.dumps(data, indent=2) + "\n")


if __name__ == "__main__":
    main()
