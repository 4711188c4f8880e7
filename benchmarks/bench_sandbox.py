"""The cost of the agent process boundary (wmagents/harness/sandbox.py): env steps per second
of the loop's own episode driver (act, env step, observe) with the agent in this process and
behind a :class:`SandboxedAgent`, for a cheap env and a pixel env.

    python benchmarks/bench_sandbox.py [--steps 3000] [--repeats 3] [--write]

Agent: ``baselines.random`` (no updates), so the numbers are the boundary's cost alone: one
``act`` and one ``observe`` round trip per step, observations pickled over a pipe. Interleaved
repeats, median. ``--write`` replaces the "Agent process boundary" section of RESULTS.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import gymnasium as gym

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import load_average, machine, write_section  # noqa: E402

import wmenvs  # noqa: E402,F401
from wmagents.harness.loop import run_episode  # noqa: E402
from wmagents.harness.sandbox import SandboxedAgent  # noqa: E402

SECTION = "## Agent process boundary"

ENVS = ("wmenvs/GridWorld-v0", "wmenvs/ShapeHerd-v0")


def steps_per_second(env_id: str, sandboxed: bool, steps: int, scratch: Path) -> float:
    env = gym.make(env_id)
    if sandboxed:
        agent = SandboxedAgent("baselines.random", env.observation_space, env.action_space,
                               seed=0, device="cpu", overrides={}, denied=[],
                               log_path=scratch / "agent.log")
    else:
        from baselines.random import make_agent
        agent = make_agent(env.observation_space, env.action_space, seed=0, device="cpu",
                           overrides={})
    done, episode, started = 0, 0, time.perf_counter()

    def count(_, env_steps):
        nonlocal done
        done += 1
        return done >= steps

    while done < steps:
        run_episode(agent, env, episode, True, lambda t, n: (agent.observe(t), count(t, n))[1])
        episode += 1
    elapsed = time.perf_counter() - started
    if sandboxed:
        agent.close()
    env.close()
    return steps / elapsed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="bench-sandbox-"))
    rates = {(e, s): [] for e in ENVS for s in (False, True)}
    for _ in range(args.repeats):
        for key in rates:
            rates[key].append(steps_per_second(*key, args.steps, scratch))
    lines = [SECTION, "", f"Machine: {machine()}; load average at the end {load_average()}. "
             f"`python benchmarks/bench_sandbox.py --steps {args.steps} --repeats "
             f"{args.repeats}` (baselines.random, median of the repeats).", "",
             "| env | in process (steps/s) | sandboxed (steps/s) | cost per step (ms) |",
             "| --- | ---: | ---: | ---: |"]
    for env_id in ENVS:
        local, remote = (statistics.median(rates[env_id, s]) for s in (False, True))
        lines.append(f"| {env_id} | {local:,.0f} | {remote:,.0f} | "
                     f"{1000 / remote - 1000 / local:.3f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        write_section(SECTION, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
