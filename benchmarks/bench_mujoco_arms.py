"""Steps per second of the DynE arm IDs, single process, random actions, resets included.

    python benchmarks/bench_mujoco_arms.py [--steps 3000] [--ids wmenvs/PusherPixels-v0 ...]
    python benchmarks/bench_mujoco_arms.py --returns   # random / zero-action returns, seeds 0-19

Prints markdown tables for ``benchmarks/RESULTS.md`` and ``docs/mujoco_arms.md``. Targets
(issue 4): Reacher pixels >= 500 steps/s and Pusher pixels >= 250 steps/s at 64x64 on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

os.environ.setdefault("MUJOCO_GL", "egl")

import gymnasium as gym  # noqa: E402
import numpy as np  # noqa: E402
from tqdm import tqdm  # noqa: E402

import wmenvs  # noqa: E402

TARGETS = {"wmenvs/ReacherVerticalPixels-v0": 500, "wmenvs/PusherPixels-v0": 250}


def steps_per_second(env_id: str, steps: int, visual_profile: str = "fast") -> float:
    env = gym.make(env_id, visual_profile=visual_profile)
    env.action_space.seed(0)
    env.reset(seed=0)
    env.step(env.action_space.sample())  # create the renderer outside the timed loop
    actions = [env.action_space.sample() for _ in range(steps)]
    start = time.perf_counter()
    for action in tqdm(actions, desc=env_id, leave=False):
        _, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            env.reset()
    elapsed = time.perf_counter() - start
    env.close()
    return steps / elapsed


def mean_return(env_id: str, zero_action: bool, seeds=range(20)) -> tuple[float, float]:
    """Mean and standard deviation of the return over one episode per seed."""
    env = gym.make(env_id)
    returns = []
    for seed in seeds:
        env.reset(seed=seed)
        env.action_space.seed(seed)
        total, done = 0.0, False
        while not done:
            action = np.zeros_like(env.action_space.low) if zero_action else env.action_space.sample()
            _, reward, terminated, truncated, _ = env.step(action)
            total, done = total + reward, terminated or truncated
        returns.append(total)
    env.close()
    return float(np.mean(returns)), float(np.std(returns))


def print_returns(ids: list[str]) -> None:
    print("| ID | random policy | zero action |\n| --- | ---: | ---: |")
    for env_id in ids:
        cells = [f"{m:.1f} +- {s:.1f}" for m, s in (mean_return(env_id, zero) for zero in (False, True))]
        print(f"| {env_id} | {cells[0]} | {cells[1]} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=3, help="median over this many runs")
    parser.add_argument("--visual-profile", default="fast", choices=("fast", "original"))
    parser.add_argument("--ids", nargs="*", default=[e.id for e in wmenvs.list_envs("dyne")])
    parser.add_argument("--returns", action="store_true", help="returns of the state IDs instead")
    args = parser.parse_args()
    if args.returns:
        print_returns([e.id for e in wmenvs.list_envs("dyne") if "state" in e.tags])
        return
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"MUJOCO_GL={os.environ['MUJOCO_GL']}, visual profile {args.visual_profile}, median of "
          f"{args.repeats} x {args.steps} steps per ID, load average {os.getloadavg()}")
    print("| ID | steps/s | target |\n| --- | ---: | ---: |")
    for env_id in args.ids:
        rate = float(np.median([steps_per_second(env_id, args.steps, args.visual_profile)
                                for _ in range(args.repeats)]))
        target = TARGETS.get(env_id)
        verdict = "" if target is None else f"{target} ({'met' if rate >= target else 'MISSED'})"
        print(f"| {env_id} | {rate:.0f} | {verdict} |", flush=True)


if __name__ == "__main__":
    main()
