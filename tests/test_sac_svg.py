"""SAC-SVG(H): the value expansion against a hand-computed rollout, the target-entropy
schedule, observation normalisation, the termination loss weighting, and a learning test on
the 1-D point task (the agent battery covers smoke runs and resume)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from gymnasium import spaces

from point_goal_learning import train_point_goal
from stubs import Fn
from toy_envs import make_point_goal
from wmagents.agents.sac_svg import RunningNorm, SACSVG, SACSVGConfig

ONE_D = spaces.Box(-1.0, 1.0, (1,), np.float32)
SMALL = dict(hidden=(8,), model_latent=4, model_encoder_hidden=(4,), head_hidden=(4,))


def test_value_expansion_weights_rewards_by_survival_and_bootstraps_with_min_q():
    agent = SACSVG(ONE_D, ONE_D, SACSVGConfig(horizon=3, gamma=0.9, init_alpha=0.1, **SMALL))
    agent.actor = Fn(None, sample=lambda x: (x / 2, torch.full((len(x),), 0.5)))
    agent.reward = Fn(lambda xu: xu[:, :1] + 2 * xu[:, 1:])
    agent.done = Fn(lambda xu: torch.zeros(len(xu), 1))                 # d = 0.5 per step
    agent.critic = Fn(lambda xu: torch.stack([xu.sum(-1, keepdim=True),
                                              xu.sum(-1, keepdim=True) + 1]))
    agent.dynamics = Fn(None, step=lambda x, u, h: (x + u, h),
                        initial_state=lambda n, device: None)
    # x: 1 -> 1.5 -> 2.25, u = x / 2; r = x + 2u; survival 1, 0.5, 0.25; Q(x_2, u_2) = 3.375
    expected = (2 - 0.05) + 0.9 * (0.5 * 3 - 0.05) + 0.81 * (0.25 * 3.375 - 0.05)
    total, first_log_pi = agent.value_expansion(torch.tensor([[1.0]]))
    assert float(total) == pytest.approx(expected, rel=1e-6)
    assert float(first_log_pi) == 0.5


def test_target_entropy_follows_the_codes_decay_schedule():
    agent = SACSVG(ONE_D, ONE_D, SACSVGConfig(
        target_entropy_init=1.0, target_entropy_final=-3.0, entropy_decay_factor=0.5,
        entropy_decay_steps=100, warmup_steps=10 ** 9, **SMALL))
    agent.replay.transitions = 75                                  # (1 - 0.75)^0.5 = 0.5
    metrics = agent.actor_step(torch.zeros(4, 1))
    assert metrics["target_entropy"] == pytest.approx(-1.0)
    default = SACSVG(ONE_D, spaces.Box(-1, 1, (3,), np.float32), SACSVGConfig(**SMALL))
    assert default.entropy_range == (-3.0, -3.0)                    # -dim(A)


def test_running_norm_matches_numpy_with_the_std_clipped_into_0_1_and_10():
    rng = np.random.default_rng(0)
    data = rng.normal([0.0, 5.0, 1.0], [0.01, 50.0, 2.0], size=(500, 3))
    norm = RunningNorm(3)
    for row in data:
        norm.add(row)
    mean, std = norm.stats("cpu")
    np.testing.assert_allclose(mean.numpy(), data.mean(0), rtol=1e-5)
    np.testing.assert_allclose(std.numpy(), np.clip(data.std(0, ddof=1), 0.1, 10), rtol=1e-5)
    assert std[0] == pytest.approx(0.1) and std[1] == pytest.approx(10.0)


def test_done_loss_weights_ends_by_the_not_done_to_done_ratio():
    agent = SACSVG(ONE_D, ONE_D, SACSVGConfig(**SMALL))
    xu = torch.randn(8, 2)
    terminated = torch.tensor([1.0, 0, 0, 0, 0, 0, 0, 1.0])
    logits = agent.done(xu).squeeze(-1)
    expected = F.binary_cross_entropy_with_logits(logits, terminated, pos_weight=torch.tensor(3.0))
    assert float(agent.done_loss(xu, terminated)) == pytest.approx(float(expected))


@pytest.mark.slow
def test_sac_svg_learns_point_goal(tmp_path):
    """1,500 steps, H = 2, 32-unit nets, lr 3e-4: final -1.9 / -2.8 / -2.0 on seeds 0-2
    (random about -15)."""
    torch.manual_seed(0)
    env = make_point_goal()
    agent = SACSVG(env.observation_space, env.action_space, SACSVGConfig(
        horizon=2, hidden=(32, 32), model_latent=32, model_encoder_hidden=(32,),
        head_hidden=(32,), seq_batch_size=32, step_batch_size=64, model_updates_per_step=2,
        random_steps=300, warmup_steps=600, actor_lr=3e-4, critic_lr=3e-4, alpha_lr=3e-4),
        seed=0)
    final = train_point_goal(agent, tmp_path, 1500)
    assert final["mean_return"] > -4 and final["success_rate"] >= 0.9
