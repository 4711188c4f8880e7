"""DeepMind Control IDs: alignment with dm_control, layout, episode-end semantics, pixels.

The generic battery (tests/test_battery.py) covers the Gymnasium contract of every ID; this
file checks that the wmenvs env *is* the dm_control task.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from dm_control import suite

import wmenvs
from wmenvs.dmc import DMCEnv, flatten_observation
from wmenvs.dmc.fidelity import (mean_difference, physics_render_frames, profile_frames,
                                  reference_states)
from wmenvs.registration import DMC_PLANET_TASKS, DMC_TASKS, DMC_VSG_TASKS, dmc_id


@pytest.mark.parametrize("domain,task", DMC_TASKS, ids=[f"{d}-{t}" for d, t in DMC_TASKS])
def test_full_episode_matches_dm_control(domain, task):
    """Same seed, same actions: bit-identical observations and rewards for 1,000 steps, the
    same episode end, and the next (unseeded) reset continues the same task RandomState."""
    env = gym.make(dmc_id(domain, task))
    reference = suite.load(domain, task, task_kwargs={"random": 42})
    actions = np.random.default_rng(0).uniform(-1, 1, (1000, *env.action_space.shape)).astype(np.float32)
    actions = np.clip(actions, env.action_space.low, env.action_space.high)

    obs, _ = env.reset(seed=42)
    np.testing.assert_array_equal(obs, flatten_observation(reference.reset().observation))
    for t, action in enumerate(actions):
        obs, reward, terminated, truncated, info = env.step(action)
        expected = reference.step(action)
        assert reward == expected.reward, f"step {t}"
        np.testing.assert_array_equal(obs, flatten_observation(expected.observation), f"step {t}")
        assert info["discount"] == expected.discount
        assert (terminated or truncated) == expected.last(), f"step {t}"
    assert truncated and not terminated and info["discount"] == 1.0
    np.testing.assert_array_equal(env.reset()[0], flatten_observation(reference.reset().observation))
    env.close()


def test_observation_layout_follows_the_spec_order():
    env = DMCEnv("walker", "walk")
    assert [(key, s.start, s.stop) for key, s in env.observation_layout] == [
        ("orientations", 0, 14), ("height", 14, 15), ("velocity", 15, 24)]
    obs, _ = env.reset(seed=0)
    raw = env._dm_env.task.get_observation(env.physics)
    assert obs[14] == raw["height"] and np.array_equal(obs[15:], raw["velocity"])
    assert env.observation_space.shape == (24,)


def test_zero_discount_terminates_and_positive_discount_truncates():
    env = DMCEnv("cartpole", "swingup")
    env.reset(seed=0)
    action = np.zeros(1, np.float32)
    *_, terminated, truncated, info = env.step(action)
    assert not terminated and not truncated and info["discount"] == 1.0
    env._dm_env.task.get_termination = lambda physics: 0.0  # the task declares a failure
    *_, terminated, truncated, info = env.step(action)
    assert terminated and not truncated and info["discount"] == 0.0


def test_generic_constructor_runs_any_suite_task():
    env = gym.wrappers.TimeLimit(DMCEnv("acrobot", "swingup", pixels=True), 5)
    obs, _ = env.reset(seed=1)
    assert obs.shape == (64, 64, 3) and obs.dtype == np.uint8 and obs.std() > 0
    for _ in range(5):
        obs, reward, terminated, truncated, _ = env.step(env.action_space.sample())
    assert truncated and 0.0 <= reward <= 1.0


def test_pixels_use_quadruped_camera_2_and_size_kwargs():
    assert DMCEnv("quadruped", "walk").camera == 2 and DMCEnv("walker", "walk").camera == 0
    env = DMCEnv("cheetah", "run", pixels=True, width=48, height=32)
    assert env.reset(seed=0)[0].shape == (32, 48, 3)


# three tasks in the fast loop (a floor grid, a walker, a heightfield); all 13 in full runs
LOOK_FAST = {("cartpole", "swingup"), ("walker", "walk"), ("quadruped", "run")}


@pytest.mark.parametrize("domain,task", [
    pytest.param(d, t, id=f"{d}-{t}", marks=[] if (d, t) in LOOK_FAST else [pytest.mark.slow])
    for d, t in DMC_TASKS])
def test_default_pixels_look_like_dm_control(domain, task):
    """``exact`` is bit-identical to ``physics.render(64, 64, camera)``; the default
    ``standard`` profile is within 1.5 / 255 of it on average over 50 states; ``minimal`` is
    not DMC's look."""
    env, states = reference_states(domain, task, 50)
    references = physics_render_frames(env, states)
    for frame, reference in zip(profile_frames(env, states[:5], "exact"), references):
        np.testing.assert_array_equal(frame, reference)
    difference = mean_difference(profile_frames(env, states, "standard"), references)
    assert difference <= 1.5, f"{domain}-{task}: {difference:.2f} / 255"
    assert mean_difference(profile_frames(env, states[:5], "minimal"), references) > 5


