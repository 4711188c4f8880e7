"""PlaNet's model update and CEM action beside Kaixhin/PlaNet's (the PyTorch port users most
often pick), with matched settings, on one CPU thread.

    git clone https://github.com/Kaixhin/PlaNet /tmp/kaixhin-planet   # not a dependency
    python benchmarks/bench_planet_reference.py --reference /tmp/kaixhin-planet [--repeats 3]
        [--rounds 2] [--write]

The reference's ``models.py`` and ``planner.py`` are imported from ``--reference`` (nothing of
it is copied here); this script drives them with its own training step, written from the
loss of its ``main.py`` (summed pixel MSE, reward MSE, KL with 3 free nats, Adam 1e-3 / eps
1e-4, gradient clip 1000). Both sides: RSSM 200 / 30, 200-unit layers, 1024 embedding, the
PlaNet conv stack, 6-D actions, a batch of 50 chunks that filter and decode 51 frames each
(ours: ``chunk_length`` 50 plus its first frame; the reference: ``chunk_size`` 52, whose first
step only conditions), random uint8-range data; one CEM action = one posterior step and
1000 candidates x 10 iterations, top 100, horizon 12. Rows: the reference; ours with the
reference's 2 x 200 reward head (matched); ours at its defaults (the released code's 3 x 300
head), in fp32 and with ``bf16=True``. Each cell runs in a fresh process
(``torch.set_num_threads(1)``), cells interleaved, ``--rounds`` processes per cell; a process
times ``--repeats`` updates after a warm-up (median), then ``--repeats`` actions. ``--write``
replaces the "PlaNet beside Kaixhin/PlaNet" section of RESULTS.md.
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
from common import load_average, machine, publish  # noqa: E402

SECTION = "## PlaNet beside Kaixhin/PlaNet"
BATCH, FRAMES, ACTIONS = 50, 51, 6
ROWS = {
    "Kaixhin/PlaNet (reward 2 x 200)": ("reference", {}),
    "ours, reward 2 x 200 (matched)": ("ours", {"reward_hidden": 200, "reward_layers": 2}),
    "ours, defaults (reward 3 x 300)": ("ours", {}),
    "ours, defaults, bf16=True": ("ours", {"bf16": True}),
}


def _timed(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def ours(overrides: dict, repeats: int) -> dict:
    import numpy as np
    from gymnasium import spaces

    from wmagents.agents.planet import PlaNet, PlaNetConfig
    from wmagents.api import Transition

    observation_space = spaces.Box(0, 255, (64, 64, 3), np.uint8)
    action_space = spaces.Box(-1.0, 1.0, (ACTIONS,), np.float32)
    agent = PlaNet(observation_space, action_space,
                   PlaNetConfig(batch_size=BATCH, chunk_length=FRAMES - 1, **overrides), seed=0,
                   device="cpu")
    rng = np.random.default_rng(0)
    for step in range(300):
        agent.replay.add(Transition(rng.integers(0, 256, (64, 64, 3), np.uint8),
                                    rng.uniform(-1, 1, ACTIONS).astype(np.float32),
                                    float(rng.random()),
                                    rng.integers(0, 256, (64, 64, 3), np.uint8), False,
                                    step % 100 == 99))
    agent.update()                                                      # warm-up
    update_s = _timed(agent.update, repeats)
    obs, state = observation_space.sample(), agent.reset(False)
    act_s = _timed(lambda: agent.act(obs, state, explore=False), repeats)
    return {"update_s": update_s, "act_s": act_s}


def reference(path: str, repeats: int) -> dict:
    import torch
    from torch.distributions import Normal, kl_divergence
    from torch.nn import functional as F

    sys.path.insert(0, path)
    from models import Encoder, ObservationModel, RewardModel, TransitionModel, bottle
    from planner import MPCPlanner

    belief, state, hidden, embedding = 200, 30, 200, 1024
    transition = TransitionModel(belief, state, ACTIONS, hidden, embedding)
    observation_model = ObservationModel(False, None, belief, state, embedding)
    reward_model = RewardModel(belief, state, hidden)
    encoder = Encoder(False, None, embedding)
    parameters = [p for m in (transition, observation_model, reward_model, encoder)
                  for p in m.parameters()]
    optimiser = torch.optim.Adam(parameters, lr=1e-3, eps=1e-4)
    g = torch.Generator().manual_seed(0)
    steps = FRAMES + 1                                          # chunk_size: 51 filtered steps
    observations = torch.rand(steps, BATCH, 3, 64, 64, generator=g) - 0.5
    actions = torch.rand(steps, BATCH, ACTIONS, generator=g) * 2 - 1
    rewards = torch.rand(steps, BATCH, generator=g)
    nonterminals = torch.ones(steps, BATCH, 1)
    free_nats = torch.full((1,), 3.0)

    def update():
        zeros_belief, zeros_state = torch.zeros(BATCH, belief), torch.zeros(BATCH, state)
        beliefs, _, prior_means, prior_stds, post_states, post_means, post_stds = transition(
            zeros_state, actions[:-1], zeros_belief, bottle(encoder, (observations[1:],)),
            nonterminals[:-1])
        image = F.mse_loss(bottle(observation_model, (beliefs, post_states)), observations[1:],
                           reduction="none").sum((2, 3, 4)).mean((0, 1))
        reward = F.mse_loss(bottle(reward_model, (beliefs, post_states)), rewards[:-1],
                            reduction="none").mean((0, 1))
        kl = torch.max(kl_divergence(Normal(post_means, post_stds),
                                     Normal(prior_means, prior_stds)).sum(2), free_nats).mean((0, 1))
        optimiser.zero_grad()
        (image + reward + kl).backward()
        torch.nn.utils.clip_grad_norm_(parameters, 1000.0)
        optimiser.step()

    update()                                                            # warm-up
    update_s = _timed(update, repeats)
    planner = MPCPlanner(ACTIONS, 12, 10, 1000, 100, transition, reward_model, -1.0, 1.0)
    frame = torch.rand(1, 3, 64, 64, generator=g) - 0.5

    @torch.no_grad()
    def act():
        b, _, _, _, s, _, _ = transition(torch.zeros(1, state), torch.zeros(1, 1, ACTIONS),
                                         torch.zeros(1, belief), encoder(frame).unsqueeze(0))
        planner(b.squeeze(0), s.squeeze(0))

    return {"update_s": update_s, "act_s": _timed(act, repeats)}


def run_cell(row: str, path: str, repeats: int) -> dict:
    command = [sys.executable, __file__, "--worker", row, "--reference", path,
               "--repeats", str(repeats)]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", required=True,
                        help="a checkout of github.com/Kaixhin/PlaNet (models.py, planner.py)")
    parser.add_argument("--repeats", type=int, default=3, help="timed calls per process")
    parser.add_argument("--rounds", type=int, default=2, help="fresh processes per cell")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    parser.add_argument("--worker", choices=list(ROWS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        import torch

        torch.set_num_threads(1)
        torch.manual_seed(0)
        kind, overrides = ROWS[args.worker]
        result = (reference(args.reference, args.repeats) if kind == "reference"
                  else ours(overrides, args.repeats))
        print(json.dumps(result))
        return
    if not (Path(args.reference) / "models.py").exists():
        parser.error(f"--reference {args.reference!r} holds no models.py (a Kaixhin/PlaNet checkout)")
    start_load = load_average()
    results: dict[str, list[dict]] = {row: [] for row in ROWS}
    for round_ in range(args.rounds):
        for row in ROWS:
            results[row].append(run_cell(row, args.reference, args.repeats))
            print(f"round {round_ + 1}: {row}: {results[row][-1]}", flush=True)
    base = {k: statistics.median(r[k] for r in results[next(iter(ROWS))])
            for k in ("update_s", "act_s")}
    rows = ["| implementation | update, 50 x 51 frames (s) | vs reference | CEM action (s) | "
            "vs reference |", "| --- | ---: | ---: | ---: | ---: |"]
    for row, cells in results.items():
        update_s, act_s = (statistics.median(c[k] for c in cells) for k in ("update_s", "act_s"))
        rows.append(f"| {row} | {update_s:.2f} | {base['update_s'] / update_s:.2f}x | "
                    f"{act_s:.2f} | {base['act_s'] / act_s:.2f}x |")
    header = (f"`python benchmarks/bench_planet_reference.py --repeats {args.repeats} --rounds "
              f"{args.rounds}` on {machine()}: one torch thread, fresh interleaved processes, "
              f"median; load average at the start {start_load}, at the end {load_average()}. "
              f"\"vs reference\": the reference's time over the row's (above 1: faster).")
    publish(SECTION, header, rows, args.write)


if __name__ == "__main__":
    main()
