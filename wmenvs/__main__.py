"""Command line: ``python -m wmenvs list [--tag T]`` and ``python -m wmenvs demo ID``."""

from __future__ import annotations

import argparse
import sys

import gymnasium as gym
import numpy as np
from tqdm import tqdm

import wmenvs
from wmenvs.demo import load_demo_policy, play
from wmenvs.registration import format_table, get_entry


def run_demo(env_id: str, seed: int, out: str | None, policy: str, fps: int) -> dict:
    """Run one episode with ``policy``; write the full-arena frames to ``out`` as a GIF."""
    env = gym.make(env_id, render_mode="rgb_array")
    env.action_space.seed(seed)
    try:
        agent = load_demo_policy(env_id, env.action_space, policy)
    except ValueError as error:
        raise SystemExit(f"{error} (--policy random)") from None
    frames = []
    with tqdm(total=env.spec.max_episode_steps, desc=env_id, unit="step") as bar:
        def record():
            frames.append(env.render())
            bar.update(int(len(frames) > 1))   # the first frame is the reset's

        result = play(env, agent, seed, on_step=record)
    env.close()
    if out:
        import imageio.v2 as imageio

        imageio.mimsave(out, [np.asarray(f) for f in frames[::2]], duration=2000 / fps, loop=0)
    return result


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
