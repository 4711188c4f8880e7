"""DynE arm tasks (Reacher family, 7-DoF family): layouts, rewards, resets, events, pixels, frame stack.

The battery (tests/test_battery.py) covers the API contract of every ID; this file checks
the facts of ../shared/specs/mujoco_arms.md.
"""

from __future__ import annotations

import pickle

import gymnasium as gym
import mujoco
import numpy as np
import pytest

import wmenvs  # noqa: F401  (registers the IDs)
from wmenvs.wrappers import ChannelFirst

TASKS = ("ReacherVertical", "ReacherTurn", "ReacherPush", "Pusher", "Striker", "Thrower")
OBS_SIZES = dict(zip(TASKS, (11, 11, 14, 23, 23, 23)))
ACTION_BOUNDS = {
    "ReacherVertical": ([-1] * 2, [1] * 2), "ReacherTurn": ([-1] * 2, [1] * 2),
    "ReacherPush": ([-1] * 2, [1] * 2), "Pusher": ([-2] * 7, [2] * 7),
    "Striker": ([-3] * 7, [3] * 7), "Thrower": ([-10] * 4 + [-15] * 3, [10] * 4 + [15] * 3),
}
# the spec's scale of a uniform random policy's return (100 steps)
RANDOM_RETURN_SCALE = dict(zip(TASKS, (-92, -218, -278, -149, -465, -203)))
REWARD_TERMS = {"ReacherVertical": {"reward_dist", "reward_ctrl"},
                "ReacherTurn": {"reward_dist", "reward_ctrl"},
                "ReacherPush": {"reward_dist", "reward_near", "reward_ctrl"},
                "Pusher": {"reward_dist", "reward_near", "reward_ctrl"},
                "Striker": {"reward_dist", "reward_near", "reward_ctrl"},
                "Thrower": {"reward_dist", "reward_ctrl"}}


def make(task, pixels=False, **kwargs):
    return gym.make(f"wmenvs/{task}{'Pixels' if pixels else ''}-v0", **kwargs)


@pytest.mark.parametrize("task", TASKS)
def test_spaces_and_episode_length(task):
    env = make(task)
    assert env.observation_space.shape == (OBS_SIZES[task],)
    assert env.observation_space.dtype == np.float64
    low, high = ACTION_BOUNDS[task]
    np.testing.assert_array_equal(env.action_space.low, np.array(low, np.float32))
    np.testing.assert_array_equal(env.action_space.high, np.array(high, np.float32))
    env.reset(seed=0)
    for t in range(100):
        _, _, terminated, truncated, _ = env.step(env.action_space.sample())
        assert not terminated
        assert truncated == (t == 99)
    pixel_env = make(task, pixels=True)
    assert pixel_env.observation_space.shape == (64, 64, 3)
    assert pixel_env.observation_space.dtype == np.uint8


@pytest.mark.parametrize("task", TASKS)
def test_reward_is_the_sum_of_info_terms(task):
    env = make(task)
    env.action_space.seed(1)
    env.reset(seed=1)
    for _ in range(100):
        _, reward, _, _, info = env.step(env.action_space.sample())
        terms = {key for key in info if key.startswith("reward_")}
        assert terms == REWARD_TERMS[task]
        assert reward == pytest.approx(sum(info[key] for key in terms), rel=1e-12, abs=1e-12)
        assert info["reward_ctrl"] <= 0


def random_policy_returns(task, seeds=range(20)):
    """One 100-step episode per seed, the action space seeded with the episode's seed."""
    env = make(task)
    returns = []
    for seed in seeds:
        env.reset(seed=seed)
        env.action_space.seed(seed)
        returns.append(sum(env.step(env.action_space.sample())[1] for _ in range(100)))
    return np.array(returns)


@pytest.mark.parametrize("task", TASKS)
def test_random_policy_return_matches_the_original_scale(task):
    """Fidelity: mean return of 20 uniform random episodes within +-30% of the spec's scale."""
    mean = random_policy_returns(task).mean()
    scale = RANDOM_RETURN_SCALE[task]
    assert 1.3 * scale < mean < 0.7 * scale, f"{task}: random-policy mean return {mean:.1f} vs {scale}"


