"""The one training loop every agent plugs into.

Collect with ``explore=True`` until the budget is spent; every ``eval_every`` steps and at the
end, evaluate ``eval_episodes`` episodes with ``explore=False`` on a separate env instance.
Budgets and schedules count *simulator* steps, the papers' convention: the loop, not the agent,
counts them, adding ``info["env_steps"]`` per ID step where the ID repeats actions (PlaNet's
cartpole: 8) and 1 elsewhere; an evaluation runs when the count crosses a multiple of
``eval_every``. Training episode ``k`` is reset with an even
seed and evaluation episode ``j`` with an odd one, both derived from the run seed, so the two
sets are disjoint by construction and every evaluation round sees the same episodes.

Checkpoints are written at the first episode end after every ``checkpoint_every`` steps
(atomically: temp file + rename, with a SHA-256 of their bytes beside them) with the agent
state (replay included), the torch RNG, the loop counters and the byte length of
``metrics.jsonl`` at that moment; a resumed run cuts the log back to that length and continues
exactly where the checkpoint left off. A checkpoint whose bytes do not match its checksum
(flipped, truncated, foreign) is moved aside with a warning naming it and the run starts over;
temp files of a save cut short are removed.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch
from torch.optim.optimizer import register_optimizer_step_post_hook
from tqdm import tqdm

from wmagents.agents.random_agent import RandomAgent
from wmagents.api import Agent, Transition
from wmenvs.demo import load_demo_policy, play

CHECKPOINT = "checkpoint.pt"
THROUGHPUT = "throughput.jsonl"   # env and optimizer steps/s per training episode
METRICS = "metrics.jsonl"


@dataclass(frozen=True)
class LoopConfig:
    budget: int              # env steps of training interaction
    eval_every: int          # env steps between evaluations
    eval_episodes: int       # episodes per evaluation
    checkpoint_every: int = 5_000

    def __post_init__(self):
        for name in ("budget", "eval_every", "eval_episodes", "checkpoint_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")


@dataclass
class LoopResult:
    eval_points: list[dict]   # one per evaluation: step, mean_return, returns, lengths, ...
    train_episodes: list[dict]  # one per training episode: episode, step, return, length, flags
    wall_time_s: float        # summed over all sessions of this run
    resumed_from: int | None  # step of the checkpoint this call resumed from

    @property
    def final(self) -> dict:
        return self.eval_points[-1]


def episode_seed(run_seed: int, index: int, evaluation: bool) -> int:
    """Reset seed of episode ``index``: even for training, odd for evaluation."""
    word = int(np.random.SeedSequence([run_seed, index, int(evaluation)]).generate_state(1)[0])
    return (word & ~1) | int(evaluation)


def run_episode(agent: Agent, env: gym.Env, seed: int, explore: bool,
                on_step: Callable[[Transition, int], bool] | None = None) -> dict:
    """Play one episode; ``on_step(transition, env_steps)`` sees every transition with the
    simulator steps it took and may stop the episode early by returning ``True`` (the
    budget). Returns return, length (ID steps), flags and success."""
    obs, info = env.reset(seed=seed)
    state = agent.reset(explore=explore)
    total, length = 0.0, 0
    while True:
        action, state = agent.act(obs, state, explore=explore)
        next_obs, reward, terminated, truncated, info = env.step(action)
        total, length = total + float(reward), length + 1
        stop = on_step(Transition(obs, action, float(reward), next_obs, bool(terminated),
                                  bool(truncated)), int(info.get("env_steps", 1))) \
            if on_step else False
        if terminated or truncated or stop:
            break
        obs = next_obs
    out = {"return": total, "length": length, "terminated": bool(terminated),
           "truncated": bool(truncated)}
    if "success" in info:
        out["success"] = float(info["success"])
    return out


def evaluate(agent: Agent, env: gym.Env, run_seed: int, episodes: int, step: int) -> dict:
    results = [run_episode(agent, env, episode_seed(run_seed, j, True), explore=False)
               for j in range(episodes)]
    returns = [r["return"] for r in results]
    point = {"step": step, "mean_return": float(np.mean(returns)),
             "std_return": float(np.std(returns)), "returns": returns,
             "mean_length": float(np.mean([r["length"] for r in results])), "success_rate": None}
    if all("success" in r for r in results):
        point["success_rate"] = float(np.mean([r["success"] for r in results]))
    return point


def evaluate_demo(env: gym.Env, run_seed: int, episodes: int) -> float:
    """Mean return of the ID's scripted demo policy (:mod:`wmenvs.demo`) on the evaluation
    resets of run ``run_seed``: the same problems :func:`evaluate` gives an agent."""
    policy = load_demo_policy(env.spec.id, env.action_space)
    return float(np.mean([play(env, policy, episode_seed(run_seed, j, True))["return"]
                          for j in range(episodes)]))



def evaluate_random(env: gym.Env, run_seeds, episodes: int) -> list[float]:
    """Per run seed, the mean return of uniform random actions (one :class:`RandomAgent`,
    seed 0, drawing on across the seeds) on that run's evaluation resets: the floor row of
    the tables and the leaderboard's score ranges."""
    agent = RandomAgent(env.observation_space, env.action_space, seed=0)
    return [evaluate(agent, env, seed, episodes, 0)["mean_return"] for seed in run_seeds]


