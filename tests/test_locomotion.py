"""MuJoCo locomotion IDs for ALM: the v5 options that define each task, and argument checks."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import wmenvs  # noqa: F401  (registers the IDs)
from wmenvs.locomotion import TruncatedAnt


@pytest.mark.parametrize("env_id,obs_dim,reference_id,options", [
    ("wmenvs/T-Ant-v0", 27, "Ant-v5", {"include_cfrc_ext_in_observation": False}),
    ("wmenvs/T-Humanoid-v0", 45, "Humanoid-v5", {
        "include_cinert_in_observation": False, "include_cvel_in_observation": False,
        "include_qfrc_actuator_in_observation": False, "include_cfrc_ext_in_observation": False}),
    ("wmenvs/HalfCheetah-v0", 17, "HalfCheetah-v5", {}),
    ("wmenvs/Walker2d-v0", 17, "Walker2d-v5", {"xml_file": "walker2d.xml"}),
    ("wmenvs/Hopper-v0", 11, "Hopper-v5", {}),
])
def test_same_episode_as_gymnasium_v5_with_the_listed_options(env_id, obs_dim, reference_id, options):
    env, reference = gym.make(env_id), gym.make(reference_id, **options)
    assert env.observation_space.shape == (obs_dim,) and env.spec.max_episode_steps == 1000
    assert env.action_space == reference.action_space
    obs, _ = env.reset(seed=5)
    np.testing.assert_array_equal(obs, reference.reset(seed=5)[0])
    skipped = 2 if env_id.startswith("wmenvs/T-") else 1  # MBPO drops x, y; the others drop x
    qpos = env.unwrapped.data.qpos
    np.testing.assert_array_equal(obs[:qpos.size - skipped], qpos[skipped:])
    reference.action_space.seed(0)
    for _ in range(50):
        action = reference.action_space.sample()
        out, expected = env.step(action), reference.step(action)
        np.testing.assert_array_equal(out[0], expected[0])
        assert out[1:4] == expected[1:4]
        if out[2]:
            break


def test_humanoid_actions_are_bounded_by_0_4():
    space = gym.make("wmenvs/T-Humanoid-v0").action_space
    assert np.all(space.high == np.float32(0.4)) and np.all(space.low == np.float32(-0.4))


def test_walker_uses_the_older_model_with_unequal_foot_friction():
    model = gym.make("wmenvs/Walker2d-v0").unwrapped.model
    frictions = {model.geom(i).name: model.geom_friction[i, 0] for i in range(model.ngeom)}
    assert frictions["foot_geom"] != frictions["foot_left_geom"]


@pytest.mark.parametrize("kwargs,name", [
    ({"include_cfrc_ext_in_observation": True}, "include_cfrc_ext_in_observation"),
    ({"not_an_option": 1}, "not_an_option"),
    ({"render_mode": "human"}, "render_mode"),  # gym.make would wrap rgb_array in HumanRendering
])
def test_bad_arguments_raise_value_error_naming_them(kwargs, name):
    with pytest.raises(ValueError, match=name):
        TruncatedAnt(**kwargs)


def test_other_v5_options_pass_through():
    env = gym.make("wmenvs/Hopper-v0", ctrl_cost_weight=0.0)
    env.reset(seed=0)
    assert env.step(env.action_space.high)[4]["reward_ctrl"] == 0.0


def test_half_cheetah_applies_its_total_mass_without_the_deprecated_compiler_attribute():
    import subprocess
    import sys

    import mujoco
    from gymnasium.envs.mujoco.half_cheetah_v5 import HalfCheetahEnv

    env = gym.make("wmenvs/HalfCheetah-v0").unwrapped
    reference = mujoco.MjModel.from_xml_path(HalfCheetahEnv().fullpath)   # warns, once here
    for field in ("body_mass", "body_inertia", "body_subtreemass", "dof_M0", "dof_invweight0",
                  "body_invweight0", "actuator_acc0"):
        np.testing.assert_array_equal(getattr(env.model, field), getattr(reference, field), field)
    assert mujoco.mj_getTotalmass(env.model) == pytest.approx(14.0)
    made = subprocess.run([sys.executable, "-c", "import gymnasium as gym, wmenvs; "
                           "gym.make('wmenvs/HalfCheetah-v0').reset(seed=0)"],
                          capture_output=True, text=True, check=True)
    assert "settotalmass" not in made.stdout + made.stderr