@pytest.mark.parametrize("task", TASKS)
def test_resets_are_contact_free_and_seeded(task):
    env = make(task).unwrapped
    for seed in range(10):
        env.reset(seed=seed)
        mujoco.mj_forward(env.model, env.data)
        assert env.data.ncon == 0, f"seed {seed}: {env.data.ncon} contacts at reset"
    first = env.reset(seed=3)[0]
    np.testing.assert_array_equal(first, env.reset(seed=3)[0])
    assert not np.array_equal(first, env.reset(seed=4)[0])


def test_reacher_vertical_reset_distribution():
    env = make("ReacherVertical").unwrapped
    targets = np.array([env.reset(seed=s)[0][4:6] for s in range(200)])
    assert np.all(np.abs(targets[:, 0]) <= 0.2) and np.all(np.abs(targets[:, 1] - 0.25) <= 0.2)
    assert targets[:, 0].std() > 0.08  # spread over the whole interval, not a constant


def test_reacher_turn_target_lies_on_the_ring_around_the_spinner():
    env = make("ReacherTurn").unwrapped
    for seed in range(20):
        obs, _ = env.reset(seed=seed)
        assert np.hypot(obs[4] - 0.35, obs[5] - 0.25) == pytest.approx(0.15)
        assert np.hypot(obs[9] - 0.35, obs[10] - 0.25) == pytest.approx(0.14)  # the tip site


def test_reacher_push_box_starts_at_rest_on_the_floor_strip():
    env = make("ReacherPush").unwrapped
    for seed in range(20):
        obs, _ = env.reset(seed=seed)
        box_x, box_z, target_z = obs[4], obs[5], obs[8]
        assert abs(box_x) <= 0.2 and 0.03 <= box_z <= 0.05 and target_z == 0.03
        np.testing.assert_array_equal(obs[11:14], 0.0)  # box velocities


def test_reacher_push_box_turns_about_plus_y_as_the_original():
    """The released ReacherPush hinges the box about +y: a positive angle (observation 6, its
    velocity observation 13) turns the box's x axis towards -z."""
    env = make("ReacherPush").unwrapped
    env.reset(seed=0)
    np.testing.assert_array_equal(env.model.joint("box_angle").axis, [0, 1, 0])
    env.data.qpos[4], env.data.qvel[4] = 0.3, 2.0
    mujoco.mj_forward(env.model, env.data)
    x_axis = env.data.body("box").xmat.reshape(3, 3)[:, 0]
    np.testing.assert_allclose(x_axis, [np.cos(0.3), 0.0, -np.sin(0.3)], atol=1e-12)
    obs = env._state_vector()
    assert obs[6] == pytest.approx(0.3) and obs[13] == pytest.approx(2.0)


def rotation(axis, angle):
    """Rotation matrix about a unit ``axis`` (Rodrigues)."""
    k = np.asarray(axis, float)
    cross = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(angle) * cross + (1 - np.cos(angle)) * cross @ cross


def test_thrower_follows_gyms_geometry():
    """At the zero pose: Gym's joint axes (world frame) and wrist position, from its frames:
    forearm tilted 0.392 about x, wrist flex frame at (0, 0, 0.321) turned 1.57 about z, wrist
    roll frame turned -1.178 about y; the scoop's seven three-segment petals."""
    env = make("Thrower").unwrapped
    env.reset(seed=0)
    env.data.qpos[:] = 0
    mujoco.mj_forward(env.model, env.data)
    forearm = rotation([1, 0, 0], 0.392)
    wrist_flex = forearm @ rotation([0, 0, 1], 1.57)
    wrist_roll = wrist_flex @ rotation([0, 1, 0], -1.178)
    expected_axes = {"shoulder_pan": [0, 0, 1], "shoulder_lift": [0, 1, 0],
                     "upper_arm_roll": [1, 0, 0], "elbow_flex": [0, 1, 0],
                     "forearm_roll": [1, 0, 0], "wrist_flex": wrist_flex @ [0, 0, 1],
                     "wrist_roll": wrist_roll @ [0, 1, 0]}
    for joint, axis in expected_axes.items():
        np.testing.assert_allclose(env.data.joint(joint).xaxis, axis, atol=1e-9, err_msg=joint)
    wrist = np.array([0.5, -0.6, 0.0]) + forearm @ [0, 0, 0.321]
    np.testing.assert_allclose(env.data.body("wrist").xpos, wrist, atol=1e-9)
    petals = [g for g in range(env.model.ngeom) if env.model.body(env.model.geom_bodyid[g]).name.startswith("petal")]
    assert len(petals) == 21


