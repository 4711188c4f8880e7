"""ShapeHerd facts from specs/shapeherd.md and the VSG paper, beyond the shared battery."""

from __future__ import annotations

import math
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest

import wmenvs
from wmenvs.registration import SHAPEHERD_ARENA_SCALES, SHAPEHERD_DISTRACTORS, shapeherd_variant_id
from wmenvs.shapeherd import ScriptedPusher, ShapeHerdEnv
from wmenvs.shapeherd.draw import AGENT
from wmenvs.shapeherd.env import dense_object_reward
from wmenvs.shapeherd.world import AGENT_RADIUS, Arena, World, spawn_episode


def run_episode(env, policy, seed):
    obs, info = env.reset(seed=seed)
    total, done = 0.0, False
    while not done:
        obs, reward, terminated, truncated, info = env.step(policy(obs, info))
        total += reward
        done = terminated or truncated
    return total, info


def test_spaces_and_info_keys():
    env = gym.make("wmenvs/ShapeHerd-v0")
    assert env.observation_space == gym.spaces.Box(0, 255, (64, 64, 3), np.uint8)
    assert env.action_space == gym.spaces.Box(-1, 1, (2,), np.float32)
    assert env.spec.max_episode_steps == 750
    obs, info = env.reset(seed=0)
    assert info["agent_position"].shape == (2,)
    assert info["object_positions"].shape == (5, 2) and info["object_in_play"].all()
    assert info["objects_remaining"] == 5 and info["objects_scored"] == 0
    np.testing.assert_array_equal(info["goal_rect"], [575.0, 237.5, 675.0, 462.5])
    assert env.step(env.action_space.sample())[4]["env_steps"] == 4   # simulator steps taken


def test_arena_geometry_scales_with_walls_fixed():
    big = Arena(1.6)
    assert (big.width, big.height) == (1280.0, 1120.0)
    x0, y0, x1, y1 = big.interior
    assert (x0, y0, x1, y1) == (125.0, 125.0, 1155.0, 995.0)
    gx0, gy0, gx1, gy1 = big.goal_rect
    assert (gx0, gx1) == (1055.0, 1155.0) and math.isclose(gy1 - gy0, 0.5 * (y1 - y0))
    assert math.isclose((gy0 + gy1) / 2, (y0 + y1) / 2)


def test_bbs_variant_grid_is_registered():
    ids = {entry.id for entry in wmenvs.list_envs("bbs-variant")}
    assert len(ids) == len(SHAPEHERD_DISTRACTORS) * len(SHAPEHERD_ARENA_SCALES) == 16
    env = gym.make(shapeherd_variant_id(4, 1.4))
    env.reset(seed=0)
    assert len(env.unwrapped._world.distractors) == 4
    assert env.unwrapped.arena.scale == 1.4


def test_observation_shows_current_state_centred_on_agent():
    env = gym.make("wmenvs/ShapeHerd-v0")
    obs, info = env.reset(seed=1)
    np.testing.assert_array_equal(obs[31:33, 31:33].reshape(-1, 3), np.tile(AGENT, (4, 1)))
    for _ in range(5):
        obs, *_ = env.step(np.array([0.0, 1.0], dtype=np.float32))  # push left, full force
        np.testing.assert_array_equal(obs[31:33, 31:33].reshape(-1, 3), np.tile(AGENT, (4, 1)))
    # the first frame after a reset is of the new episode, not the previous one's last
    first, _ = env.reset(seed=2)
    assert not np.array_equal(first, obs)
    np.testing.assert_array_equal(first, env.unwrapped._observation())


def test_force_acts_at_centre_of_mass_in_world_frame():
    world = World(Arena())
    world.agent.position = (300.0, 350.0)
    world.agent.angle = 1.0  # a rotated body must still be pushed along the world x axis
    rng = np.random.default_rng(0)
    for _ in range(20):
        world.step((40_000.0, 0.0), rng)
    assert world.agent.angular_velocity == 0.0
    assert world.agent.velocity.x > 100 and abs(world.agent.velocity.y) < 1e-9


