"""TD3 and REDQ: what ports most often get wrong (TD3's delayed actor and clipped smoothing
noise, REDQ's random-subset min and mean-Q actor), and a learning test each on the 1-D point
task (the agent battery covers smoke runs, resume and state round trips)."""

import numpy as np
import pytest
import torch
from gymnasium import spaces

from point_goal_learning import train_point_goal
from toy_envs import make_point_goal
from wmagents.agents.redq import REDQ, REDQConfig
from wmagents.agents.td3 import TD3, TD3Config
from wmagents.api import Transition
from wmagents.nn import EnsembleMLP

OBS = spaces.Box(-1.0, 1.0, (3,), np.float32)
BOX = spaces.Box(np.array([-1.0, 0.0], np.float32), np.array([1.0, 4.0], np.float32))


def feed(agent, steps: int, end_at: int | None = None):
    """``steps`` random transitions; the last one ends the episode when ``end_at`` says so."""
    rng = np.random.default_rng(0)
    for t in range(steps):
        agent.observe(Transition(rng.uniform(-1, 1, 3).astype(np.float32), BOX.sample(),
                                 float(rng.normal()), rng.uniform(-1, 1, 3).astype(np.float32),
                                 False, t + 1 == end_at))


def adam_steps(optimizer) -> int:
    states = list(optimizer.state.values())
    return int(states[0]["step"]) if states else 0


def test_td3_smoothing_noise_is_clipped_to_c_times_the_half_range_and_kept_in_the_box():
    torch.manual_seed(0)
    agent = TD3(OBS, BOX, TD3Config(hidden=(8,), policy_noise=100.0, noise_clip=0.5))
    next_obs = torch.rand(4000, 3) * 2 - 1
    mean = agent.actor_target(next_obs)
    smoothed = agent.smoothed_target_action(next_obs)
    half_range = torch.tensor([1.0, 2.0])
    offset = (smoothed - mean).abs()
    assert (offset <= 0.5 * half_range + 1e-5).all()
    assert (smoothed >= torch.tensor([-1.0, 0.0])).all() and (smoothed <= torch.tensor([1.0, 4.0])).all()
    # sigma 100 x half-range: all but ~0.4 % of the draws are clipped, so the offsets sit at
    # c x half-range unless the box clamp cut them shorter
    inside = ((mean + 0.5 * half_range <= torch.tensor([1.0, 4.0]))
              & (mean - 0.5 * half_range >= torch.tensor([-1.0, 0.0])))
    at_clip = (offset - 0.5 * half_range).abs() < 1e-5
    assert inside.sum() > 1000 and at_clip[inside].float().mean() > 0.99


def test_td3_2018_schedule_trains_at_episode_end_with_the_actor_every_second_update():
    agent = TD3(OBS, BOX, TD3Config(hidden=(8,), batch_size=4, random_steps=0))
    feed(agent, 6)                                      # an episode in progress: no updates yet
    assert adam_steps(agent.critic_optimizer) == 0
    actor_target = [p.clone() for p in agent.actor_target.parameters()]
    agent = TD3(OBS, BOX, TD3Config(hidden=(8,), batch_size=4, random_steps=0))
    feed(agent, 7, end_at=7)                            # a 7-step episode ends: a burst of 7
    assert adam_steps(agent.critic_optimizer) == 7
    assert adam_steps(agent.actor_optimizer) == 4       # updates 0, 2, 4, 6 of the burst
    assert any(not torch.equal(a, b) for a, b in zip(actor_target,
                                                     agent.actor_target.parameters()))


def test_td3_per_step_schedule_starts_after_the_random_steps():
    agent = TD3(OBS, BOX, TD3Config(hidden=(8,), batch_size=4, random_steps=5,
                                    update_at_episode_end=False))
    feed(agent, 5)
    assert adam_steps(agent.critic_optimizer) == 0
    feed(agent, 8)                                      # 13 stored: updates at 6..13
    assert adam_steps(agent.critic_optimizer) == 8
    assert adam_steps(agent.actor_optimizer) == 4


def constant_members(ensemble: EnsembleMLP, values) -> None:
    """Member ``i`` outputs ``values[i]`` whatever its input."""
    with torch.no_grad():
        last = ensemble.layers[-1]
        last.weight.zero_()
        last.bias.copy_(torch.as_tensor(values, dtype=torch.float32).view(-1, 1, 1))


def test_redq_target_is_the_min_over_a_fresh_random_subset_of_m_target_critics():
    torch.manual_seed(0)
    agent = REDQ(OBS, BOX, REDQConfig(hidden=(8,), critics=10, target_subset=2))
    constant_members(agent.critic_target, np.arange(10.0))
    obs, action = torch.zeros(1, 3), torch.zeros(1, 2)
    torch.manual_seed(1)
    draws = np.array([float(agent.target_q(obs, action)) for _ in range(4500)])
    torch.manual_seed(1)
    expected = [float(torch.randperm(10)[:2].min()) for _ in range(4500)]
    np.testing.assert_array_equal(draws, expected)     # one subset per call, min over it
    # min of 2 distinct of 10: P(k) = (9 - k) / 45, so 9 never, 0 with probability 1/5
    counts = np.bincount(draws.astype(int), minlength=10)
    assert counts[9] == 0
    np.testing.assert_allclose(counts / len(draws), (9 - np.arange(10)) / 45, atol=0.02)
    with pytest.raises(ValueError, match="target_subset"):
        REDQ(OBS, BOX, REDQConfig(hidden=(8,), critics=3, target_subset=4))


def test_redq_actor_ascends_the_mean_of_all_critics_and_updates_once_per_g_critic_steps():
    agent = REDQ(OBS, BOX, REDQConfig(hidden=(8,), critics=4, batch_size=4, learning_starts=3,
                                      updates_per_step=5))
    constant_members(agent.critic, [1.0, 2.0, 3.0, 10.0])
    assert float(agent.policy_q(torch.zeros(1, 3), torch.zeros(1, 2)).detach()) == pytest.approx(4.0)
    feed(agent, 4)                                      # steps 3 and 4 update
    assert adam_steps(agent.critic_optimizer) == 10
    assert adam_steps(agent.actor_optimizer) == 2


@pytest.mark.slow
def test_td3_learns_point_goal(tmp_path):
    """1,500 steps: final -1.2 / -1.8 / -1.3 on seeds 0-2 (random about -15)."""
    torch.manual_seed(0)
    env = make_point_goal()
    agent = TD3(env.observation_space, env.action_space,
                TD3Config(hidden=(32, 32), batch_size=32, random_steps=300), seed=0)
    final = train_point_goal(agent, tmp_path, 1500)
    assert final["mean_return"] > -3.5 and final["success_rate"] >= 0.9


@pytest.mark.slow
def test_redq_learns_point_goal(tmp_path):
    """1,500 steps at UTD 5: final -2.3 / -4.0 / -2.6 on seeds 0-2 (random about -15)."""
    torch.manual_seed(0)
    env = make_point_goal()
    agent = REDQ(env.observation_space, env.action_space,
                 REDQConfig(hidden=(32, 32), batch_size=32, learning_starts=300,
                            updates_per_step=5), seed=0)
    final = train_point_goal(agent, tmp_path, 1500)
    assert final["mean_return"] > -6 and final["success_rate"] >= 0.9
