"""Random-vector GridWorld / FourRooms / Torus: layouts, dynamics, returns, vector env, task set."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

import wmenvs  # noqa: F401  (registers the IDs)
from wmenvs.gridworlds import ACTION_NAMES, WORLD_NAMES, get_world, planning_task_set
from wmenvs.gridworlds.render import AGENT, CELL_PIXELS, GOAL
from wmenvs.gridworlds.worlds import FOUR_ROOMS_DOORS, FOUR_ROOMS_WALLS, STAY
from test_battery import assert_same

LEFT, RIGHT, UP, DOWN = range(4)
POLICY_IDS = [f"wmenvs/{world}-v0" for world in WORLD_NAMES]
PLANNING_IDS = [f"wmenvs/{world}Planning-v0" for world in WORLD_NAMES]


def components(free: np.ndarray) -> int:
    """Number of 4-connected components of ``free`` (no wrapping)."""
    seen, count = np.zeros_like(free), 0
    for start in map(tuple, np.argwhere(free)):
        if seen[start]:
            continue
        count += 1
        stack = [start]
        seen[start] = True
        while stack:
            r, c = stack.pop()
            for dr, dc in ((0, 1), (0, -1), (1, 0), (-1, 0)):
                nr, nc = r + dr, c + dc
                if 0 <= nr < free.shape[0] and 0 <= nc < free.shape[1] and free[nr, nc] and not seen[nr, nc]:
                    seen[nr, nc] = True
                    stack.append((nr, nc))
    return count


# --------------------------------------------------------------------------- layouts and dynamics
def test_four_rooms_has_104_cells_and_4_doors():
    world = get_world("FourRooms")
    assert world.shape == (11, 11) and world.num_cells == 104 and (~world.free).sum() == len(FOUR_ROOMS_WALLS)
    assert all(world.free[door] for door in FOUR_ROOMS_DOORS)
    # a door is a free cell squeezed between two interior walls on opposite sides
    doors = {(r, c) for r, c in map(tuple, world.coords)
             if (0 < c < 10 and not world.free[r, c - 1] and not world.free[r, c + 1])
             or (0 < r < 10 and not world.free[r - 1, c] and not world.free[r + 1, c])}
    assert doors == set(FOUR_ROOMS_DOORS)
    closed = world.free.copy()
    for door in FOUR_ROOMS_DOORS:
        closed[door] = False
    assert components(world.free) == 1 and components(closed) == 4


@pytest.mark.parametrize("name, shape", [("GridWorld", (11, 11)), ("Torus", (13, 13))])
def test_open_worlds_have_every_cell(name, shape):
    world = get_world(name)
    assert world.shape == shape and world.num_cells == shape[0] * shape[1]


def test_torus_wraps_on_every_edge():
    world = get_world("Torus")
    cell = world.cell_of
    for k in range(13):
        assert world.P[cell(k, 0), LEFT] == cell(k, 12) and world.P[cell(k, 12), RIGHT] == cell(k, 0)
        assert world.P[cell(0, k), UP] == cell(12, k) and world.P[cell(12, k), DOWN] == cell(0, k)
    assert not world.wall_bits.any()
    # no move ever stays put: every action except STAY changes the cell
    assert (world.P[:, :STAY] != np.arange(world.num_cells)[:, None]).all()


@pytest.mark.parametrize("name", ["GridWorld", "FourRooms"])
def test_moves_into_walls_stay_and_wall_bits_say_so(name):
    world = get_world(name)
    deltas = [(0, -1), (0, 1), (-1, 0), (1, 0)]
    for cell, (r, c) in enumerate(world.coords):
        for action, (dr, dc) in enumerate(deltas):
            nr, nc = r + dr, c + dc
            open_ = 0 <= nr < 11 and 0 <= nc < 11 and world.free[nr, nc]
            assert world.P[cell, action] == (world.index[nr, nc] if open_ else cell)
            assert world.wall_bits[cell, action] == (not open_)
        assert world.P[cell, STAY] == cell


def test_move_into_wall_through_the_env_keeps_cell_and_observation():
    env = gym.make("wmenvs/GridWorld-v0")
    obs, info = env.reset(seed=0)
    assert info["cell"].tolist() == [0, 0] and obs[-4:].tolist() == [1, 0, 1, 0]  # LEFT and UP blocked
    for action in (LEFT, UP):
        new_obs, reward, terminated, truncated, new_info = env.step(action)
        assert new_info["cell"].tolist() == [0, 0] and np.array_equal(new_obs, obs) and reward == -1.0
    assert env.step(RIGHT)[4]["cell"].tolist() == [0, 1]


@pytest.mark.parametrize("name", WORLD_NAMES)
def test_observation_table_fixed_by_world_seed_only(name):
    env = gym.make(f"wmenvs/{name}-v0")
    table = env.unwrapped.observation_table
    world = get_world(name)
    assert table.shape == (world.num_cells, 64 + (0 if name == "Torus" else 4)) and table.dtype == np.float32
    assert len(np.unique(table[:, :64], axis=0)) == world.num_cells
    if name != "Torus":
        assert np.array_equal(table[:, 64:], world.wall_bits)
    obs_a, _ = env.reset(seed=1)
    obs_b, _ = gym.make(f"wmenvs/{name}-v0").reset(seed=999)
    assert np.array_equal(obs_a, obs_b)  # the episode seed does not touch the vectors
    other = gym.make(f"wmenvs/{name}-v0", world_seed=1, obs_dim=8).unwrapped.observation_table
    assert other.shape[1] == table.shape[1] - 56 and not np.array_equal(other[:, :8], table[:, :8])


def test_reward_is_plus_one_when_acting_from_the_goal():
    env = gym.make("wmenvs/GridWorld-v0")
    env.reset(seed=0, options={"start": (3, 3), "goal": (3, 4)})
    assert env.step(RIGHT)[1] == -1.0  # left (3,3), arrives at the goal
    assert env.step(LEFT)[1] == 1.0  # acted from the goal, leaves it
    assert env.step(RIGHT)[1] == -1.0
    assert env.step(STAY)[1] == 1.0
    assert env.unwrapped.optimal_return == 250 - 2


# --------------------------------------------------------------------------- optimal returns
def shortest_path_actions(P, distances, cells, goals):
    """Greedy step along a shortest path; STAY once on the goal."""
    remaining = distances[P[cells, :STAY], goals[:, None]]  # (n, 4)
    return np.where(cells == goals, STAY, remaining.argmin(axis=1))


@pytest.mark.parametrize("env_id", POLICY_IDS + PLANNING_IDS)
def test_shortest_path_then_stay_earns_the_optimal_return_for_all_pairs(env_id):
    """Every ordered pair of distinct cells, batched: return == exposed optimum == T - 2 d."""
    world = get_world(env_id.split("/")[1].split("-")[0].removesuffix("Planning"))
    starts, goals = np.nonzero(~np.eye(world.num_cells, dtype=bool))
    envs = gym.make_vec(env_id, num_envs=len(starts), vectorization_mode="vector_entry_point")
    envs.reset(seed=0, options={"start": world.coords[starts], "goal": world.coords[goals]})
    horizon = envs.max_episode_steps
    expected = horizon - 2 * world.distances[starts, goals]
    assert (world.distances[starts, goals] < horizon).all()
    assert np.array_equal(envs.optimal_return, expected)
    returns = np.zeros(len(starts))
    for t in range(horizon):
        cells = envs.agent_cells
        _, reward, terminated, truncated, _ = envs.step(shortest_path_actions(world.P, world.distances, cells, goals))
        returns += reward
        assert not terminated.any() and truncated.all() == (t == horizon - 1)
    assert np.array_equal(envs.agent_cells, goals) and np.array_equal(returns, expected)


@pytest.mark.parametrize("env_id", POLICY_IDS + PLANNING_IDS)
def test_single_env_earns_its_optimal_return(env_id):
    """The same through ``gym.make`` on a sample of problems (the batch above covers all pairs)."""
    env = gym.make(env_id)
    world, rng = env.unwrapped.world, np.random.default_rng(0)
    for start, goal in rng.choice(world.num_cells, size=(5, 2), replace=False):
        env.reset(seed=1, options={"start": world.coords[start], "goal": world.coords[goal]})
        total, truncated = 0.0, False
        while not truncated:
            action = shortest_path_actions(world.P, world.distances, np.array([env.unwrapped.agent_cell]),
                                           np.array([goal]))[0]
            _, reward, _, truncated, info = env.step(action)
            total += reward
        assert total == env.unwrapped.optimal_return == env.unwrapped.episode_steps - 2 * world.distances[start, goal]
        assert info["cell"].tolist() == world.coords[goal].tolist()


# --------------------------------------------------------------------------- vector env
def rollout(envs, steps, seed, options=None):
    """Observations, rewards, flags and infos of ``steps`` seeded random steps."""
    rng = np.random.default_rng(seed)
    out = [envs.reset(seed=seed, options=options)]
    for t in range(steps):
        out.append(envs.step(rng.integers(0, 5, envs.num_envs)))
        done = out[-1][2] | out[-1][3]
        if envs.metadata["autoreset_mode"] == AutoresetMode.DISABLED and done.any():
            out.append(envs.reset(options={"reset_mask": done}))
        if t == steps // 3:  # a partial reset in the middle
            mask = np.zeros(envs.num_envs, dtype=bool)
            mask[1] = True
            out.append(envs.reset(seed=[None, 77, None], options={"reset_mask": mask}))
    return out


def plain(tree):
    """Object arrays (SAME_STEP's ``final_obs``) as lists, so :func:`assert_same` can walk them."""
    if isinstance(tree, dict):
        return {key: plain(value) for key, value in tree.items()}
    if isinstance(tree, (tuple, list)) or (isinstance(tree, np.ndarray) and tree.dtype == object):
        return [plain(value) for value in tree]
    return tree


@pytest.mark.parametrize("mode", list(AutoresetMode))
@pytest.mark.parametrize("env_id", POLICY_IDS + PLANNING_IDS)
def test_vector_env_equals_sync_vector_env_step_for_step(env_id, mode):
    steps = int(2.4 * gym.spec(env_id).max_episode_steps)
    batched = gym.make_vec(env_id, num_envs=3, vectorization_mode="vector_entry_point", autoreset_mode=mode)
    sync = gym.make_vec(env_id, num_envs=3, vectorization_mode="sync", vector_kwargs={"autoreset_mode": mode})
    assert batched.metadata["autoreset_mode"] == sync.metadata["autoreset_mode"] == mode
    assert batched.observation_space == sync.observation_space and batched.action_space == sync.action_space
    for seed in (0, 5):
        assert_same(plain(rollout(batched, steps, seed)), plain(rollout(sync, steps, seed)))
        assert batched.np_random_seed == sync.np_random_seed
        states = [[rng.bit_generator.state for rng in envs.np_random] for envs in (batched, sync)]
        assert states[0] == states[1]


def test_default_make_vec_uses_the_batched_env_and_default_mode_matches_sync():
    envs = gym.make_vec("wmenvs/FourRooms-v0", num_envs=2)
    assert type(envs.unwrapped).__name__ == "GridNavigationVectorEnv"
    sync = gym.vector.SyncVectorEnv([lambda: gym.make("wmenvs/FourRooms-v0")])
    assert envs.metadata["autoreset_mode"] == sync.autoreset_mode == AutoresetMode.NEXT_STEP


def test_disabled_autoreset_refuses_to_step_a_finished_env():
    envs = gym.make_vec("wmenvs/GridWorldPlanning-v0", num_envs=2, vectorization_mode="vector_entry_point",
                        autoreset_mode="Disabled", max_episode_steps=3)
    envs.reset(seed=0)
    for _ in range(3):
        truncated = envs.step(np.array([STAY, STAY]))[3]
    assert truncated.all()
    cells = envs.agent_cells
    with pytest.raises(RuntimeError, match="reset_mask"):
        envs.step(np.array([RIGHT, RIGHT]))
    assert np.array_equal(envs.agent_cells, cells)  # the refused step changed nothing


def test_vector_env_renders_every_sub_env():
    envs = gym.make_vec("wmenvs/Torus-v0", num_envs=3, vectorization_mode="vector_entry_point", render_mode="rgb_array")
    envs.reset(seed=0)
    frames = envs.render()
    single = gym.make("wmenvs/Torus-v0", render_mode="rgb_array")
    single.reset(seed=0)
    assert len(frames) == 3 and all(np.array_equal(frame, single.render()) for frame in frames)


def test_vector_env_rejects_bad_input():
    envs = gym.make_vec("wmenvs/Torus-v0", num_envs=2, vectorization_mode="vector_entry_point")
    with pytest.raises(RuntimeError, match="reset"):
        envs.step(np.zeros(2, dtype=np.int64))
    envs.reset(seed=0)
    bad = (np.array([0, 5]), np.array([-1, 0]), np.array([0.5, 1.0]), np.array([np.inf, 0.0]),
           np.zeros(3, dtype=int), np.array(["0", "1"]))
    for actions in bad:
        with pytest.raises(ValueError, match="actions"):
            envs.step(actions)
    with pytest.raises(ValueError, match="reset_mask"):
        envs.reset(options={"reset_mask": np.zeros(2, dtype=bool)})
    with pytest.raises(ValueError, match="num_envs"):
        gym.make_vec("wmenvs/Torus-v0", num_envs=0, vectorization_mode="vector_entry_point")
    with pytest.raises(ValueError, match="options\\['start'\\]"):
        envs.reset(options={"start": np.zeros((3, 2), dtype=int)})


# --------------------------------------------------------------------------- planning
@pytest.mark.parametrize("world", WORLD_NAMES)
def test_planning_task_set_is_deterministic_and_matches_env_resets(world):
    tasks = planning_task_set(world, seed=3)
    assert len(tasks) == 30 and tasks == planning_task_set(world, seed=3) != planning_task_set(world, seed=4)
    grid = get_world(world)
    env = gym.make(f"wmenvs/{world}Planning-v0")
    for k, task in enumerate(tasks):
        _, info = env.reset(seed=3 if k == 0 else None)
        assert (tuple(info["cell"]), tuple(info["goal_cell"])) == (task.start, task.goal) and task.start != task.goal
        assert task.distance == grid.distances[grid.cell_of(*task.start), grid.cell_of(*task.goal)]
        assert task.best_return == 50 - 2 * task.distance == env.unwrapped.optimal_return
    obs, info = env.reset(options=tasks[7].options)
    assert tuple(info["goal_cell"]) == tasks[7].goal
    assert np.array_equal(obs["desired_goal"], env.unwrapped.observation_table[grid.cell_of(*tasks[7].goal)])
    assert np.array_equal(obs["observation"], obs["achieved_goal"])


def test_planning_draws_are_uniform_over_distinct_pairs():
    world = get_world("GridWorld")
    tasks = planning_task_set("GridWorld", seed=0, num_tasks=20000)
    starts = np.array([world.cell_of(*t.start) for t in tasks])
    goals = np.array([world.cell_of(*t.goal) for t in tasks])
    assert (starts != goals).all()
    counts = np.bincount(starts, minlength=121)
    # 20,000 draws over 121 cells: mean 165, sd ~12.8; 6 sd bounds cannot fail by chance
    assert counts.min() > 165 - 77 and counts.max() < 165 + 77


# --------------------------------------------------------------------------- arguments
@pytest.mark.parametrize("kwargs, match", [
    ({"world": "Maze"}, "world='Maze'"),
    ({"obs_dim": 0}, "obs_dim"), ({"obs_dim": "64"}, "obs_dim"), ({"obs_dim": True}, "obs_dim"),
    ({"world_seed": -1}, "world_seed"), ({"world_seed": 1.5}, "world_seed"),
    ({"obs_mean": float("nan")}, "obs_mean"),
    ({"world": "FourRooms", "start": (5, 5)}, r"start=\(5, 5\).*wall"),
    ({"goal": (11, 0)}, r"goal=\(11, 0\).*outside"),
    ({"start": (1,)}, "start must be a"), ({"goal": "a1"}, "goal must be a"),
    ({"start": (2, 2), "goal": (2, 2)}, "start and goal must differ"),
    ({"render_mode": "ansi"}, "render_mode"),
])
@pytest.mark.filterwarnings("ignore:.*render_mode='ansi'")  # gymnasium's own warning before ours raises
def test_bad_kwargs_raise_value_error_naming_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        gym.make("wmenvs/GridWorld-v0", **kwargs)


def test_planning_refuses_fixed_start_and_incomplete_options():
    with pytest.raises(ValueError, match="start="):
        gym.make("wmenvs/TorusPlanning-v0", start=(0, 0))
    env = gym.make("wmenvs/TorusPlanning-v0")
    with pytest.raises(ValueError, match="both 'start' and 'goal'"):
        env.reset(options={"goal": (1, 1)})
    with pytest.raises(ValueError, match="unknown"):
        env.reset(options={"speed": 2})


# --------------------------------------------------------------------------- rendering
def test_rgb_frame_shows_walls_agent_and_goal():
    env = gym.make("wmenvs/FourRooms-v0", render_mode="rgb_array")
    env.reset(seed=0)
    frame = env.render()
    assert frame.shape == (11 * CELL_PIXELS, 11 * CELL_PIXELS, 3)
    half = CELL_PIXELS // 2

    def centre(r, c):
        return tuple(frame[r * CELL_PIXELS + half, c * CELL_PIXELS + half])

    assert centre(10, 0) == AGENT and centre(0, 10) == GOAL
    wall, free = centre(5, 5), centre(4, 4)
    assert wall != free and centre(0, 5) == wall


def test_human_render_uses_a_window():
    env = gym.make("wmenvs/TorusPlanning-v0", render_mode="human")
    env.reset(seed=0)
    assert env.step(STAY)[0] is not None and env.render() is None
    assert env.unwrapped._window._screen is not None
    env.close()


def test_action_names():
    assert ACTION_NAMES == ("LEFT", "RIGHT", "UP", "DOWN", "STAY")
