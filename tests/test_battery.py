"""The battery every registered ID must pass (DESIGN.md "Tests and CI").

Parametrised over :data:`wmenvs.ENV_TABLE`, so a family gets it by adding rows to the table.
"""

from __future__ import annotations

import importlib
import pickle
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces
from gymnasium.utils.env_checker import check_env

import wmenvs

ENV_IDS = [entry.id for entry in wmenvs.ENV_TABLE]
# Steps of the seeded two-env comparison: 1,000 for state IDs; 200 for pixel IDs, whose physics
# the state twin of the same entry point already covers for 1,000 steps and whose frames (the
# cost: 2-9 ms each in DMC's look) need no more to show a renderer that drifts.
DETERMINISM_STEPS = {"state": 1000, "pixels": 200}


def determinism_steps(env_id: str) -> int:
    return DETERMINISM_STEPS["pixels" if "pixels" in wmenvs.get_entry(env_id).tags else "state"]


def assert_same(a, b, path="value"):
    """Bit-identical comparison of nested obs / info structures."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), f"{path}: keys {a.keys()} != {b.keys()}"
        for key in a:
            assert_same(a[key], b[key], f"{path}[{key!r}]")
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b), f"{path}: lengths differ"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{path}[{i}]")
    else:
        x, y = np.asarray(a), np.asarray(b)
        assert x.dtype == y.dtype and x.shape == y.shape, f"{path}: {x.dtype}{x.shape} != {y.dtype}{y.shape}"
        assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), f"{path} differs"


def arrays_of(tree):
    """Every numpy array inside a nested obs / info structure."""
    if isinstance(tree, dict):
        return [a for value in tree.values() for a in arrays_of(value)]
    if isinstance(tree, (tuple, list)):
        return [a for value in tree for a in arrays_of(value)]
    return [tree] if isinstance(tree, np.ndarray) else []


def step_tuple(env, action):
    obs, reward, terminated, truncated, info = env.step(action)
    return obs, float(reward), bool(terminated), bool(truncated), info


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_check_env(env_id):
    env = gym.make(env_id)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # gymnasium's checker warns on every problem
        # except unbounded state Boxes: the convention of Gymnasium's own MuJoCo envs and of
        # dm_control's observation specs (a heuristic warning, not an API violation)
        warnings.filterwarnings("ignore", r".*A Box observation space (minimum|maximum) value is -?infinity")
        # and the advice to normalise Box actions: the papers' tasks fix their own torque bounds
        # (Pusher +-2, Thrower +-10/15); clipping to them is checked by the tests below
        warnings.filterwarnings("ignore", r".*we recommend using a symmetric and normalized space")
        check_env(env.unwrapped, skip_render_check=False)
    env.close()


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_same_seed_same_episodes(env_id):
    """Two envs, same seed, same actions: identical obs/reward/flags/info for 1,000 steps
    (pixel IDs: 200), with a seeded reset half-way and every episode end."""
    env_a, env_b = gym.make(env_id), gym.make(env_id)
    env_a.action_space.seed(7)
    assert_same(env_a.reset(seed=3), env_b.reset(seed=3), "first reset")
    resets, steps = 0, determinism_steps(env_id)
    for t in range(steps):
        action = env_a.action_space.sample()
        out_a, out_b = step_tuple(env_a, action), step_tuple(env_b, action)
        assert_same(out_a, out_b, f"step {t}")
        if out_a[2] or out_a[3] or t == steps // 2:
            seed = 11 if t == steps // 2 else None
            assert_same(env_a.reset(seed=seed), env_b.reset(seed=seed), f"reset after step {t}")
            resets += 1
    assert resets >= 1
    # and a different seed gives a different first observation, unless the ID's protocol fixes
    # the start state (tag "fixed-start": e.g. the parsimonious grids' policy-learning tasks)
    if "fixed-start" not in wmenvs.get_entry(env_id).tags:
        assert not all(np.array_equal(x, y) for x, y in zip(arrays_of(env_a.reset(seed=3)[0]),
                                                            arrays_of(env_a.reset(seed=4)[0])))
    env_a.close()
    env_b.close()


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_pickle_round_trip(env_id):
    """A pickled env continues exactly like the original, RNG included."""
    env = gym.make(env_id)
    env.action_space.seed(0)
    env.reset(seed=5)
    for _ in range(10):
        env.step(env.action_space.sample())
    clone = pickle.loads(pickle.dumps(env))
    for t in range(30):
        action = env.action_space.sample()
        out_env, out_clone = step_tuple(env, action), step_tuple(clone, action)
        assert_same(out_env, out_clone, f"step {t} after unpickling")
        if out_env[2] or out_env[3]:
            assert_same(env.reset(), clone.reset(), "reset after unpickling")
    env.close()
    clone.close()


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_render_modes(env_id):
    env = gym.make(env_id)
    modes = env.metadata.get("render_modes", [])
    env.close()
    assert "rgb_array" in modes
    for mode in modes:
        env = gym.make(env_id, render_mode=mode)
        env.reset(seed=0)
        env.step(env.action_space.sample())
        frame = env.render()
        if mode == "rgb_array":
            assert isinstance(frame, np.ndarray) and frame.dtype == np.uint8
            assert frame.ndim == 3 and frame.shape[2] == 3 and frame.std() > 0
        elif mode == "human":
            assert frame is None
        env.close()


@pytest.mark.parametrize("mode", ["sync", pytest.param("async", marks=pytest.mark.slow)])
@pytest.mark.parametrize("env_id", ENV_IDS)
def test_make_vec(env_id, mode):
    # spawn: this test process has rendered before, and Mesa deadlocks in forks of such a
    # process (wmenvs.rendering refuses that case with a RuntimeError, tested below)
    kwargs = {"vector_kwargs": {"context": "spawn"}} if mode == "async" else {}
    envs = gym.make_vec(env_id, num_envs=2, vectorization_mode=mode, **kwargs)
    obs, _ = envs.reset(seed=[1, 2])
    assert envs.single_observation_space.contains(batch_item(obs, 0))
    for _ in range(5):
        obs, reward, terminated, truncated, _ = envs.step(envs.action_space.sample())
        assert envs.observation_space.contains(obs)
        assert reward.shape == terminated.shape == truncated.shape == (2,)
    envs.close()


# the BBS variant grid shares ShapeHerd's code with other kwargs: full runs only (slow)
DEMO_IDS = [pytest.param(entry.id, marks=[pytest.mark.slow] if "bbs-variant" in entry.tags else [])
            for entry in wmenvs.ENV_TABLE if entry.demo_policy]


@pytest.mark.parametrize("env_id", DEMO_IDS)
def test_make_vec_runs_full_episodes_with_the_demo_policy(env_id):
    """Three sub-envs, each driven by the ID's scripted expert, through a full episode each:
    the infos must stack at every step, also once the sub-envs' episodes have diverged (e.g.
    ShapeHerd's sub-envs scoring different numbers of objects)."""
    module, name = wmenvs.get_entry(env_id).demo_policy.split(":")
    envs = gym.make_vec(env_id, num_envs=3, vectorization_mode="sync")
    experts = [getattr(importlib.import_module(module), name)(envs.single_action_space)
               for _ in range(3)]
    obs, info = envs.reset(seed=[0, 1, 2])
    finished, diverged = np.zeros(3, bool), False
    for _ in range(envs.spec.max_episode_steps + 2):
        actions = np.stack([expert.act(batch_item(obs, i), info_item(info, i))
                            for i, expert in enumerate(experts)])
        obs, _, terminated, truncated, info = envs.step(actions)
        assert envs.observation_space.contains(obs)
        diverged |= any(len({str(np.asarray(v)[i]) for i in range(3)}) > 1
                        for k, v in info.items() if k.endswith("scored"))
        for i in np.flatnonzero(terminated | truncated):
            experts[i].reset()
        finished |= terminated | truncated
        if finished.all() and diverged:
            break
    assert finished.all() and diverged
    envs.close()


