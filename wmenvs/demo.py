"""Demo policies of the registered IDs (``act(obs, info) -> action``) and one episode played
with one: what ``python -m wmenvs demo``, the leaderboard's expert score ranges and the VSG
table's scripted-expert row share."""

from __future__ import annotations

import importlib
from typing import Callable

import gymnasium as gym

from wmenvs.registration import get_entry


class RandomPolicy:
    """Uniform random actions from the env's seeded action space."""

    def __init__(self, action_space: gym.Space):
        self.action_space = action_space

    def act(self, obs, info):
        return self.action_space.sample()


def load_demo_policy(env_id: str, action_space: gym.Space, policy: str = "scripted"):
    """``policy`` is ``"scripted"`` (the ID's demo policy) or ``"random"``."""
    if policy == "random":
        return RandomPolicy(action_space)
    target = get_entry(env_id).demo_policy
    if target is None:
        raise ValueError(f"{env_id} has no scripted demo policy; use policy 'random'")
    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)(action_space)


def play(env: gym.Env, policy, seed: int, on_step: Callable[[], None] | None = None) -> dict:
    """One episode of ``policy`` from ``env.reset(seed=seed)`` (``policy.reset()`` first when
    it has one); ``on_step()`` after the reset and after every step. Returns return, steps,
    terminated and the last info."""
    if hasattr(policy, "reset"):
        policy.reset()
    obs, info = env.reset(seed=seed)
    total, steps, done = 0.0, 0, False
    if on_step:
        on_step()
    while not done:
        obs, reward, terminated, truncated, info = env.step(policy.act(obs, info))
        total, steps, done = total + float(reward), steps + 1, terminated or truncated
        if on_step:
            on_step()
    return {"return": total, "steps": steps, "terminated": bool(terminated), "info": info}