def test_pusher_puck_offset_is_longer_than_the_threshold():
    env = make("Pusher").unwrapped
    for seed in range(50):
        obs, _ = env.reset(seed=seed)
        puck, goal = obs[17:20], obs[20:23]
        offset = puck - goal
        assert np.hypot(*offset[:2]) > 0.17 and -0.3 <= offset[1] <= 0 and abs(offset[0]) <= 0.2


def test_pusher_fork_pushes_the_puck_instead_of_passing_through():
    """With the puck between the prongs, panning the shoulder drags it along (the reason the
    puck is denser than the spec's 0.01, at which the fork sinks 5.8 cm into it)."""
    env = make("Pusher")
    base = env.unwrapped
    env.reset(seed=0)
    base.data.qvel[:] = 0
    base.data.qpos[1] = np.arcsin(0.25 / 0.721)  # shoulder lift: the fork down at puck height
    mujoco.mj_forward(base.model, base.data)
    base.data.qpos[7:9] = base.data.body("tips_arm").xpos[:2] + (0.08, 0.0) - base.model.body("object").pos[:2]
    mujoco.mj_forward(base.model, base.data)
    start = base.data.body("object").xpos.copy()
    deepest = 0.0
    for _ in range(12):
        env.step(np.array([2, 0, 0, 0, 0, 0, 0], np.float32))
        puck = base.model.geom("puck").id
        deepest = min([deepest] + [c.dist for c in base.data.contact[:base.data.ncon] if puck in (c.geom1, c.geom2)])
    assert base.data.body("object").xpos[1] - start[1] > 0.1
    assert deepest > -0.01


def test_striker_strike_position_is_frozen_at_the_first_strike():
    env = make("Striker")
    base = env.unwrapped
    env.reset(seed=0)
    env.action_space.seed(0)
    # lower the wrist to the ball's height and put the ball there: the first step is a strike
    base.data.qpos[1] = np.arcsin(0.27 / 0.721)  # shoulder lift; the wrist is 0.721 from it
    mujoco.mj_forward(base.model, base.data)
    base.data.qpos[7:9] = base.data.body("tips_arm").xpos[:2] - np.array([0.5, -0.175])
    _, _, _, _, info = env.step(np.zeros(7, np.float32))
    assert info["struck"]
    frozen = info["strike_pos"].copy()
    tips = []
    for _ in range(20):
        _, _, _, _, info = env.step(env.action_space.sample())
        np.testing.assert_array_equal(info["strike_pos"], frozen)
        tips.append(base.data.body("tips_arm").xpos.copy())
    assert np.ptp(np.array(tips), axis=0).max() > 0.01  # the arm moved, the strike position did not


def test_striker_min_distance_never_grows():
    env = make("Striker")
    env.reset(seed=2)
    env.action_space.seed(2)
    distances = [env.step(env.action_space.sample())[4]["min_goal_distance"] for _ in range(100)]
    assert np.all(np.diff(distances) <= 0)


