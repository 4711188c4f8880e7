"""The outermost wrapper of every wmenvs ID: input checks Gymnasium leaves to the env.

* ``reset(seed=...)``: ``None`` or an int >= 0; a bool (which Gymnasium would take as 0 or 1)
  or any other type raises ``ValueError`` naming ``seed``. ``options`` must be ``None`` or a
  dict (``ValueError`` naming ``options``); what it may hold is each env's own check.
* ``step`` after the episode ended (``terminated`` or ``truncated``, the time limit included)
  raises ``gymnasium.error.ResetNeeded`` instead of stepping a finished episode silently.

Registered as the IDs' ``additional_wrappers``, so ``gym.make`` puts it outside ``TimeLimit``.
Gymnasium refuses additional wrappers on IDs with a batched ``vector_entry_point`` (the six grid
IDs): their envs run :func:`check_reset_arguments` themselves and, never terminating, follow
``TimeLimit`` after their last step (``truncated`` stays True on every further step).
"""

from __future__ import annotations

from collections.abc import Mapping

import gymnasium as gym
from gymnasium.utils import RecordConstructorArgs


def check_reset_arguments(seed, options) -> None:
    """``ValueError`` naming ``seed`` or ``options`` unless they are what ``reset`` takes."""
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ValueError(f"reset(seed={seed!r}): seed must be an int >= 0 or None")
    if options is not None and not isinstance(options, Mapping):
        raise ValueError(f"reset(options={options!r}): options must be a dict or None")


class EpisodeGuard(gym.Wrapper, RecordConstructorArgs):
    def __init__(self, env: gym.Env):
        RecordConstructorArgs.__init__(self)
        gym.Wrapper.__init__(self, env)
        self._ended = False

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        check_reset_arguments(seed, options)
        self._ended = False
        return self.env.reset(seed=seed, options=options)

    def step(self, action):
        if self._ended:
            raise gym.error.ResetNeeded("step() after the episode ended (terminated or "
                                        "truncated): call reset() first")
        obs, reward, terminated, truncated, info = self.env.step(action)
        self._ended = bool(terminated or truncated)
        return obs, reward, terminated, truncated, info
