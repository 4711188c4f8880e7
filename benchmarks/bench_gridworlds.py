"""Steps per second of the six random-vector grid IDs (targets from issue 3).

* one env through ``gym.make`` (all default wrappers: PassiveEnvChecker, OrderEnforcing,
  TimeLimit), actions pre-drawn from the seeded action space, resets included — target 150k/s;
* the batched ``vector_entry_point`` env at 1,024 sub-envs, autoresets included — target 5M/s
  total; ``SyncVectorEnv`` over the same 1,024 envs for comparison.

    python benchmarks/bench_gridworlds.py [--write]   # --write updates benchmarks/RESULTS.md
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).parent))
from common import RESULTS, machine, median_of, steps_per_second, write_section  # noqa: E402

import wmenvs  # noqa: E402

IDS = [entry.id for entry in wmenvs.list_envs("gridworld")]
SECTION = "## GridWorlds"
SINGLE_TARGET, VECTOR_TARGET = 150_000, 5_000_000


def vector_rate(env_id: str, num_envs: int, steps: int, mode: str) -> float:
    envs = gym.make_vec(env_id, num_envs=num_envs, vectorization_mode=mode)
    envs.reset(seed=0)
    actions = np.random.default_rng(0).integers(0, 5, (steps, num_envs))
    envs.step(actions[0])  # warm-up: the env checker inspects each env's first step only
    start = time.perf_counter()
    for batch in actions:
        envs.step(batch)
    rate = steps * num_envs / (time.perf_counter() - start)
    envs.close()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--single-steps", type=int, default=200_000)
    parser.add_argument("--vector-steps", type=int, default=1_000)
    parser.add_argument("--sync-steps", type=int, default=20)
    parser.add_argument("--num-envs", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    parser.add_argument("--note", default="", help="load on the machine during the run, for the record")
    args = parser.parse_args()

    rows = []
    for env_id in tqdm(IDS, desc="gridworld benchmarks"):
        single = median_of(args.repeats, steps_per_second, env_id, args.single_steps)
        batched = median_of(args.repeats, vector_rate, env_id, args.num_envs, args.vector_steps, "vector_entry_point")
        sync = vector_rate(env_id, args.num_envs, args.sync_steps, "sync")
        rows.append((env_id, single, batched, sync))

    n = args.num_envs
    lines = [SECTION, "",
             f"`python benchmarks/bench_gridworlds.py --write` on {machine()}; median of {args.repeats} runs "
             f"({args.single_steps:,} single-env steps; {args.vector_steps:,} batched steps x {n:,} envs; "
             f"SyncVectorEnv {args.sync_steps} steps x {n:,} envs, one run). Targets: one env through "
             f"`gym.make` >= {SINGLE_TARGET:,} steps/s; `vector_entry_point` at {n:,} envs "
             f">= {VECTOR_TARGET / 1e6:.0f}M steps/s."]
    if args.note:
        lines.append(f"Load during the run: {args.note}")
    lines += ["", f"| ID | one env, gym.make (steps/s) | vector_entry_point x{n} (steps/s) "
                  f"| SyncVectorEnv x{n} (steps/s) | targets met |",
              "| --- | ---: | ---: | ---: | --- |"]
    for env_id, single, batched, sync in rows:
        met = "yes" if single >= SINGLE_TARGET and batched >= VECTOR_TARGET else "NO"
        lines.append(f"| `{env_id}` | {single:,.0f} | {batched:,.0f} | {sync:,.0f} | {met} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        write_section(SECTION, text)
        print(f"wrote the {SECTION!r} section of {RESULTS}")


if __name__ == "__main__":
    main()