def seconds_per_training_step(agent: Agent, env: gym.Env, warm_up: int, steps: int) -> float:
    """Wall seconds per training step (act, env step, ``observe`` with every update the
    agent's schedule makes) over ``steps`` steps after ``warm_up`` untimed ones; a plain loop
    (no evaluation, no checkpoints) for runtime comparisons."""
    obs, _ = env.reset(seed=0)
    state, start = agent.reset(True), time.perf_counter()
    for step in range(warm_up + steps):
        if step == warm_up:
            start = time.perf_counter()
        action, state = agent.act(obs, state, explore=True)
        next_obs, reward, terminated, truncated, _ = env.step(action)
        agent.observe(Transition(obs, action, float(reward), next_obs, terminated, truncated))
        obs = next_obs
        if terminated or truncated:
            (obs, _), state = env.reset(), agent.reset(True)
    return (time.perf_counter() - start) / steps


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _save_checkpoint(path: Path, payload: dict) -> None:
    """The checkpoint and, beside it, the SHA-256 of its bytes, each written atomically."""
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    data = buffer.getvalue()
    digest = path.with_name(path.name + ".sha256")
    digest_tmp = digest.with_name(digest.name + ".tmp")
    digest_tmp.write_text(hashlib.sha256(data).hexdigest())
    _atomic_write(path, data)
    os.replace(digest_tmp, digest)


def _load_checkpoint(path: Path) -> dict | None:
    """The checkpoint if its bytes match the checksum written with it; else it is moved aside
    (``checkpoint.pt.rejected``, with a warning naming it) and the run starts over."""
    digest = path.with_name(path.name + ".sha256")
    data = path.read_bytes()
    try:
        if digest.read_text().strip() == hashlib.sha256(data).hexdigest():
            return torch.load(io.BytesIO(data), weights_only=False)
        problem = "its bytes do not match the checksum written with it"
    except OSError as error:      # no checksum: an interrupted save or a foreign file
        problem = f"it has no readable checksum ({error.strerror})"
    os.replace(path, path.with_name(path.name + ".rejected"))
    warnings.warn(f"checkpoint {path}: {problem}; moved aside, the run starts over",
                  stacklevel=2)
    return None


class Throughput:
    """Env steps and optimizer steps (every ``torch.optim`` step in this process, through a
    global post-step hook) per second of wall time since the last :meth:`read`."""

    def __init__(self, start_step: int = 0):
        self.optimizer_steps, self.since, self.steps_at = 0, time.perf_counter(), start_step
        self.hook = register_optimizer_step_post_hook(self._count)

    def _count(self, *_) -> None:
        self.optimizer_steps += 1

    def read(self, env_steps: int) -> dict[str, float]:
        now = time.perf_counter()
        elapsed = max(now - self.since, 1e-9)
        rates = {"env_steps_per_s": (env_steps - self.steps_at) / elapsed,
                 "optimizer_steps_per_s": self.optimizer_steps / elapsed}
        self.optimizer_steps, self.since, self.steps_at = 0, now, env_steps
        return rates

    def close(self) -> None:
        self.hook.remove()