def info_item(info: dict, i: int) -> dict:
    """The i-th sub-env's info out of a vector env's stacked info."""
    return {k: v[i] for k, v in info.items() if not k.startswith("_")}


def batch_item(obs, i):
    """The i-th env's observation out of a batched (possibly Dict) observation."""
    if isinstance(obs, dict):
        return {key: value[i] for key, value in obs.items()}
    return obs[i]


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_observations_do_not_alias(env_id):
    """Returned arrays are fresh: stepping never changes an observation already handed out."""
    env = gym.make(env_id)
    env.action_space.seed(0)
    obs, info = env.reset(seed=0)
    kept = [(a, a.copy()) for a in arrays_of(obs) + arrays_of(info)]
    for _ in range(5):
        new_obs, _, terminated, truncated, new_info = env.step(env.action_space.sample())
        for old, copy in kept:
            assert np.array_equal(old, copy, equal_nan=True), "an earlier observation/info changed"
            for new in arrays_of(new_obs) + arrays_of(new_info):
                assert not np.shares_memory(old, new), "a returned array aliases an earlier one"
        kept += [(a, a.copy()) for a in arrays_of(new_obs) + arrays_of(new_info)]
        if terminated or truncated:
            break
    env.close()


def bad_actions(space: spaces.Space):
    """(label, action) pairs that must raise ValueError."""
    if isinstance(space, spaces.Box):
        good = space.sample()
        nan, inf = good.copy(), good.copy()
        nan.flat[0], inf.flat[-1] = np.nan, np.inf
        return [("nan", nan), ("inf", inf), ("-inf", -np.abs(inf)),
                ("extra dim", good[None]), ("too short", good.ravel()[:-1]),
                ("scalar", np.float32(0.0)), ("complex dtype", good.astype(np.complex64)),
                ("string dtype", good.astype(str)), ("bool dtype", good > 0), ("none", None)]
    if isinstance(space, spaces.Discrete):
        return [("float", 0.5), ("nan", float("nan")), ("too large", int(space.start + space.n)),
                ("negative", int(space.start) - 1), ("vector", np.array([0, 1])),
                ("string", "0"), ("none", None)]
    raise AssertionError(f"the battery has no fuzzing for {space}")


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_bad_actions_raise_value_error(env_id):
    env = gym.make(env_id)
    env.reset(seed=0)
    for label, action in bad_actions(env.action_space):
        with pytest.raises(ValueError, match="action"):
            env.step(action)
    env.close()


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_out_of_range_actions_are_clipped(env_id):
    env_a, env_b = gym.make(env_id), gym.make(env_id)
    if not isinstance(env_a.action_space, spaces.Box):
        pytest.skip("clipping applies to continuous actions; discrete ones are fuzzed above")
    low, high = env_a.action_space.low, env_a.action_space.high
    env_a.reset(seed=0)
    env_b.reset(seed=0)
    for big, bound in [(high * 10 + 1, high), (low * 10 - 1, low)]:
        assert_same(step_tuple(env_a, big), step_tuple(env_b, bound.copy()), "clipped step")
    env_a.close()
    env_b.close()


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_no_step_after_the_episode_ended(env_id):
    """``gymnasium.error.ResetNeeded`` (wmenvs.wrappers.guard), except on the grid IDs, whose
    batched vector envs Gymnasium allows no wrapper on: they never terminate and follow
    ``TimeLimit`` (``truncated`` stays True)."""
    env = gym.make(env_id, max_episode_steps=2)
    env.reset(seed=0)
    env.action_space.seed(0)
    for _ in range(2):
        truncated = env.step(env.action_space.sample())[3]
    assert truncated
    if wmenvs.get_entry(env_id).vector_entry_point:
        assert env.step(env.action_space.sample())[3]
    else:
        with pytest.raises(gym.error.ResetNeeded, match="reset"):
            env.step(env.action_space.sample())
        env.reset(seed=1)
        env.step(env.action_space.sample())            # a reset starts a new episode
    env.close()