def test_quadruped_floor_window_follows_the_body_far_from_the_origin():
    """quadruped-run's 100 m floor is drawn as a 50 m window around the camera: with the body
    moved up to 99 m out the frames still match ``physics.render``, and the physics model keeps
    the full floor."""
    env, states = reference_states("quadruped", "run", 6)
    far = []
    for state, (dx, dy) in zip(states, [(30, 0), (70, -41), (-93, 12), (30, 96), (99, 99),
                                        (-60, -60)]):
        moved = state.copy()
        moved[:2] += (dx, dy)           # qpos[0:2]: the free root's x, y
        far.append(moved)
    references = physics_render_frames(env, far)
    difference = mean_difference(profile_frames(env, far, "standard"), references)
    assert difference <= 1.5, f"{difference:.2f} / 255"
    pixels = DMCEnv("quadruped", "run", pixels=True)
    pixels.reset(seed=0)
    np.testing.assert_array_equal(pixels.physics.model.geom_size, env.physics.model.geom_size)
    pixels.close()


def test_closing_one_pixel_env_leaves_the_others_intact():
    """MuJoCo frees GL objects in the current context; each renderer closes in its own."""
    make = lambda seed: DMCEnv("walker", "walk", pixels=True)  # noqa: E731
    envs = {name: make(0) for name in "rab"}
    for name, env in envs.items():
        env.reset(seed=0 if name == "a" else 1)
    zero = np.zeros(6, np.float32)
    expected = envs["r"].step(zero)[0]
    envs["a"].close()
    np.testing.assert_array_equal(envs["b"].step(zero)[0], expected)
    del envs["a"]
    import gc
    gc.collect()                    # a collected renderer must not take others down either
    second = envs["r"].step(zero)[0]
    np.testing.assert_array_equal(envs["b"].step(zero)[0], second)


@pytest.mark.parametrize("kwargs,name", [
    (dict(domain="cheetah", task="fly"), "task"),
    (dict(domain="cheetah", task="run", camera=7), "camera"),
    (dict(domain="cheetah", task="run", width=0), "width"),
    (dict(domain="cheetah", task="run", render_size=(240,)), "render_size"),
    (dict(domain="cheetah", task="run", visual_profile="pretty"), "visual_profile"),
    (dict(domain="cheetah", task="run", task_kwargs={"random": 3}), "random"),
    (dict(domain="cheetah", task="run", render_mode="human"), "render_mode"),
])
def test_bad_arguments_raise_value_error_naming_them(kwargs, name):
    with pytest.raises(ValueError, match=name):
        DMCEnv(**kwargs)


def test_step_after_the_episode_end_needs_a_reset():
    env = DMCEnv("pendulum", "swingup", task_kwargs={"time_limit": 0.04})  # 2 steps of 0.02 s
    env.reset(seed=0)
    action = np.zeros(1, np.float32)
    assert env.step(action)[3] is False and env.step(action)[3] is True
    with pytest.raises(RuntimeError, match="reset"):
        env.step(action)
    env.reset()
    env.step(action)


def test_seeds_beyond_32_bits_are_accepted_and_deterministic():
    first = DMCEnv("cartpole", "swingup").reset(seed=2**40)[0]
    np.testing.assert_array_equal(first, DMCEnv("cartpole", "swingup").reset(seed=2**40)[0])