def test_agent_cannot_enter_the_goal_and_is_not_trapped_at_its_blocks():
    world = World(Arena())
    world.agent.position = (500.0, 200.0)  # level with the upper goal block
    rng = np.random.default_rng(0)
    for _ in range(60):
        world.step((40_000.0, 0.0), rng)
        assert world.agent.position.x + AGENT_RADIUS <= world.arena.goal_rect[0] + 1e-9
    for _ in range(30):  # half a second at 566 units/s^2 from rest: ~70 units
        world.step((-40_000.0, 0.0), rng)
    assert world.agent.position.x < 530.0  # it leaves when pushed away


def test_object_scores_when_its_centroid_passes_the_line():
    world = World(Arena())
    world.agent.position = (200.0, 200.0)
    world.add_object("triangle", "red", (578.0, 350.0), 0.0)
    rng = np.random.default_rng(0)
    assert world.step((0.0, 0.0), rng) == 0 and len(world.objects) == 1
    world.objects[0].body.velocity = (300.0, 0.0)  # 5 units per step: over the 580 line
    assert world.step((0.0, 0.0), rng) == 1 and world.objects == []


def test_objects_speed_is_softly_capped():
    world = World(Arena())
    world.agent.position = (200.0, 200.0)
    world.add_object("square", "blue", (300.0, 350.0), 0.0)
    world.objects[0].body.velocity = (0.0, 2000.0)
    world.step((0.0, 0.0), np.random.default_rng(0))
    damping = 0.7 ** (1 / 60)
    assert math.isclose(world.objects[0].body.velocity.y, 2000.0 * damping * 0.99, rel_tol=1e-9)


@pytest.mark.parametrize("seed", range(30))
def test_spawn_has_no_overlaps(seed):
    world = World(Arena())
    spawn_episode(world, np.random.default_rng(seed), num_objects=8, num_distractors=4)
    for shape in world.space.shapes:
        if shape.body is not world.space.static_body:
            assert world.space.shape_query(shape) == [], f"seed {seed}: {shape} overlaps"
    x0 = world.arena.interior[0]
    x_limit = x0 + 0.7 * (world.arena.interior[2] - x0)
    assert all(x0 < x < x_limit for x, _ in world.object_positions())


def test_dense_reward_is_paper_equation_9():
    assert dense_object_reward(0) == 2.5
    assert dense_object_reward(500) == 2.0
    assert dense_object_reward(1500) == dense_object_reward(2999) == 1.0


def test_dense_and_sparse_rewards_count_the_same_objects():
    dense, sparse = gym.make("wmenvs/ShapeHerd-v0"), gym.make("wmenvs/ShapeHerdSparse-v0")
    pusher_d, pusher_s = ScriptedPusher(), ScriptedPusher()
    obs_d, info_d = dense.reset(seed=1)
    obs_s, info_s = sparse.reset(seed=1)
    scored_before = 0
    for _ in range(750):
        t_before = dense.unwrapped._t
        obs_d, r_d, term_d, trunc_d, info_d = dense.step(pusher_d.act(obs_d, info_d))
        obs_s, r_s, term_s, trunc_s, info_s = sparse.step(pusher_s.act(obs_s, info_s))
        assert r_s == info_s["objects_scored"] - scored_before  # sparse: 1 per object
        scored_before = info_s["objects_scored"]
        if r_s:
            low, high = dense_object_reward(dense.unwrapped._t), dense_object_reward(t_before + 1)
            assert r_s * low - 1e-12 <= r_d <= r_s * high + 1e-12
        else:
            assert r_d == 0.0
        if term_d or trunc_d:
            break
    assert info_d["objects_scored"] == info_s["objects_scored"] > 0
    assert term_d == (info_d["objects_remaining"] == 0)


@pytest.mark.slow
def test_scripted_pusher_solves_the_task_and_random_does_not():
    env = gym.make("wmenvs/ShapeHerdSparse-v0")
    pusher_scores, random_scores = [], []
    env.action_space.seed(0)
    for seed in range(20):
        pusher = ScriptedPusher(env.action_space)
        total, info = run_episode(env, pusher.act, seed)
        assert total == info["objects_scored"]
        pusher_scores.append(total)
        total, _ = run_episode(env, lambda obs, info: env.action_space.sample(), seed)
        random_scores.append(total)
    assert np.mean(pusher_scores) >= 3.0, pusher_scores
    assert np.mean(random_scores) < 1.0, random_scores


