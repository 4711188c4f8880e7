"""One update and one acting step of every agent at its paper configuration, on one CPU thread
(and on CUDA when present), with peak memory, FLOPs per update and the fraction of this
core's measured matmul throughput they reach.

    python benchmarks/bench_agents.py [--agents dreamer:dreamerv2 vsg:vsg ...] [--repeats 3]
        [--device cpu|cuda|both] [--precision fp32|bf16|both] [--smoke] [--write]

Each cell runs in a fresh process (``torch.set_num_threads(1)`` on CPU): build the agent with
the row's paper overrides, fill its replay with random transitions of 100-step episodes on
the row's spaces, run one warm-up update, then ``--repeats`` timed updates (median) and as many
acting steps (``explore=False``: the policy, or the planner). FLOPs come from
``torch.utils.flop_counter.FlopCounterMode`` over one more update (matmuls and convolutions,
forward and backward); "of peak" divides the update's FLOP/s by this core's fp32 matmul
throughput (a 2048 x 2048 x 2048 product, same thread count) in the row's precision: ``bf16``
rows (only agents with a ``bf16`` setting: PlaNet, Dreamer, VSG) run with ``bf16=True`` and are
compared with a bf16 product. ``--smoke`` applies each row's
smoke overrides from the agent table (seconds; it checks the script, its numbers mean nothing).
``--write`` replaces the "Agents" section of RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import load_average, machine, publish  # noqa: E402

SECTION = "## Agents"
# name -> (agent row, spaces, paper overrides, what one update is)
CASES = {
    "sac": ("sac", "locomotion", {}, "one SAC step (actor, critics, temperature)"),
    "td3": ("td3", "locomotion", {}, "one critic + delayed actor step, batch 100"),
    "pixel_td3": ("pixel_td3", "pixels", {}, "critic (and encoder) + delayed actor, 100 stacks"),
    "redq": ("redq", "locomotion", {}, "20 critic steps (10 critics) + 1 actor step"),
    "dyne_td3": ("dyne_td3", "reacher", {}, "one k = 4 critic + delayed actor step, batch 100"),
    "embedded_td3:s_dyne": ("embedded_td3", "pixels", {"method": "s_dyne"},
                            "one S-DynE pretraining update, 128 k = 4 windows"),
    "embedded_td3:vae": ("embedded_td3", "pixels", {"method": "vae"},
                         "one per-frame VAE pretraining update, 128 frames"),
    "alm": ("alm", "locomotion", {}, "model (K=3) + reward + critic + actor, batch 512"),
    "sac_svg": ("sac_svg", "locomotion", {}, "4 model steps (H=3) + critic, actor, reward, done"),
    "mbpo": ("mbpo", "locomotion", {}, "20 SAC steps on mixed batches (model fits apart)"),
    "sac_discrete": ("sac_discrete", "grid", {}, "one discrete-SAC step, batch 150"),
    "parsimonious_sac": ("parsimonious_sac", "grid", {}, "one dynamics + one SAC step"),
    "parsimonious_planning": ("parsimonious_planning", "grid_goal", {}, "one dynamics step"),
    "planet": ("planet", "pixels", {}, "one model step, 50 x 50 chunks"),
    "dreamer:dreamerv2": ("dreamer", "pixels", {"preset": "dreamerv2"},
                          "model + actor-critic, 16 x 50"),
    "dreamer:dreamerv1": ("dreamer", "pixels", {"preset": "dreamerv1"},
                          "model + actor-critic, 50 x 50"),
    "vsg:vsg": ("vsg", "pixels", {"preset": "vsg"}, "model + actor-critic, 50 x 50, DIM 1024"),
    "vsg:svsg": ("vsg", "pixels", {"preset": "svsg"}, "model + actor-critic, 50 x 50, DIM 1024"),
}


def spaces_for(kind: str):
    import numpy as np
    from gymnasium import spaces

    vector = spaces.Box(-np.inf, np.inf, (68,), np.float32)
    return {
        "locomotion": (spaces.Box(-np.inf, np.inf, (17,), np.float32),
                       spaces.Box(-1.0, 1.0, (6,), np.float32)),
        "reacher": (spaces.Box(-np.inf, np.inf, (11,), np.float32),
                    spaces.Box(-1.0, 1.0, (2,), np.float32)),
        "grid": (vector, spaces.Discrete(5)),
        "grid_goal": (spaces.Dict({"observation": vector, "achieved_goal": vector,
                                   "desired_goal": vector}), spaces.Discrete(5)),
        "pixels": (spaces.Box(0, 255, (64, 64, 3), np.uint8),
                   spaces.Box(-1.0, 1.0, (6,), np.float32)),
    }[kind]


def _fill_replay(agent, replay, observation_space, action_space, steps: int = 300) -> None:
    """Random 100-step episodes straight into ``replay`` (no training)."""
    import numpy as np

    from wmagents.api import Transition

    flat = getattr(observation_space, "spaces", {}).get("observation", observation_space)
    action_space = getattr(agent, "critic_action_space", action_space)   # DynE-TD3: [z, i]
    observation_space.seed(0)
    action_space.seed(0)
    obs = flat.sample()
    for step in range(steps):
        next_obs = flat.sample()
        end = step % 100 == 99
        replay.add(Transition(obs, action_space.sample(), float(np.random.rand()), next_obs,
                              False, end))
        obs = next_obs


def _update_function(name: str, agent):
    """One update of ``agent`` as its own training path runs it."""
    from wmagents.nn import torch_batch

    if name == "sac":
        return lambda: agent.update(torch_batch(agent.replay.sample(agent.config.batch_size),
                                                agent.device))
    if name == "td3":
        return lambda: agent.update(torch_batch(agent.replay.sample(agent.config.batch_size),
                                                agent.device), update_actor=True)
    if name == "dyne_td3":       # timing only: an untrained decoder costs what a trained one does
        agent.embedding.trained.fill_(True)
    if name in ("dyne_td3", "pixel_td3"):
        return lambda: agent.update(agent.sample_batch(), update_actor=True)
    if name == "embedded_td3":     # the pretraining step; acting then embeds every stack
        from wmagents.models.dyne_pixels import (embedding_optimiser, embedding_update,
                                                 training_starts)

        model, replay = agent.model.train(), agent.pretraining_replay
        starts, optimiser = training_starts(model, replay), embedding_optimiser(model)
        model.trained.fill_(True)
        return lambda: embedding_update(model, replay, starts, agent.action_space, optimiser,
                                        1.0, agent.device)
    if name == "redq":
        def step():
            for _ in range(agent.config.updates_per_step):
                b = torch_batch(agent.replay.sample(agent.config.batch_size), agent.device)
                agent.critic_update(b)
            return agent.actor_update(b)
        return step
    if name == "mbpo":
        agent.train_model()
        agent.rollout(1)
        return lambda: [agent.sac.update(agent.mixed_batch())
                        for _ in range(agent.config.sac_updates_per_step)]
    if name == "sac_discrete":
        def step():
            b = torch_batch(agent.replay.sample(agent.config.batch_size), agent.device)
            return agent.sac.update(b, b["action"].long())
        return step
    if name == "parsimonious_sac":
        return lambda: (agent.dynamics_step(), agent.sac_step())
    if name == "parsimonious_planning":
        return agent.dynamics_step
    if name == "sac_svg":
        agent.replay.transitions = agent.config.warmup_steps     # the value-expansion actor
    return agent.update            # alm, sac_svg, planet, dreamer, vsg


def matmul_peak_gflops(dtype_name: str = "float32", size: int = 2048) -> float:
    import torch

    dtype = getattr(torch, dtype_name)
    a, b = torch.randn(size, size, dtype=dtype), torch.randn(size, size, dtype=dtype)
    a @ b
    start = time.perf_counter()
    for _ in range(3):
        a @ b
    return 3 * 2 * size ** 3 / (time.perf_counter() - start) / 1e9


def supports_bf16(case: str) -> bool:
    import dataclasses

    import wmagents.agents as table

    module = table.get_agent(CASES[case][0]).load()
    configs = [v for v in vars(module).values() if dataclasses.is_dataclass(v)]
    return any("bf16" in {f.name for f in dataclasses.fields(c)} for c in configs)


def measure(case: str, device: str, precision: str, repeats: int, smoke: bool) -> dict:
    import torch

    import wmagents.agents as table

    torch.set_num_threads(1)
    torch.manual_seed(0)
    row, kind, overrides, _ = CASES[case]
    entry = table.get_agent(row)
    observation_space, action_space = spaces_for(kind)
    if smoke:     # the preset's own settings win (SVSG's Gaussian latents over smoke's classes)
        preset = getattr(entry.load(), "PRESETS", {}).get(overrides.get("preset"), {})
        overrides = {**{k: v for k, v in entry.smoke.items() if k not in preset}, **overrides}
    if precision == "bf16":
        overrides = {**overrides, "bf16": True}
    baseline_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    agent = entry.load().make_agent(observation_space, action_space, seed=0, device=device,
                                    overrides=overrides)
    # an embedded TD3 is timed on its pretraining (frames), the others on their own replay
    replay = agent.pretraining_replay if row == "embedded_td3" else agent.replay
    _fill_replay(agent, replay, observation_space, action_space)
    update = _update_function(row, agent)
    update()                                                   # warm-up
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    times = []
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        update()
        sync()
        times.append(time.perf_counter() - start)
    from torch.utils.flop_counter import FlopCounterMode
    with FlopCounterMode(display=False) as counter:
        update()
    flops = counter.get_total_flops()
    obs = observation_space.sample()
    state = agent.reset(False)
    act_times = []
    for _ in range(repeats):
        start = time.perf_counter()
        _, state = agent.act(obs, state, explore=False)
        sync()
        act_times.append(time.perf_counter() - start)
    peak = (torch.cuda.max_memory_allocated() / 2 ** 20 if device == "cuda" else
            (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - baseline_rss) / 1024)
    seconds = statistics.median(times)
    return {"update_s": seconds, "act_s": statistics.median(act_times), "flops": flops,
            "gflops_per_s": flops / seconds / 1e9, "peak_mb": peak,
            "machine_gflops": (matmul_peak_gflops({"fp32": "float32", "bf16": "bfloat16"}[precision])
                               if device == "cpu" else float("nan"))}


def run_cell(case: str, device: str, precision: str, repeats: int, smoke: bool) -> dict:
    command = [sys.executable, __file__, "--worker", case, device, precision, str(repeats)]
    if smoke:
        command.append("--smoke")
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", nargs="*", default=list(CASES), choices=list(CASES))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda", "both"))
    parser.add_argument("--precision", default="fp32", choices=("fp32", "bf16", "both"),
                        help="bf16 rows only for agents with a bf16 setting")
    parser.add_argument("--smoke", action="store_true", help="tiny agents: checks the script")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        case, device, precision, repeats = args.worker
        print(json.dumps(measure(case, device, precision, int(repeats), args.smoke)))
        return
    from tqdm import tqdm

    devices = ["cpu", "cuda"] if args.device == "both" else [args.device]
    precisions = ["fp32", "bf16"] if args.precision == "both" else [args.precision]
    rows = ["| agent | one update is | device | precision | update (s) | act (s) | "
            "GFLOP / update | GFLOP/s | of matmul peak | peak memory (MB) |",
            "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    cells = [(case, device, precision) for case in args.agents for device in devices
             for precision in precisions if precision == "fp32" or supports_bf16(case)]
    for case, device, precision in tqdm(cells, desc="cells"):
        r = run_cell(case, device, precision, args.repeats, args.smoke)
        share = (f"{r['gflops_per_s'] / r['machine_gflops']:.0%}"
                 if r["machine_gflops"] == r["machine_gflops"] else "-")
        rows.append(f"| {case} | {CASES[case][3]} | {device} | {precision} | "
                    f"{r['update_s']:.4g} | {r['act_s']:.3g} | {r['flops'] / 1e9:.3g} | "
                    f"{r['gflops_per_s']:.1f} | {share} | {r['peak_mb']:.0f} |")
        print(rows[-1], flush=True)
    header = (f"`python benchmarks/bench_agents.py --repeats {args.repeats} --precision "
              f"{args.precision}{' --smoke' if args.smoke else ''}` on {machine()}, one torch "
              f"thread per process, paper configurations, median of {args.repeats}; \"of matmul "
              f"peak\": against a 2048^3 product in the row's precision. Load average "
              f"(1/5/15 min) at the start: {load_average()} on {os.cpu_count()} cores. "
              f"Peak memory: the process's RSS growth (CPU) or torch's peak allocation (CUDA).")
    publish(SECTION, header, rows, args.write)


if __name__ == "__main__":
    main()
