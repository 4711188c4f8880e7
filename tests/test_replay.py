"""Replay: each observation stored once, chunks and transitions never cross episodes."""

import numpy as np
import pytest
from gymnasium import spaces

from wmagents.api import Transition
from wmagents.replay import ReplayBuffer

IMAGE = spaces.Box(0, 255, (4, 4, 3), np.uint8)
ACTION = spaces.Box(-1, 1, (2,), np.float32)


def frame(episode: int, t: int) -> np.ndarray:
    """An image that encodes (episode, step) so samples can be checked for consistency."""
    return np.full((4, 4, 3), [episode, t, 7], np.uint8)


def fill(buffer: ReplayBuffer, lengths: list[int], terminate_last: bool = True) -> None:
    for e, length in enumerate(lengths):
        for t in range(length):
            end = t == length - 1
            buffer.add(Transition(frame(e, t), np.array([e, t], np.float32), float(100 * e + t),
                                  frame(e, t + 1), end and terminate_last,
                                  end and not terminate_last))


def test_images_are_stored_once_as_uint8():
    buffer = ReplayBuffer(IMAGE, ACTION, capacity=100, seed=0)
    fill(buffer, [10, 5])
    assert buffer.obs.dtype == np.uint8 and buffer.obs.shape == (100, 4, 4, 3)
    assert len(buffer) == (10 + 1) + (5 + 1)   # T + 1 observation slots per episode
    assert buffer.transitions == 15


@pytest.mark.parametrize("terminate", [True, False])
def test_transitions_match_and_keep_flags(terminate):
    buffer = ReplayBuffer(IMAGE, ACTION, capacity=1000, seed=1)
    fill(buffer, [7, 3, 12], terminate_last=terminate)
    batch = buffer.sample(500)
    e, t = batch["obs"][:, 0, 0, 0].astype(int), batch["obs"][:, 0, 0, 1].astype(int)
    np.testing.assert_array_equal(batch["action"], np.stack([e, t], 1))
    np.testing.assert_array_equal(batch["reward"], 100 * e + t)
    np.testing.assert_array_equal(batch["next_obs"][:, 0, 0, 1], t + 1)   # same episode, next step
    np.testing.assert_array_equal(batch["next_obs"][:, 0, 0, 0], e)
    last = t == np.array([7, 3, 12])[e] - 1
    np.testing.assert_array_equal(batch["terminated"], last & terminate)
    np.testing.assert_array_equal(batch["truncated"], last & (not terminate))
    assert last.any() and (~last).any()


def test_sequences_stay_inside_episodes_across_ring_wrap():
    buffer = ReplayBuffer(IMAGE, ACTION, capacity=40, seed=2)
    fill(buffer, [9, 15, 6, 11, 8])   # 54 slots: the ring has wrapped over the first episodes
    length = 7
    chunk = buffer.sample_sequences(300, length)
    assert chunk["obs"].shape == (300, length + 1, 4, 4, 3)
    assert chunk["action"].shape == (300, length, 2)
    e, t = chunk["obs"][:, :, 0, 0, 0].astype(int), chunk["obs"][:, :, 0, 0, 1].astype(int)
    assert (e == e[:, :1]).all(), "a chunk crossed an episode boundary"
    np.testing.assert_array_equal(np.diff(t, axis=1), 1)
    assert set(e[:, 0]) == {1, 3, 4}, "episode 2 (6 steps) is too short, 0 was overwritten"
    assert t[e[:, 0] == 1, 0].min() >= 4, "slots of episode 1 overwritten by the ring were read"
    np.testing.assert_array_equal(chunk["reward"], 100 * e[:, :-1] + t[:, :-1])
    assert chunk["terminated"][:, :-1].sum() == 0


def test_too_long_chunks_raise():
    buffer = ReplayBuffer(IMAGE, ACTION, capacity=40, seed=0)
    fill(buffer, [4, 4])
    with pytest.raises(ValueError, match="not enough data"):
        buffer.sample_sequences(2, 5)


def test_state_dict_round_trip_continues_identically():
    a = ReplayBuffer(IMAGE, ACTION, capacity=30, seed=3)
    fill(a, [12, 14])
    b = ReplayBuffer(IMAGE, ACTION, capacity=30, seed=99)
    b.load_state_dict(a.state_dict())
    for x, y in zip(a.sample(16).values(), b.sample(16).values()):
        np.testing.assert_array_equal(x, y)


def test_episode_uniform_chunks_pick_episodes_not_steps():
    """One long and three short episodes: length-weighted starts mostly land in the long one,
    episode-uniform starts in each episode a quarter of the time; chunks stay inside one."""
    buffer = ReplayBuffer(IMAGE, ACTION, capacity=1000, seed=2)
    fill(buffer, [200, 6, 6, 6])
    for uniform, expected in ((False, 195 / 198), (True, 0.25)):
        chunk = buffer.sample_sequences(4000, 5, uniform_episodes=uniform)
        episodes = chunk["obs"][:, :, 0, 0, 0]
        assert (episodes == episodes[:, :1]).all()
        assert np.diff(chunk["obs"][:, :, 0, 0, 1].astype(int), axis=1).min() == 1
        assert abs((episodes[:, 0] == 0).mean() - expected) < 0.03
    with pytest.raises(ValueError, match="chunks of 7 steps"):
        ReplayBuffer(IMAGE, ACTION, 100, 0).sample_sequences(2, 7, uniform_episodes=True)


def test_episode_uniform_chunks_survive_the_ring_wrapping():
    buffer = ReplayBuffer(IMAGE, ACTION, capacity=50, seed=3)
    fill(buffer, [9] * 12)                    # 120 slots through a 50-slot ring
    chunk = buffer.sample_sequences(500, 8, uniform_episodes=True)
    episodes = chunk["obs"][:, :, 0, 0, 0]
    assert (episodes == episodes[:, :1]).all() and episodes.min() >= 7
    assert np.diff(chunk["obs"][:, :, 0, 0, 1].astype(int), axis=1).min() == 1
