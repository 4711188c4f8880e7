"""ALM's objective terms against hand-computed cases (spec §3), its networks' bounds, and a
learning test on the 1-D point task (the agent battery covers smoke runs and resume)."""

import math

import numpy as np
import pytest
import torch
from gymnasium import spaces
from torch.distributions import Independent, Normal

from point_goal_learning import train_point_goal
from stubs import Fn
from toy_envs import make_point_goal
from wmagents.agents.alm import ALM, ALMConfig
from wmagents.models.alm_nets import LatentActor, LatentGaussian

ONE_D = spaces.Box(-1.0, 1.0, (1,), np.float32)


def gaussian(mean, std):
    return Independent(Normal(mean, torch.full_like(mean, std)), 1)


def stubbed_alm(**config) -> ALM:
    """1-D latents and actions with networks of known closed form:
    e(s) = N(s, 1e-6), e_target(s) = N(s, 1), m(z, a) = N(z + a, 1e-6), r(z, a) = z + 2a,
    Q_1 = z + a, Q_2 = z + a + 1 (min = z + a), pi(z) = z / 2 (noise-free), C log-odds z' - z."""
    agent = ALM(ONE_D, ONE_D, ALMConfig(latent_dim=1, hidden=4, model_hidden=4, **config))
    agent.encoder = Fn(lambda s: gaussian(s, 1e-6))
    agent.encoder_target = Fn(lambda s: gaussian(s, 1.0))
    agent.model = Fn(lambda z, a: gaussian(z + a, 1e-6))
    agent.reward = Fn(lambda x: (x[..., :1] + 2 * x[..., 1:]))
    twin = Fn(lambda z, a: torch.stack([(z + a)[..., 0], (z + a + 1)[..., 0]]))
    agent.critic = agent.critic_target = twin
    agent.actor = Fn(lambda z: z / 2, sample=lambda z, std, clip: z / 2)
    agent.classifier = Fn(lambda z, a, z2: torch.cat([torch.zeros_like(z2), z2], -1),
                          log_odds=lambda z, a, z2: (z2 - z)[..., 0])
    return agent


def kl_to_unit(mean_q, std_q, mean_p):
    return math.log(1 / std_q) + (std_q ** 2 + (mean_q - mean_p) ** 2) / 2 - 0.5


def test_actor_objective_is_the_discounted_mean_of_lambda_returns_bootstrapped_with_q_k():
    agent = stubbed_alm(horizon=2, gamma=0.9, lam=0.5, classifier_weight=0.1)
    # z: 1 -> 1.5 -> 2.25, a = z / 2; rho_t = z_t + 2 a_t + 0.1 (z_{t+1} - z_t); Q_t = z_t + a_t
    rho = [1 + 1 + 0.1 * 0.5, 1.5 + 1.5 + 0.1 * 0.75]
    q = [1.5, 2.25, 3.375]
    r1 = rho[1] + 0.9 * q[2]                                   # R_{K-1}: bootstrap Q_K
    r0 = rho[0] + 0.9 * (0.5 * q[1] + 0.5 * r1)
    expected = -(r0 + 0.9 * r1) / 2                            # weights 1, gamma
    loss = agent.actor_loss(torch.tensor([[1.0]]), std=0.1)
    assert float(loss) == pytest.approx(expected, abs=1e-5)


def test_model_objective_sums_kl_minus_reward_over_replayed_actions_then_subtracts_q_k():
    agent = stubbed_alm(horizon=2)
    obs = torch.tensor([[[1.0], [2.0], [2.5]]])                # (batch 1, K + 1, 1)
    actions = torch.tensor([[[0.5], [-1.0]]])
    # z_0 = 1, prior means 1.5 then 0.5 (replayed actions), targets s_1 = 2, s_2 = 2.5
    kl = kl_to_unit(1.5, 1e-6, 2.0) + kl_to_unit(0.5, 1e-6, 2.5)
    rewards = (1 + 2 * 0.5) + (1.5 + 2 * -1.0)
    q_last = 0.5 + 0.25                                        # z_2 = 0.5, a_2 = 0.25
    loss = agent.model_loss({"obs": obs, "action": actions}, std=0.1)
    assert float(loss) == pytest.approx(kl - rewards - q_last, abs=1e-4)