def test_reset_options_are_refused():
    with pytest.raises(ValueError, match="options"):
        DMCEnv("cheetah", "run").reset(options={"x": 1})


def test_every_paper_task_is_registered_in_both_modalities_and_as_its_protocols():
    plain = [e for e in wmenvs.list_envs("dmc") if "protocol" not in e.tags]
    assert len(DMC_TASKS) == 13 and len({e.id for e in plain}) == 26
    assert not any(paper in e.tags for e in plain for paper in ("planet", "vsg", "dreamer"))
    planet = wmenvs.list_envs("planet")
    assert [e.id for e in planet] == [f"wmenvs/PlaNet-{d}-{t}-v0" for d, t in DMC_PLANET_TASKS]
    assert [e.kwargs["action_repeat"] for e in planet] == [8, 4, 4, 2, 4, 2]
    dreamer = wmenvs.list_envs("dreamer")
    assert [e.id for e in dreamer] == [f"wmenvs/Dreamer-{d}-{t}-v0" for d, t in DMC_VSG_TASKS]
    assert {e.kwargs["action_repeat"] for e in dreamer} == {2}
    assert all(e in wmenvs.list_envs("vsg") for e in dreamer)
    for entry in planet + dreamer:
        assert entry.kwargs["pixels"] and "pixels" in entry.tags
        assert entry.max_episode_steps * entry.kwargs["action_repeat"] == 1000


def test_planet_cartpole_episode_is_125_steps_of_1000_simulator_steps():
    env = gym.make("wmenvs/PlaNet-cartpole-swingup-v0")
    assert env.observation_space.shape == (64, 64, 3) and env.observation_space.dtype == np.uint8
    obs, _ = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    steps = env_steps = 0
    total, truncated = 0.0, False
    while not truncated:
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        assert not terminated
        steps, env_steps, total = steps + 1, env_steps + info["env_steps"], total + reward
    assert (steps, env_steps) == (125, 1000) and 0.0 <= total <= 1000.0


def test_action_repeat_sums_rewards_and_shows_the_last_state():
    """One step with repeat 3 == three plain steps: summed reward, the last frame and flags."""
    plain, repeated = DMCEnv("cartpole", "swingup", pixels=True), DMCEnv(
        "cartpole", "swingup", pixels=True, action_repeat=3)
    plain.reset(seed=4)
    repeated.reset(seed=4)
    action = np.array([0.7], np.float32)
    rewards = [plain.step(action)[1] for _ in range(2)]
    obs, reward, terminated, truncated, info = plain.step(action)
    out = repeated.step(action)
    np.testing.assert_array_equal(out[0], obs)
    assert out[1] == sum(rewards) + reward and out[2:4] == (terminated, truncated)
    assert out[4] == {"discount": 1.0, "env_steps": 3} and info["env_steps"] == 1


def test_action_repeat_stops_at_the_episode_end():
    env = DMCEnv("pendulum", "swingup", action_repeat=4, task_kwargs={"time_limit": 0.1})
    env.reset(seed=0)   # 5 simulator steps of 0.02 s: one full repeat, then one cut short
    action = np.zeros(1, np.float32)
    first, second = env.step(action), env.step(action)
    assert (first[4]["env_steps"], first[3]) == (4, False)
    assert (second[4]["env_steps"], second[3]) == (1, True)


@pytest.mark.parametrize("repeat", [0, -1, 1.5, True, "2"])
def test_bad_action_repeats_are_refused(repeat):
    with pytest.raises(ValueError, match="action_repeat"):
        DMCEnv("cartpole", "swingup", action_repeat=repeat)


def test_dm_controls_cheetah_loads_without_the_settotalmass_notice(caplog):
    import logging

    with caplog.at_level(logging.WARNING, logger="absl"):
        gym.make("wmenvs/DMC-cheetah-run-v0").close()
    assert not [r for r in caplog.records if "settotalmass" in r.getMessage()]
    logging.getLogger("absl").warning("settotalmass still reaches the log elsewhere")
    assert any("settotalmass" in r.getMessage() for r in caplog.records)   # filter removed