def train(agent: Agent, make_env: Callable[[], gym.Env], seed: int, config: LoopConfig,
          run_dir: str | os.PathLike, progress: bool = False, desc: str = "") -> LoopResult:
    """Train ``agent`` for ``config.budget`` env steps, resuming from ``run_dir`` if possible."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    ckpt_path, metrics_path = run_dir / CHECKPOINT, run_dir / METRICS
    s = {"step": 0, "episode": 0, "eval_points": [], "train_episodes": [], "wall_time_s": 0.0,
         "metrics_bytes": 0}
    resumed_from = None
    for leftover in run_dir.glob("*.tmp"):   # a save cut short (a full disk, a kill)
        leftover.unlink()
    ckpt = _load_checkpoint(ckpt_path) if ckpt_path.exists() else None
    if ckpt is not None:
        agent.load_state_dict(ckpt.pop("agent"))
        torch.set_rng_state(ckpt.pop("torch_rng"))
        cuda_rng = ckpt.pop("cuda_rng")
        if cuda_rng:
            torch.cuda.set_rng_state_all(cuda_rng)
        s = ckpt
        resumed_from = s["step"]
    with open(metrics_path, "a+b") as f:
        f.truncate(min(s["metrics_bytes"], f.seek(0, os.SEEK_END)))  # never pad with NULs
    env, eval_env = make_env(), make_env()
    log = open(metrics_path, "a")
    started = time.perf_counter()

    def write(record: dict) -> None:
        log.write(json.dumps(record) + "\n")

    postfix: dict[str, str] = {}

    def run_eval() -> None:
        point = evaluate(agent, eval_env, seed, config.eval_episodes, s["step"])
        s["eval_points"].append(point)
        write({"kind": "eval", **point})
        postfix["eval_return"] = f"{point['mean_return']:.1f}"
        bar.set_postfix(postfix)

    bar = tqdm(total=config.budget, initial=s["step"], disable=not progress, desc=desc,
               unit="step", dynamic_ncols=True)
    if resumed_from is not None:
        write({"kind": "resume", "step": resumed_from})
    if not s["eval_points"]:
        run_eval()
    next_checkpoint = (s["step"] // config.checkpoint_every + 1) * config.checkpoint_every
    updates: list[dict] = []
    throughput = Throughput(s["step"])
    speed_log = open(run_dir / THROUGHPUT, "a", buffering=1)     # wall clock: not in METRICS

    def on_step(t: Transition, env_steps: int) -> bool:
        metrics = agent.observe(t)
        if metrics:
            updates.append(metrics)
        before, s["step"] = s["step"], s["step"] + env_steps
        bar.update(env_steps)
        if s["step"] // config.eval_every > before // config.eval_every \
                or s["step"] >= config.budget:
            run_eval()
        return s["step"] >= config.budget

    try:
        while s["step"] < config.budget:
            episode = run_episode(agent, env, episode_seed(seed, s["episode"], False), True, on_step)
            s["episode"] += 1
            s["train_episodes"].append({"episode": s["episode"], "step": s["step"], **episode})
            record = {"kind": "train_episode", **s["train_episodes"][-1]}
            if updates:
                keys = dict.fromkeys(k for u in updates for k in u)   # an update may report a subset
                record["update"] = {k: float(np.mean([u[k] for u in updates if k in u])) for k in keys}
                updates.clear()
            write(record)
            rates = throughput.read(s["step"])
            speed_log.write(json.dumps({"episode": s["episode"], "step": s["step"], **rates})
                            + "\n")
            postfix.update(env_steps_s=f"{rates['env_steps_per_s']:.0f}",
                           opt_steps_s=f"{rates['optimizer_steps_per_s']:.0f}")
            bar.set_postfix(postfix)
            if next_checkpoint <= s["step"] < config.budget:
                log.flush()
                os.fsync(log.fileno())
                s["metrics_bytes"] = log.tell()
                s["wall_time_s"] += time.perf_counter() - started
                started = time.perf_counter()
                _save_checkpoint(ckpt_path, {**s, "agent": agent.state_dict(),
                                             "torch_rng": torch.get_rng_state(),
                                             "cuda_rng": torch.cuda.get_rng_state_all()
                                             if torch.cuda.is_initialized() else None})
                next_checkpoint = (s["step"] // config.checkpoint_every + 1) * config.checkpoint_every
    finally:
        throughput.close()
        speed_log.close()
    bar.close()
    log.close()
    env.close()
    eval_env.close()
    return LoopResult(s["eval_points"], s["train_episodes"],
                      s["wall_time_s"] + time.perf_counter() - started, resumed_from)