def test_critic_regresses_both_heads_on_the_min_target_and_averages_their_losses():
    agent = stubbed_alm(gamma=0.9)
    z, a = torch.tensor([[1.0], [2.0]]), torch.tensor([[0.5], [0.0]])
    reward, terminated = torch.tensor([1.0, -1.0]), torch.tensor([0.0, 1.0])
    next_z = torch.tensor([[2.0], [4.0]])
    target = np.array([1 + 0.9 * 1.5 * 2.0, -1.0])              # min Q' = z' + z'/2
    q1 = np.array([1.5, 2.0])
    expected = (np.mean((q1 - target) ** 2) + np.mean((q1 + 1 - target) ** 2)) / 2
    loss = agent.critic_loss(z, a, reward, terminated, next_z, std=0.1)
    assert float(loss) == pytest.approx(expected, rel=1e-5)


def test_classifier_sees_imagined_latents_with_label_zero_for_half_the_batch():
    agent = stubbed_alm()
    n = 10
    z, a = torch.zeros(n, 1), torch.zeros(n, 1)
    real, imagined = torch.full((n, 1), 2.0), torch.full((n, 1), -3.0)
    reward = torch.zeros(n)
    seen = {}
    agent.classifier = Fn(lambda z, a, z2: seen.setdefault("z2", z2) * torch.tensor([0.0, 1.0]))
    loss = agent.reward_classifier_loss(z, a, reward, real, imagined)
    shown = seen["z2"][:, 0]
    assert (shown == -3.0).sum() == n // 2 and (shown == 2.0).sum() == n - n // 2
    # logits (0, z2): label 1 for real (z2 = 2), label 0 for imagined (z2 = -3); reward MSE 0
    expected = (5 * math.log(1 + math.exp(-2.0)) + 5 * math.log(1 + math.exp(-3.0))) / n
    assert float(loss) == pytest.approx(expected, rel=1e-5)


def test_latent_gaussians_are_bounded_and_actor_samples_stay_in_the_box_with_gradient():
    torch.manual_seed(0)
    head = LatentGaussian(3, (8,), 4)
    with torch.no_grad():
        head.net[-1].bias.copy_(torch.tensor([500.0, -500, 0, 0, 500, -500, 0, 0]))
    dist = head(torch.zeros(2, 3))
    assert dist.mean.abs().max() <= 30 and dist.mean.abs().max() > 29
    assert (dist.stddev >= 0.1).all() and (dist.stddev <= 10.001).all()   # soft bounds
    actor = LatentActor(4, (8,), spaces.Box(-0.4, 0.4, (3,), np.float32))
    z = torch.randn(256, 4, requires_grad=True)
    action = actor.sample(z, std=5.0, clip=None)
    assert (action.abs() < 0.4).all()
    action.sum().backward()                                    # straight-through clamp
    assert z.grad.abs().sum() > 0


def test_exploration_std_follows_the_post_warm_up_clock():
    agent = ALM(ONE_D, ONE_D, ALMConfig(latent_dim=2, hidden=4, model_hidden=4,
                                        random_steps=10, std_duration=100))
    assert agent.exploration_std() == 1.0
    agent.replay.transitions = 60                              # 50 post-warm-up steps
    assert agent.exploration_std() == pytest.approx(0.55)
    agent.replay.transitions = 1000
    assert agent.exploration_std() == pytest.approx(0.1)


@pytest.mark.slow
def test_alm_learns_point_goal(tmp_path):
    """3,000 steps, 64-unit nets, the paper's lr 1e-4: final -3.7 / -3.3 / -4.1 / -3.7 on seeds
    0-3 (success 0.5 / 0.9 / 0.4 / 0.7); random about -15. At lr 3e-4 one seed in three
    saturated its tanh actor at the box edge (-14.5), so the paper's lr is kept."""
    torch.manual_seed(0)
    env = make_point_goal()
    agent = ALM(env.observation_space, env.action_space,
                ALMConfig(hidden=64, model_hidden=64, latent_dim=8, batch_size=64,
                          random_steps=300, std_duration=2000), seed=0)
    final = train_point_goal(agent, tmp_path, 3000)
    assert final["mean_return"] > -6 and final["success_rate"] >= 0.3
