"""Actor-critic parts in wmagents.nn: what each promises, on tiny inputs."""

import numpy as np
import pytest
import torch
from gymnasium import spaces

from wmagents.nn import (DeterministicActor, QEnsemble, TanhGaussianActor, Temperature,
                         UpdateSchedule, optimizer_step, soft_update)

BOX = spaces.Box(np.array([-2.0, 0.0], np.float32), np.array([2.0, 1.0], np.float32))


def test_q_ensemble_members_are_independent():
    torch.manual_seed(0)
    q = QEnsemble(3, (8,), 1, n=5)
    with torch.no_grad():
        out = q(torch.randn(4, 3))
    assert out.shape == (5, 4, 1)
    assert len({round(float(v), 6) for v in out[:, 0, 0]}) == 5


@pytest.mark.parametrize("actor_cls", [TanhGaussianActor, DeterministicActor])
def test_actors_stay_inside_the_box(actor_cls):
    torch.manual_seed(0)
    actor = actor_cls(3, (16,), BOX)
    with torch.no_grad():
        for layer in actor.net:           # large weights push tanh to its bounds
            if isinstance(layer, torch.nn.Linear):
                layer.weight.mul_(50)
    obs = torch.randn(256, 3)
    actions = actor.sample(obs)[0] if actor_cls is TanhGaussianActor else actor(obs)
    low, high = torch.as_tensor(BOX.low), torch.as_tensor(BOX.high)
    assert ((actions >= low) & (actions <= high)).all()
    assert (actions[:, 0] < -1.5).any() and (actions[:, 0] > 1.5).any()   # reaches the scale


def test_tanh_gaussian_log_prob_matches_the_change_of_variables():
    """log pi(a) = log N(u) - sum log(scale * (1 - tanh(u)^2)) (SAC appendix C, eq. 21)."""
    torch.manual_seed(1)
    actor = TanhGaussianActor(2, (8,), BOX)
    obs = torch.randn(3, 2)
    torch.manual_seed(2)
    action, log_prob = actor.sample(obs)
    torch.manual_seed(2)
    mean, log_std = actor.net(obs).chunk(2, -1)
    u = mean + log_std.exp() * torch.randn_like(mean)
    squashed = (action - actor.bias) / actor.scale
    assert torch.allclose(squashed, torch.tanh(u), atol=1e-6)
    expected = (torch.distributions.Normal(mean, log_std.exp()).log_prob(u)
                - torch.log(actor.scale * (1 - torch.tanh(u) ** 2) + 1e-6)).sum(-1)
    assert torch.allclose(log_prob, expected, atol=1e-5)


def test_temperature_rises_below_the_target_entropy_and_is_fixed_when_not_tuned():
    tuned = Temperature(1.0, True, lr=0.1, device=torch.device("cpu"))
    assert tuned.update(torch.tensor([0.0]), target=1.0) > 1.0
    fixed = Temperature(0.5, False, lr=0.1, device=torch.device("cpu"))
    assert fixed.update(torch.tensor([0.0]), target=1.0) == 0.5 and fixed.optimizer is None
    clone = Temperature(1.0, True, lr=0.1, device=torch.device("cpu"))
    clone.load_state_dict(tuned.state_dict())
    assert float(clone.alpha) == float(tuned.alpha)


def test_update_schedule_waits_then_counts_steps_and_episode_ends():
    schedule = UpdateSchedule(learning_starts=3, per_step=1, per_episode=4)
    assert [schedule.updates(n, False) for n in range(5)] == [0, 0, 0, 1, 1]
    assert schedule.updates(2, True) == 0 and schedule.updates(3, True) == 5
    assert UpdateSchedule(0, 1, 0).updates(0, False) == 0     # nothing stored yet


def test_optimizer_step_clips_and_soft_update_interpolates():
    net = torch.nn.Linear(2, 1)
    target = torch.nn.Linear(2, 1)
    with torch.no_grad():
        net.weight.zero_(), net.bias.zero_(), target.weight.fill_(1.0), target.bias.fill_(1.0)
    optimizer = torch.optim.SGD(net.parameters(), lr=1.0)
    loss = optimizer_step(optimizer, (net(torch.ones(1, 2)) - 100).pow(2).sum(),
                          net.parameters(), max_norm=1.0)
    assert loss == 10_000 and float((net.weight.norm() ** 2 + net.bias ** 2).detach()) == pytest.approx(1.0)
    soft_update(target, net, tau=0.25)
    assert torch.allclose(target.weight, 0.75 + 0.25 * net.weight)


@pytest.mark.parametrize("bounds", [None, (-5.0, 2.0)])
def test_tanh_gaussian_closed_form_log_prob_matches_torch_distributions_value_and_gradient(bounds):
    torch.manual_seed(0)
    actor = TanhGaussianActor(3, (8,), spaces.Box(-2.0, 2.0, (2,), np.float32), bounds)
    obs = torch.randn(64, 3)
    torch.manual_seed(1)
    action, log_prob = actor.sample(obs)
    grads = torch.autograd.grad(log_prob.sum() + action.sum(), list(actor.parameters()))
    torch.manual_seed(1)
    mean, raw = actor.net(obs).chunk(2, -1)
    log_std = raw.clamp(-20, 2) if bounds is None else \
        bounds[0] + (bounds[1] - bounds[0]) * (torch.tanh(raw) + 1) / 2
    u = mean + log_std.exp() * torch.randn_like(mean)
    squashed = torch.tanh(u)
    reference = (torch.distributions.Normal(mean, log_std.exp()).log_prob(u)
                 - torch.log(actor.scale * (1 - squashed.pow(2)) + 1e-6)).sum(-1)
    reference_grads = torch.autograd.grad(reference.sum() + actor.to_box(squashed).sum(),
                                          list(actor.parameters()))
    torch.testing.assert_close(log_prob, reference, atol=1e-5, rtol=1e-5)
    for ours, theirs in zip(grads, reference_grads):
        torch.testing.assert_close(ours, theirs, atol=1e-4, rtol=1e-4)
