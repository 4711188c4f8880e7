"""The agent protocol: what the training loop calls, and nothing more.

An agent never receives the environment. It is built from the spaces, then the loop drives it::

    agent = make_agent(observation_space, action_space, seed=0, device="cpu", overrides={})
    state = agent.reset(explore=True)            # per-episode state (None when memoryless)
    action, state = agent.act(obs, state, explore=True)
    obs2, reward, terminated, truncated, info = env.step(action)   # done by the loop
    metrics = agent.observe(Transition(obs, action, reward, obs2, terminated, truncated))

``observe`` stores the transition and runs whatever updates the agent's own schedule calls for
(SAC: one gradient step per env step; the discrete SAC of Saanum & Schulz: M steps at each
episode end; PlaNet: C steps per episode). Episode state is passed in and out rather than kept
inside the agent so that evaluation episodes (a separate state) can interleave with a training
episode without disturbing a recurrent or planning agent. ``state_dict`` must capture
everything needed to continue bit-exactly (networks, optimisers, replay, RNGs).

A minimal agent::

    class Constant:
        config = {}
        def __init__(self, action): self.action = action
        def reset(self, explore): return None
        def act(self, obs, state, explore): return self.action, state
        def observe(self, transition): return {}
        def state_dict(self): return {}
        def load_state_dict(self, state): pass
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class Transition:
    """One env step. ``terminated`` (a true end: no bootstrapping) and ``truncated`` (time limit:
    bootstrap from ``next_obs``) stay separate all the way into the replay buffers."""

    obs: Any
    action: Any
    reward: float
    next_obs: Any
    terminated: bool
    truncated: bool

    @property
    def episode_end(self) -> bool:
        return self.terminated or self.truncated


@runtime_checkable
class Agent(Protocol):
    config: Any

    def reset(self, explore: bool) -> Any:
        """Fresh per-episode state (e.g. an RNN hidden state or a planner's warm start)."""

    def act(self, obs: Any, state: Any, explore: bool) -> tuple[Any, Any]:
        """Action for ``obs`` and the next episode state; ``explore=False`` for evaluation."""

    def observe(self, transition: Transition) -> dict[str, float]:
        """Store a training transition, update on the agent's schedule, return update metrics."""

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...



def config_json(config) -> dict:
    """An agent's config (a dataclass, or a dict) as JSON data (other values as their repr):
    what the store keeps with every run."""
    import json

    data = dataclasses.asdict(config) if dataclasses.is_dataclass(config) else config
    return json.loads(json.dumps(data, default=repr))


def make_config(config_cls, overrides: dict | None = None):
    """``config_cls`` with ``overrides`` applied. Unknown names and values of the wrong type
    raise ValueError naming the field (``SACConfig.hidden: expected a list of ints ...``).
    JSON lists become tuples where the default is a tuple (e.g. ``hidden``); ints are accepted
    for float fields."""
    fields = {f.name: f for f in dataclasses.fields(config_cls)}
    unknown = sorted(set(overrides or {}) - set(fields))
    if unknown:
        raise ValueError(f"unknown {config_cls.__name__} fields {unknown}; known: {sorted(fields)}")
    base = config_cls()
    values = {name: _checked(config_cls.__name__, name, getattr(base, name), value)
              for name, value in (overrides or {}).items()}
    return dataclasses.replace(base, **values)


def _checked(owner: str, name: str, default, value):
    """``value`` converted to the type of ``default``, or ValueError naming the field."""
    def fail(expected: str):
        raise ValueError(f"{owner}.{name}: expected {expected} (default {default!r}), "
                         f"got {value!r}")

    def is_int(x):
        return isinstance(x, int) and not isinstance(x, bool)

    if isinstance(default, bool):
        return value if isinstance(value, bool) else fail("true or false")
    if isinstance(default, int):
        return value if is_int(value) else fail("an integer")
    if isinstance(default, float):
        return float(value) if is_int(value) or isinstance(value, float) else fail("a number")
    if isinstance(default, str):
        return value if isinstance(value, str) else fail("a string")
    if isinstance(default, tuple):
        if not isinstance(value, (list, tuple)):
            fail("a list")
        kinds = {type(x) for x in default}
        if kinds == {int} and not all(is_int(x) for x in value):
            fail("a list of integers")
        if kinds == {float} and not all(is_int(x) or isinstance(x, float) for x in value):
            fail("a list of numbers")
        return tuple(value)
    return value
