"""Training env steps per second of this project's SAC and TD3 beside Stable-Baselines3's, with
matched settings, on one CPU thread.

    pip install stable-baselines3     # not a dependency of the project
    python benchmarks/bench_sb3.py [--agents sac td3] [--repeats 2] [--steps 2000] [--write]

Each cell runs in a fresh process (``torch.set_num_threads(1)``), the implementations
interleaved, ``--repeats`` times (median). Env ``wmenvs/DMC-cartpole-swingup-v0`` (state, 1,000-
step episodes). Both sides take 1,000 uniform random steps first, then ``--steps`` timed
training steps (act, env step, store, every update their schedule makes): ours through
``act``/``observe`` in a plain loop, SB3 through ``model.learn`` (its own loop). Settings:
SAC 2 x 256, batch 256, lr 3e-4, 1 update per step, automatic entropy from alpha 1; TD3 the
2018 version (400-300, batch 100, lr 1e-3, exploration N(0, 0.1), smoothing 0.2 / 0.5,
policy delay 2, episode-length update bursts at each episode end: SB3's
``train_freq=(1, "episode"), gradient_steps=-1``). ``--write`` replaces the "SB3 side by side"
section of RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import load_average, machine, write_section  # noqa: E402

SECTION = "## SB3 side by side"
ENV_ID = "wmenvs/DMC-cartpole-swingup-v0"
WARM_UP = 1_000


def ours(agent: str, steps: int) -> float:
    import gymnasium as gym
    import torch

    import wmenvs  # noqa: F401
    from wmagents.agents import get_agent
    from wmagents.harness.loop import seconds_per_training_step

    env = gym.make(ENV_ID)
    field = {"sac": "learning_starts", "td3": "random_steps"}[agent]
    torch.manual_seed(0)
    policy = get_agent(agent).load().make_agent(env.observation_space, env.action_space, seed=0,
                                                device="cpu", overrides={field: WARM_UP})
    return 1 / seconds_per_training_step(policy, env, WARM_UP, steps)


def sb3(agent: str, steps: int) -> float:
    import gymnasium as gym
    import numpy as np
    import stable_baselines3 as sb
    from stable_baselines3.common.noise import NormalActionNoise

    import wmenvs  # noqa: F401

    env = gym.make(ENV_ID)
    if agent == "sac":
        model = sb.SAC("MlpPolicy", env, learning_rate=3e-4, buffer_size=1_000_000,
                       learning_starts=WARM_UP, batch_size=256, tau=0.005, gamma=0.99,
                       train_freq=1, gradient_steps=1, ent_coef="auto",
                       policy_kwargs={"net_arch": [256, 256]}, seed=0, device="cpu")
    else:
        dim = env.action_space.shape[0]
        model = sb.TD3("MlpPolicy", env, learning_rate=1e-3, buffer_size=1_000_000,
                       learning_starts=WARM_UP, batch_size=100, tau=0.005, gamma=0.99,
                       train_freq=(1, "episode"), gradient_steps=-1, policy_delay=2,
                       target_policy_noise=0.2, target_noise_clip=0.5,
                       action_noise=NormalActionNoise(np.zeros(dim), 0.1 * np.ones(dim)),
                       policy_kwargs={"net_arch": [400, 300]}, seed=0, device="cpu")
    model.learn(WARM_UP)
    start = time.perf_counter()
    model.learn(steps, reset_num_timesteps=False)
    return steps / (time.perf_counter() - start)


def run_cell(impl: str, agent: str, steps: int) -> float:
    command = [sys.executable, __file__, "--worker", impl, agent, str(steps)]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])["steps_per_s"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", nargs="*", default=["sac", "td3"], choices=["sac", "td3"])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--steps", type=int, default=2_000)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        import torch
        torch.set_num_threads(1)
        impl, agent, steps = args.worker
        rate = (ours if impl == "ours" else sb3)(agent, int(steps))
        print(json.dumps({"steps_per_s": rate}))
        return
    load = load_average()
    rows = ["| agent | ours (env steps/s) | SB3 (env steps/s) | ours / SB3 |",
            "| --- | ---: | ---: | ---: |"]
    for agent in args.agents:
        rates = {"ours": [], "sb3": []}
        for _ in range(args.repeats):
            for impl in ("ours", "sb3"):                # interleaved
                rates[impl].append(run_cell(impl, agent, args.steps))
        mine, theirs = statistics.median(rates["ours"]), statistics.median(rates["sb3"])
        rows.append(f"| {agent} | {mine:.1f} | {theirs:.1f} | {mine / theirs:.2f}x |")
        print(rows[-1], flush=True)
    import stable_baselines3
    text = "\n".join([
        SECTION, "",
        f"{machine()}; one thread; `{ENV_ID}`; {WARM_UP:,} random steps then {args.steps:,} "
        f"timed training steps; median of {args.repeats} fresh processes per cell, interleaved; "
        f"stable-baselines3 {stable_baselines3.__version__}; load average at start {load}.",
        "", *rows])
    print(text)
    if args.write:
        write_section(SECTION, text + "\n")


if __name__ == "__main__":
    main()
