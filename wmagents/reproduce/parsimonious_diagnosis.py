"""Why Figure 3's VAE line never leaves -250: one GridWorld run per (line, seed), with the
evidence ``docs/parsimonious.md`` cites.

    python -m wmagents.reproduce.parsimonious_diagnosis [--episodes 60] [--seeds 0 1]
        [--lines baseline vae ...] [--workers 2] [--out runs/parsimonious_diagnosis.jsonl]

Each line is discrete SAC (appendix A.6 values, the ``small`` budget's 256-unit networks) on
one representation. Every ``--probe-every`` episodes the run records, over the 121 cells'
observations: the latents' per-dimension KL to N(0, I) and reconstruction error (VAE), their
rank (singular values above 1 % of the largest) and spread (pairwise distances), the critic's
values and the policy's entropy. Every episode it records the return and how many distinct
cells were visited. One JSON line per run goes to ``--out`` (runs already there are skipped).
"""

from __future__ import annotations

import argparse
import json
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

SMALL = {"hidden": [256, 256], "model_hidden": [256, 256]}
# line -> (agent overrides, critic output bias at initialisation)
LINES = {
    "baseline": ({"model": "none"}, 0.0),
    "parsimonious": ({"model": "parsimonious"}, 0.0),
    "vae": ({"model": "vae"}, 0.0),
    "vae_beta0.1": ({"model": "vae", "beta": 0.1}, 0.0),
    "vae_lr1e-3": ({"model": "vae", "lr": 1e-3}, 0.0),
    "baseline_lr1e-3": ({"model": "none", "lr": 1e-3}, 0.0),
    # the exploration test: critics start at +5 everywhere, an optimism a value table has
    "vae_optimistic": ({"model": "vae"}, 5.0),
    "baseline_optimistic": ({"model": "none"}, 5.0),
}
PAPER_NETS = {"hidden": [800, 800], "model_hidden": [1200, 1200]}   # A.2, A.5
LINES.update({f"{name}_paper_nets": ({**LINES[name][0], **PAPER_NETS}, 0.0)
              for name in ("baseline", "parsimonious", "vae")})


def _probe(agent, env) -> dict:
    import torch

    x = torch.tensor(np.array(env.unwrapped.observation_table, np.float32))
    learner = agent.sac
    with torch.no_grad():
        probe: dict = {}
        if hasattr(agent, "model"):
            mu, std = agent.model.encode_distribution(x)
            z = mu
            if std is not None:
                kl = 0.5 * (mu ** 2 + std ** 2 - 1 - 2 * torch.log(std))
                probe["kl_per_dim"] = kl.mean(0).tolist()
                probe["reconstruction"] = float((agent.model.decoder(mu) - x).pow(2).sum(-1).mean())
        else:
            z = x
        singular = torch.linalg.svdvals(z - z.mean(0))
        distances = torch.pdist(z)
        q = learner.critic(z).min(0).values
        log_pi = torch.log_softmax(learner.actor(z), -1)
        probe.update(
            rank=int((singular > 0.01 * singular[0]).sum()),
            distance_min=float(distances.min()), distance_median=float(distances.median()),
            q_min=float(q.min()), q_max=float(q.max()),
            q_action_spread=float((q.max(-1).values - q.min(-1).values).mean()),
            entropy=float(-(log_pi.exp() * log_pi).sum(-1).mean()))
    return probe


def run_line(line: str, seed: int, episodes: int, probe_every: int) -> dict:
    import gymnasium as gym
    import torch

    import wmenvs  # noqa: F401
    from wmagents.agents import parsimonious_sac
    from wmagents.api import Transition

    torch.set_num_threads(1)
    overrides, critic_bias = LINES[line]
    env = gym.make("wmenvs/GridWorld-v0")
    overrides = {**SMALL, **overrides}
    if overrides["model"] == "none":
        del overrides["model_hidden"]     # plain SAC has no dynamics model
    agent = parsimonious_sac.make_agent(env.observation_space, env.action_space, seed=seed,
                                        device="cpu", overrides=overrides)
    if critic_bias:
        with torch.no_grad():
            for critic in (agent.sac.critic, agent.sac.critic_target):
                for member in critic.members:
                    member[-1].bias.add_(critic_bias)
    returns, visited, probes = [], [], []
    for episode in range(episodes):
        obs, info = env.reset(seed=seed * 10_000 + episode)
        state, total, cells, done = agent.reset(True), 0.0, {tuple(info["cell"])}, False
        while not done:
            action, state = agent.act(obs, state, True)
            next_obs, reward, terminated, truncated, info = env.step(action)
            done = terminated or truncated
            agent.observe(Transition(obs, action, float(reward), next_obs, terminated, truncated))
            obs, total = next_obs, total + reward
            cells.add(tuple(info["cell"]))
        returns.append(total)
        visited.append(len(cells))
        if episode % probe_every == probe_every - 1 or episode == episodes - 1:
            probes.append({"episode": episode + 1, **_probe(agent, env)})
    return {"line": line, "seed": seed, "returns": returns, "visited": visited, "probes": probes}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=60)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--lines", nargs="+", default=list(LINES), choices=list(LINES))
    parser.add_argument("--probe-every", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("runs/parsimonious_diagnosis.jsonl"))
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    done = set()
    if args.out.exists():
        done = {(r["line"], r["seed"]) for r in map(json.loads, args.out.read_text().splitlines())}
    todo = [(line, seed) for line in args.lines for seed in args.seeds if (line, seed) not in done]
    with ProcessPoolExecutor(args.workers) as pool:
        futures = [pool.submit(run_line, line, seed, args.episodes, args.probe_every)
                   for line, seed in todo]
        for future in futures:
            result = future.result()
            with args.out.open("a") as f:
                f.write(json.dumps(result) + "\n")
            print(summary_row(result), flush=True)


def summary_row(result: dict) -> str:
    returns, visited = np.asarray(result["returns"]), np.asarray(result["visited"])
    first = np.flatnonzero(returns >= 0)
    last = result["probes"][-1]
    return (f"| {result['line']} | {result['seed']} | {returns.sum():,.0f} | "
            f"{first[0] + 1 if first.size else 'never'} | {visited[:10].mean():.0f} / "
            f"{visited[-10:].mean():.0f} | {last['rank']} | {last['q_min']:.1f} .. "
            f"{last['q_max']:.1f} | {last['q_action_spread']:.2f} | {last['entropy']:.2f} |")


if __name__ == "__main__":
    main()