def test_thrower_landing_position_is_frozen():
    env = make("Thrower")
    base = env.unwrapped
    env.reset(seed=0)
    env.action_space.seed(0)
    _, _, _, _, info = env.step(np.zeros(7, np.float32))
    assert not info["landed"] and not info["landing_pos"].any()
    base.data.qpos[7:10] = (0.6, 0.0, -0.2)  # ball above the table, falling freely
    landed_at = None
    for _ in range(40):
        _, reward, _, _, info = env.step(env.action_space.sample())
        if info["landed"]:
            landed_at = info["landing_pos"].copy() if landed_at is None else landed_at
            np.testing.assert_array_equal(info["landing_pos"], landed_at)
            goal_xy = base.data.body("goal").xpos[:2]
            assert info["reward_dist"] == pytest.approx(-np.linalg.norm(landed_at[:2] - goal_xy))
    assert landed_at is not None and landed_at[2] < -0.25


@pytest.mark.parametrize("task", ["ReacherTurn", "Pusher"])
def test_pixel_observations_show_the_scene_and_change(task):
    env = make(task, pixels=True)
    env.action_space.seed(0)
    first, _ = env.reset(seed=0)
    assert first.shape == (64, 64, 3) and first.dtype == np.uint8 and first.std() > 10
    later = first
    for _ in range(5):
        later, *_ = env.step(env.action_space.sample())
    assert np.abs(later.astype(int) - first).sum() > 0
    clone = pickle.loads(pickle.dumps(env))
    action = env.action_space.sample()
    np.testing.assert_array_equal(env.step(action)[0], clone.step(action)[0])
    env.close()
    clone.close()


@pytest.mark.filterwarnings("ignore:.*not in the possible render_modes")
@pytest.mark.parametrize("kwargs, name", [({"obs_type": "rgb"}, "obs_type"), ({"image_size": 0}, "image_size"),
                                          ({"visual_profile": "pretty"}, "visual_profile"),
                                          ({"render_mode": "depth_array"}, "render_mode")])
def test_bad_kwargs_name_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=name):
        make("ReacherVertical", **kwargs)


def test_reset_options_are_refused():
    with pytest.raises(ValueError, match="options"):
        make("Pusher").reset(seed=0, options={"goal": 1})


def test_dyne_pixel_ids_stack_the_last_four_frames():
    env = gym.make("wmenvs/DynE-ReacherVerticalPixels-v0")
    plain = make("ReacherVertical", pixels=True)
    assert env.observation_space.shape == (64, 64, 12) and env.observation_space.dtype == np.uint8
    env.action_space.seed(0)
    stacked, _ = env.reset(seed=0)
    frame, _ = plain.reset(seed=0)
    assert all(np.array_equal(stacked[..., 3 * i:3 * i + 3], frame) for i in range(4))
    history = [frame]
    for _ in range(5):
        previous, action = stacked, env.action_space.sample()
        stacked, *_ = env.step(action)
        history.append(plain.step(action)[0])
        np.testing.assert_array_equal(stacked[..., :9], previous[..., 3:])  # oldest first
        assert not np.shares_memory(stacked, previous)
    np.testing.assert_array_equal(stacked, np.concatenate(history[-4:], axis=-1))
    assert env.observation_space.contains(stacked)
    channel_first = ChannelFirst(env)     # DynE's (12, 64, 64) encoder input
    assert channel_first.observation_space.shape == (12, 64, 64)
    np.testing.assert_array_equal(channel_first.reset(seed=0)[0][9:],
                                  np.transpose(frame, (2, 0, 1)))


def test_frame_stack_survives_pickling():
    env = gym.make("wmenvs/DynE-PusherPixels-v0")
    env.reset(seed=1)
    env.step(np.zeros(7, np.float32))
    clone = pickle.loads(pickle.dumps(env))
    action = np.full(7, 0.5, np.float32)
    np.testing.assert_array_equal(env.step(action)[0], clone.step(action)[0])


@pytest.mark.parametrize("frame_stack", [0, -1, 2.5, True])
def test_frame_stack_rejects_bad_values(frame_stack):
    with pytest.raises(ValueError, match="frame_stack"):
        make("ReacherVertical", pixels=True, frame_stack=frame_stack)


def test_frame_stack_rejects_state_observations():
    with pytest.raises(ValueError, match="frame_stack"):
        make("ReacherVertical", frame_stack=4)
