"""Command line: ``python -m wmenvs list [--tag T]`` and ``python -m wmenvs demo ID``."""

from __future__ import annotations

import argparse
import importlib
import sys

import gymnasium as gym
import numpy as np
from tqdm import tqdm

import wmenvs
from wmenvs.registration import format_table, get_entry


class RandomPolicy:
    """Uniform random actions from the env's seeded action space."""

    def __init__(self, action_space: gym.Space):
        self.action_space = action_space

    def act(self, obs, info):
        return self.action_space.sample()


def load_demo_policy(env_id: str, env: gym.Env, policy: str):
    """``policy`` is ``"scripted"`` (the ID's demo policy) or ``"random"``."""
    if policy == "random":
        return RandomPolicy(env.action_space)
    target = get_entry(env_id).demo_policy
    if target is None:
        raise SystemExit(f"{env_id} has no scripted demo policy; use --policy random")
    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)(env.action_space)


def run_demo(env_id: str, seed: int, out: str | None, policy: str, fps: int) -> dict:
    """Run one episode with ``policy``; write the full-arena frames to ``out`` as a GIF."""
    env = gym.make(env_id, render_mode="rgb_array")
    env.action_space.seed(seed)
    agent = load_demo_policy(env_id, env, policy)
    obs, info = env.reset(seed=seed)
    frames = [env.render()]
    total, steps, done = 0.0, 0, False
    with tqdm(total=env.spec.max_episode_steps, desc=env_id, unit="step") as bar:
        while not done:
            obs, reward, terminated, truncated, info = env.step(agent.act(obs, info))
            total += float(reward)
            steps += 1
            done = terminated or truncated
            frames.append(env.render())
            bar.update(1)
    env.close()
    if out:
        import imageio.v2 as imageio

        imageio.mimsave(out, [np.asarray(f) for f in frames[::2]], duration=2000 / fps, loop=0)
    return {"return": total, "steps": steps, "terminated": bool(terminated), "info": info}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wmenvs", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_list = sub.add_parser("list", help="print the table of registered IDs")
    p_list.add_argument("--tag", default=None, help="only IDs with this tag (e.g. pixels, vsg)")
    p_demo = sub.add_parser("demo", help="run one episode and write a GIF of the full arena")
    p_demo.add_argument("env_id")
    p_demo.add_argument("--seed", type=int, default=0)
    p_demo.add_argument("--out", default="demo.gif", help="GIF path ('' to skip writing)")
    p_demo.add_argument("--policy", choices=["scripted", "random"], default="scripted")
    p_demo.add_argument("--fps", type=int, default=30)
    args = parser.parse_args(argv)

    if args.command == "list":
        print(format_table(wmenvs.list_envs(args.tag)))
        return 0
    get_entry(args.env_id)  # clear error for an unknown ID before anything starts
    result = run_demo(args.env_id, args.seed, args.out, args.policy, args.fps)
    scored = result["info"].get("objects_scored")
    print(f"{args.env_id} seed={args.seed} policy={args.policy}: return={result['return']:.3f} "
          f"steps={result['steps']} terminated={result['terminated']}"
          + (f" objects_scored={scored}" if scored is not None else "")
          + (f" -> {args.out}" if args.out else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
