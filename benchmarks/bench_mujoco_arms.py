"""Steps per second of the DynE arm IDs, single process, random actions, resets included.

    python benchmarks/bench_mujoco_arms.py [--steps 3000] [--ids wmenvs/PusherPixels-v0 ...]

Prints a markdown table for ``benchmarks/RESULTS.md``. Targets (issue 4): Reacher pixels
>= 500 steps/s and Pusher pixels >= 250 steps/s at 64x64 on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

os.environ.setdefault("MUJOCO_GL", "egl")

import gymnasium as gym  # noqa: E402
from tqdm import tqdm  # noqa: E402

import wmenvs  # noqa: E402

TARGETS = {"wmenvs/ReacherVerticalPixels-v0": 500, "wmenvs/PusherPixels-v0": 250}


def steps_per_second(env_id: str, steps: int) -> float:
    env = gym.make(env_id)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--ids", nargs="*", default=[e.id for e in wmenvs.list_envs("dyne")])
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"MUJOCO_GL={os.environ['MUJOCO_GL']}, {args.steps} steps per ID")
    print("| ID | steps/s | target |\n| --- | ---: | ---: |")
    for env_id in args.ids:
        rate = steps_per_second(env_id, args.steps)
        target = TARGETS.get(env_id)
        verdict = "" if target is None else f"{target} ({'met' if rate >= target else 'MISSED'})"
        print(f"| {env_id} | {rate:.0f} | {verdict} |", flush=True)


if __name__ == "__main__":
    main()
