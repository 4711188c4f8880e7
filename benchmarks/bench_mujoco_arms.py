"""Steps per second of the DynE arm IDs, single process, random actions, resets included.

    python benchmarks/bench_mujoco_arms.py [--steps 2000] [--repeats 3] [--ids ...] [--write]
    python benchmarks/bench_mujoco_arms.py --returns   # random / zero-action returns, seeds 0-19

Prints markdown for ``benchmarks/RESULTS.md`` (``--write`` replaces its "MuJoCo arms" section)
and ``docs/mujoco_arms.md``. Targets (issue 4): Reacher pixels >= 500 steps/s and Pusher
pixels >= 250 steps/s at 64x64 on 2 cores.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("MUJOCO_GL", "egl")

import gymnasium as gym  # noqa: E402
import numpy as np  # noqa: E402

from common import load_average, machine, median_of, steps_per_second, write_section  # noqa: E402

import wmenvs  # noqa: E402

SECTION = "## MuJoCo arms (DynE Reacher family and 7-DoF family)"
TARGETS = {"Reacher": 500, "Pusher": 250}  # pixel IDs whose task name starts with the key


def target_of(env_id: str) -> int | None:
    task = env_id.removeprefix("wmenvs/")
    return next((rate for prefix, rate in TARGETS.items() if task.startswith(prefix) and "Pixels" in task), None)


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


def returns_table(ids: list[str]) -> str:
    rows = ["| ID | random policy | zero action |", "| --- | ---: | ---: |"]
    for env_id in ids:
        cells = [f"{m:.1f} +- {s:.1f}" for m, s in (mean_return(env_id, zero) for zero in (False, True))]
        rows.append(f"| `{env_id}` | {cells[0]} | {cells[1]} |")
    return "\n".join(rows)


def speed_section(ids: list[str], steps: int, repeats: int, profile: str) -> str:
    header = (f"{SECTION}\n\n`python benchmarks/bench_mujoco_arms.py --steps {steps} --repeats {repeats}"
              f"{'' if profile == 'minimal' else ' --visual-profile ' + profile}` on {machine()}, "
              f"MUJOCO_GL={os.environ['MUJOCO_GL']} (Mesa llvmpipe, LP_NUM_THREADS=0 from "
              f"`wmenvs.rendering`), visual profile {profile}; one process through `gym.make`, random "
              f"actions, resets included; median of {repeats} runs. Load average (1/5/15 min) at the "
              f"start: {load_average()} on 2 cores. Targets (issue 4): Reacher pixels >= 500 steps/s, "
              f"Pusher pixels >= 250 steps/s at 64x64.\n\n| ID | steps/s | target |\n| --- | ---: | --- |")
    rows = [header]
    for env_id in ids:
        rate = median_of(repeats, steps_per_second, env_id, steps, visual_profile=profile)
        target = target_of(env_id)
        verdict = "" if target is None else f"{target}: {'met' if rate >= target else 'MISSED'}"
        rows.append(f"| `{env_id}` | {rate:,.0f} | {verdict} |")
        print(rows[-1], flush=True)
    return "\n".join(rows) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3, help="median over this many runs")
    parser.add_argument("--visual-profile", default="minimal",
                        choices=("minimal", "standard", "exact"))
    parser.add_argument("--ids", nargs="*", default=[e.id for e in wmenvs.list_envs("dyne")])
    parser.add_argument("--returns", action="store_true", help="returns of the state IDs instead")
    parser.add_argument("--write", action="store_true", help="replace the section in RESULTS.md")
    args = parser.parse_args()
    if args.returns:
        print(returns_table([e.id for e in wmenvs.list_envs("dyne") if "state" in e.tags]))
        return
    text = speed_section(args.ids, args.steps, args.repeats, args.visual_profile)
    print(text)
    if args.write:
        write_section(SECTION, text)


if __name__ == "__main__":
    main()