@pytest.mark.parametrize("kwargs, name", [
    ({"reward": "shaped"}, "reward"), ({"num_objects": 0}, "num_objects"),
    ({"num_distractors": -1}, "num_distractors"), ({"arena_scale": 3.0}, "arena_scale"),
    ({"frame_skip": 0}, "frame_skip"), ({"obs_size": 2.5}, "obs_size"),
])
def test_bad_kwargs_name_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=name):
        ShapeHerdEnv(**kwargs)


def test_unknown_kwarg_is_refused():
    with pytest.raises(TypeError, match="colour_mode"):
        gym.make("wmenvs/ShapeHerd-v0", colour_mode="grey")


def test_rgb_array_touches_no_display_and_needs_no_torch():
    code = (
        "import sys, gymnasium as gym, wmenvs\n"
        "env = gym.make('wmenvs/ShapeHerd-v0', render_mode='rgb_array')\n"
        "env.reset(seed=0); env.step(env.action_space.sample()); frame = env.render()\n"
        "assert frame.shape == (350, 400, 3), frame.shape\n"
        "assert 'pygame' not in sys.modules, 'rgb_array imported pygame'\n"
        "assert 'torch' not in sys.modules, 'wmenvs imported torch'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_info_keeps_its_shapes_after_objects_score():
    """Scored objects keep their slot: NaN position and angle, mask False, kind kept."""
    env = gym.make("wmenvs/ShapeHerdSparse-v0")
    pusher = ScriptedPusher()
    obs, first = env.reset(seed=1)
    shapes = {k: np.shape(v) for k, v in first.items()}
    info, done = first, False
    while not done and info["objects_scored"] < 2:
        obs, _, terminated, truncated, info = env.step(pusher.act(obs, info))
        done = terminated or truncated
    assert info["objects_scored"] >= 2, "the scripted pusher should score twice on seed 1"
    assert {k: np.shape(v) for k, v in info.items()} == shapes
    gone = ~info["object_in_play"]
    assert gone.sum() == info["objects_scored"] == 5 - info["objects_remaining"]
    assert np.isnan(info["object_positions"][gone]).all()
    assert np.isnan(info["object_angles"][gone]).all()
    assert np.isfinite(info["object_positions"][~gone]).all()
    np.testing.assert_array_equal(info["object_kinds"], first["object_kinds"])


def head_on_hit(agent_elasticity: float) -> tuple[float, float]:
    """An agent at 400 units/s hits a resting square face-on; speeds 10 steps after contact."""
    world = World(Arena(), agent_elasticity)
    world.add_object("square", "red", (400.0, 350.0), 0.0)
    square = world.objects[0].body
    world.agent.position, world.agent.velocity = (350.0, 350.0), (400.0, 0.0)
    rng = np.random.default_rng(0)
    while square.velocity.x == 0:
        world.step((0.0, 0.0), rng)
    for _ in range(10):
        world.step((0.0, 0.0), rng)
    return world.agent.velocity.x, square.velocity.x


def test_agent_elasticity_sets_the_collision():
    """Masses 70.7 (agent) and 20 (square): elastic -> the square leaves 2.79x faster than the
    agent (1-D: 623.6 vs 223.6 before damping); inelastic -> both share 311.8 before damping."""
    agent, square = head_on_hit(1.0)
    assert square / agent == pytest.approx(2.79, rel=0.05) and square > 560
    agent, square = head_on_hit(0.0)
    assert square == pytest.approx(agent, rel=0.02) and 280 < agent < 312
    assert gym.make("wmenvs/ShapeHerd-v0").unwrapped.agent_elasticity == 1.0
    assert {gym.make(e.id).unwrapped.agent_elasticity for e in wmenvs.list_envs("bbs-variant")} \
        == {0.0}
    with pytest.raises(ValueError, match="agent_elasticity"):
        ShapeHerdEnv(agent_elasticity=1.5)
