"""Replay storage shared by off-policy agents and world models.

Every observation is stored exactly once (uint8 images stay uint8): an episode of ``T`` steps
occupies ``T + 1`` slots, slot ``i`` holding ``obs_i`` and, except for the episode's last slot,
the action, reward, ``terminated`` and ``truncated`` of the step taken from it. The next
observation of slot ``i`` is slot ``i + 1``. Two samplers read the same ring buffer:

* ``sample(batch)`` -> transitions ``(obs, action, reward, next_obs, terminated, truncated)``
  (``all_transitions()``: every one of them); ``sample_windows(batch, length)``: uniform
  transitions, each with the next ``length - 1`` steps of its episode where they exist
  (DynE-TD3's k-step targets);
* ``sample_sequences(batch, length)`` -> chunks of ``length`` consecutive steps inside one
  episode (``length + 1`` observations), never crossing an episode boundary or the write head;
  starts uniform over all valid ones (episodes weighted by length), or with
  ``uniform_episodes=True`` an episode uniform among those that hold a chunk and a start
  uniform inside it (Dreamer's and VSG's samplers).

A chunk starting at slot ``i`` is valid iff slot ``i + length`` (mod capacity) belongs to the
same episode and is ``length`` steps later, which also rejects slots overwritten by the ring.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from wmagents.api import Transition


class ReplayBuffer:
    def __init__(self, observation_space: spaces.Space, action_space: spaces.Space,
                 capacity: int, seed: int):
        if not isinstance(observation_space, spaces.Box):
            raise ValueError(f"ReplayBuffer stores Box observations, got {observation_space}")
        if capacity < 2:
            raise ValueError(f"capacity must be >= 2, got {capacity}")
        self.capacity = capacity
        self.obs = np.zeros((capacity, *observation_space.shape), observation_space.dtype)
        action_shape = () if isinstance(action_space, spaces.Discrete) else action_space.shape
        self.action = np.zeros((capacity, *action_shape), action_space.dtype)
        self.reward = np.zeros(capacity, np.float32)
        self.terminated = np.zeros(capacity, bool)
        self.truncated = np.zeros(capacity, bool)
        self.episode = np.full(capacity, -1, np.int64)   # episode id of each slot
        self.step = np.zeros(capacity, np.int64)         # step index inside its episode
        self.head = 0            # next slot to write
        self.size = 0            # filled slots
        self.episodes = 0        # episodes started so far
        self.open = False        # an episode is in progress (its last obs is at head - 1)
        self.transitions = 0     # steps stored (counts overwritten ones too)
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return self.size

    def _write_obs(self, obs, episode: int, step: int) -> None:
        self.obs[self.head] = obs
        self.episode[self.head] = episode
        self.step[self.head] = step
        self.head = (self.head + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def add(self, t: Transition) -> None:
        if not self.open:
            self._write_obs(t.obs, self.episodes, 0)
            self.episodes += 1
            self.open = True
        last = (self.head - 1) % self.capacity
        self.action[last] = t.action
        self.reward[last] = t.reward
        self.terminated[last] = t.terminated
        self.truncated[last] = t.truncated
        self._write_obs(t.next_obs, self.episode[last], self.step[last] + 1)
        self.transitions += 1
        self.open = not t.episode_end

    def linked(self, slots: np.ndarray, offset) -> np.ndarray:
        """True where slot ``slots + offset`` (mod capacity; ``offset`` may be negative or an
        array broadcasting against ``slots``) holds the same episode ``offset`` steps later:
        the one test of every chunk, window and frame stack that must stay in its episode."""
        other = (slots + offset) % self.capacity
        return (self.episode[other] == self.episode[slots]) & \
            (self.step[other] == self.step[slots] + offset)

    def chunk_starts(self, length: int) -> np.ndarray:
        """Every slot that starts a stored chunk of ``length`` steps inside one episode."""
        i = np.arange(self.size)
        return i[self.linked(i, length)]

    def _starts(self, batch: int, length: int) -> np.ndarray:
        """Uniform valid chunk starts by rejection; ValueError when none exist."""
        chosen = np.empty(0, np.int64)
        for _ in range(100):
            candidates = self.rng.integers(0, self.size, size=2 * batch)
            chosen = np.concatenate([chosen, candidates[self.linked(candidates, length)]])
            if len(chosen) >= batch:
                return chosen[:batch]
        raise ValueError(f"not enough data for chunks of {length} steps "
                         f"({self.transitions} steps stored)")

    def sample(self, batch: int) -> dict[str, np.ndarray]:
        return self._transitions(self.sample_slots(batch))

    def sample_slots(self, batch: int) -> np.ndarray:
        """Slots of uniform stored transitions (obs at the slot, next obs at the slot + 1)."""
        return self._starts(batch, 1)

    def all_transitions(self) -> dict[str, np.ndarray]:
        """Every stored transition, in slot order (for models fit on all the data)."""
        return self._transitions(self.chunk_starts(1))

    def _transitions(self, i: np.ndarray) -> dict[str, np.ndarray]:
        j = (i + 1) % self.capacity
        return {"obs": self.obs[i], "action": self.action[i], "reward": self.reward[i],
                "next_obs": self.obs[j], "terminated": self.terminated[i],
                "truncated": self.truncated[i]}

    def _episode_uniform_starts(self, batch: int, length: int) -> np.ndarray:
        """An episode uniform among those whose first slot is still stored and that hold a
        chunk (an episode the ring has begun to overwrite is left out), then a uniform start."""
        firsts = np.flatnonzero(self.step[: self.size] == 0)
        counts = np.bincount(self.episode[: self.size][self.episode[: self.size] >= 0],
                             minlength=self.episodes)[self.episode[firsts]]
        firsts, counts = firsts[counts > length], counts[counts > length]
        if not len(firsts):
            raise ValueError(f"not enough data for chunks of {length} steps "
                             f"({self.transitions} steps stored)")
        chosen = self.rng.integers(0, len(firsts), size=batch)
        offset = (self.rng.random(batch) * (counts[chosen] - length)).astype(np.int64)
        return (firsts[chosen] + offset) % self.capacity

    def sample_sequences(self, batch: int, length: int,
                         uniform_episodes: bool = False) -> dict[str, np.ndarray]:
        """``obs`` is ``(batch, length + 1, ...)``; the other keys are ``(batch, length, ...)``."""
        start = (self._episode_uniform_starts(batch, length) if uniform_episodes
                 else self._starts(batch, length))
        return self.chunks(start, length)

    def chunks(self, start: np.ndarray, length: int) -> dict[str, np.ndarray]:
        """The ``length`` steps from each slot of ``start``, as :meth:`sample_sequences`
        returns them (valid when the starts come from :meth:`chunk_starts`)."""
        idx = (start[:, None] + np.arange(length + 1)) % self.capacity
        steps = idx[:, :-1]
        return {"obs": self.obs[idx], "action": self.action[steps], "reward": self.reward[steps],
                "terminated": self.terminated[steps], "truncated": self.truncated[steps]}

    def sample_windows(self, batch: int, length: int) -> dict[str, np.ndarray]:
        """Uniform stored transitions, each with the ``length - 1`` slots after it: keys as
        :meth:`sample_sequences` plus ``valid`` ``(batch, length)``, True where step ``j`` is
        stored in the first step's episode (False after its end or past the write head)."""
        start = self.sample_slots(batch)
        window = self.chunks(start, length)
        window["valid"] = self.linked(start[:, None], np.arange(1, length + 1))
        return window

    _ARRAYS = ("obs", "action", "reward", "terminated", "truncated", "episode", "step")
    _SCALARS = ("head", "size", "episodes", "open", "transitions")

    def state_dict(self) -> dict:
        state = {name: getattr(self, name)[: self.size] for name in self._ARRAYS}
        state.update({name: getattr(self, name) for name in self._SCALARS})
        state["rng"] = self.rng.bit_generator.state
        return state

    def load_state_dict(self, state: dict) -> None:
        for name in self._ARRAYS:
            getattr(self, name)[: state["size"]] = state[name]
        for name in self._SCALARS:
            setattr(self, name, state[name])
        self.rng.bit_generator.state = state["rng"]
