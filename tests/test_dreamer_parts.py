"""What Dreamer ports most often get wrong: return alignment, KL balancing, the VSG gate."""

import pytest
import torch

from wmagents.models.dreamer_rssm import (DynamicsConfig, LatentDynamics, gate_sparsity_loss,
                                          gated_update, kl_loss)
from wmagents.models.imagination import behaviour_targets, lambda_return

# a 3-step imagination: states s_0..s_3, reward r_t and value v_t at s_t, discount 0.5, lambda 0.5
REWARD = torch.tensor([1.0, 2.0, 3.0, 4.0])[:, None]
VALUE = torch.tensor([10.0, 20.0, 30.0, 40.0])[:, None]
DISCOUNT = torch.full((4, 1), 0.5)
ENTROPY = torch.tensor([0.1, 0.2, 0.3, 0.4])[:, None]


def test_lambda_return_recursion_by_hand():
    # R_2 = 3 + .5 * 40 = 23; R_1 = 2 + .5 (.5 * 30 + .5 * 23) = 15.25;
    # R_0 = 1 + .5 (.5 * 20 + .5 * 15.25) = 9.8125
    returns = lambda_return(REWARD[:3], VALUE, DISCOUNT[:3], 0.5)
    torch.testing.assert_close(returns[:, 0], torch.tensor([9.8125, 15.25, 23.0]))
    # lambda = 1: discounted reward sum plus bootstrap; lambda = 0: one-step TD targets
    torch.testing.assert_close(lambda_return(REWARD[:3], VALUE, DISCOUNT[:3], 1.0)[0, 0],
                               torch.tensor(1 + .5 * 2 + .25 * 3 + .125 * 40))
    torch.testing.assert_close(lambda_return(REWARD[:3], VALUE, DISCOUNT[:3], 0.0)[:, 0],
                               torch.tensor([11.0, 17.0, 23.0]))


@pytest.mark.parametrize("alignment,actor,actor_weight,actor_states,value,value_weight,value_states", [
    # DreamerV1: s_1..s_3 only; R_1 = 15.25, R_2 = 23, weights gamma^(t-1); no entropy term
    ("v1", [15.25, 23.0], [1.0, 0.5], slice(1, 3), [15.25, 23.0], [1.0, 0.5], slice(1, 3)),
    # DreamerV2: R_0..R_2 over s_0..s_2; the actor at s_t scores R_{t+1} + eta H(s_t)
    ("v2", [15.25 + 0.1 * 0.1, 23.0 + 0.1 * 0.2], [1.0, 0.5], slice(0, 2),
     [9.8125, 15.25, 23.0], [1.0, 0.5, 0.25], slice(0, 3)),
    # VSG: s_3 dropped; R_1 = 2 + .5 * 30 = 17, R_0 = 1 + .5 (.5 * 20 + .5 * 17) = 10.25;
    # the actor at s_t scores R_t + eta H(s_t)
    ("vsg", [10.25 + 0.1 * 0.1, 17.0 + 0.1 * 0.2], [1.0, 0.5], slice(0, 2),
     [10.25, 17.0], [1.0, 0.5], slice(0, 2)),
])
def test_behaviour_targets_alignment_by_hand(alignment, actor, actor_weight, actor_states, value,
                                             value_weight, value_states):
    eta = 0.0 if alignment == "v1" else 0.1
    targets = behaviour_targets(alignment, REWARD, VALUE, DISCOUNT, ENTROPY, 0.5, eta)
    torch.testing.assert_close(targets.actor_objective[:, 0], torch.tensor(actor))
    torch.testing.assert_close(targets.actor_weight[:, 0], torch.tensor(actor_weight))
    torch.testing.assert_close(targets.value_target[:, 0], torch.tensor(value))
    torch.testing.assert_close(targets.value_weight[:, 0], torch.tensor(value_weight))
    assert (targets.actor_states, targets.value_states) == (actor_states, value_states)


def test_actor_objective_carries_the_value_gradient():
    value = VALUE.clone().requires_grad_(True)
    targets = behaviour_targets("v2", REWARD, value, DISCOUNT, ENTROPY, 0.5, 0.0)
    targets.actor_objective.sum().backward()
    assert value.grad[-1].item() > 0 and not targets.value_target.requires_grad


def _gaussian_pair(post_mean: float, prior_mean: float):
    post = {"mean": torch.full((4, 3), post_mean, requires_grad=True), "std": torch.ones(4, 3)}
    prior = {"mean": torch.full((4, 3), prior_mean, requires_grad=True), "std": torch.ones(4, 3)}
    return post, prior


def test_kl_balancing_splits_the_gradient_0_2_to_the_posterior_and_0_8_to_the_prior():
    dynamics = LatentDynamics(1, 1, DynamicsConfig(stoch=3))
    post, prior = _gaussian_pair(1.0, 0.0)     # KL = 3 * 0.5 = 1.5 per row
    loss, value = kl_loss(dynamics, post, prior, balance=0.8, free=0.0)
    loss.backward()
    torch.testing.assert_close(loss, torch.tensor(1.5))
    torch.testing.assert_close(value, torch.tensor(1.5))
    # d KL / d post_mean = (post - prior) = 1 per element, averaged over 4 rows
    torch.testing.assert_close(post["mean"].grad, torch.full((4, 3), 0.2 / 4))
    torch.testing.assert_close(prior["mean"].grad, torch.full((4, 3), -0.8 / 4))


def test_balance_one_half_is_dreamerv1s_unbalanced_kl():
    dynamics = LatentDynamics(1, 1, DynamicsConfig(stoch=3))
    post, prior = _gaussian_pair(1.0, 0.0)
    loss, _ = kl_loss(dynamics, post, prior, balance=0.5, free=0.0)
    loss.backward()
    twin_post, twin_prior = _gaussian_pair(1.0, 0.0)
    dynamics.kl(twin_post, twin_prior).mean().backward()
    torch.testing.assert_close(post["mean"].grad, twin_post["mean"].grad)
    torch.testing.assert_close(prior["mean"].grad, twin_prior["mean"].grad)


def test_free_nats_apply_after_the_mean_and_stop_the_gradient():
    dynamics = LatentDynamics(1, 1, DynamicsConfig(stoch=3))
    for balance in (0.5, 0.8):
        post, prior = _gaussian_pair(1.0, 0.0)
        loss, _ = kl_loss(dynamics, post, prior, balance=balance, free=3.0)
        loss.backward()
        assert loss.item() == 3.0 and post["mean"].grad.abs().sum() == 0


def test_straight_through_gate_is_binary_forward_with_gradient_to_p():
    p = torch.tensor([0.3, 0.7, 0.5], requires_grad=True)
    new, previous = torch.tensor([1.0, 2.0, 3.0]), torch.tensor([-1.0, -2.0, -3.0])
    open_ = torch.tensor([True, False, True])
    out = gated_update(open_, p, new, previous)
    assert out.tolist() == [1.0, -2.0, 3.0]
    out.sum().backward()
    torch.testing.assert_close(p.grad, new - previous)


def _step(config: DynamicsConfig, seed: int = 0, dynamics=None):
    torch.manual_seed(seed)
    dynamics = dynamics or LatentDynamics(2, 5, config)
    state = dynamics.initial(64)
    state = {k: torch.randn_like(v) if k in ("deter", "stoch") else v for k, v in state.items()}
    prior, post = dynamics.obs_step(state, torch.randn(64, 2), torch.randn(64, 5))
    return state, prior, post


def test_vsg_closed_gates_keep_the_deterministic_state_bit_identical():
    state, prior, post = _step(DynamicsConfig(deter=16, hidden=8, stoch=4, cell="vsg",
                                              std="sigmoid2"))
    changed = prior["deter"] != state["deter"]
    assert 0 < changed.float().mean() < 1       # some gates opened, some stayed shut
    assert torch.equal(post["deter"], prior["deter"])   # the posterior reuses the prior's gates
    # p = sigmoid(update - 1) starts below 1/2: on average fewer than half the gates open
    assert changed.float().mean() < 0.5 and prior["gate_prob"].mean() < 0.5


def test_svsg_keeps_ungated_stochastic_dimensions_bit_identical_and_masks_their_kl():
    config = DynamicsConfig(hidden=8, stoch=6, cell="vsg", std="sigmoid2", stochastic_only=True)
    state, prior, post = _step(config)
    closed = post["gate"] == 0
    assert closed.any() and (~closed).any()
    assert torch.equal(post["stoch"][closed], state["stoch"][closed])
    assert torch.equal(prior["stoch"][closed], state["stoch"][closed])
    dynamics = LatentDynamics(2, 5, config)
    masked = {**post, "gate": torch.zeros_like(post["gate"])}
    assert dynamics.kl(masked, prior).abs().max() == 0
    assert dynamics.features(post).shape == (64, 6)


def test_categorical_latents_are_one_hot_forward_with_gradient_to_the_logits():
    dynamics = LatentDynamics(2, 5, DynamicsConfig(deter=8, hidden=8, stoch=3, classes=4,
                                                   cell="ln_gru", std="sigmoid2"))
    _, prior, post = _step(dynamics.config, dynamics=dynamics)
    groups = post["stoch"].view(64, 3, 4)
    assert torch.equal(groups.detach().sum(-1), torch.ones(64, 3))
    assert set(groups.detach().unique().tolist()) == {0.0, 1.0}
    (groups * torch.randn(3, 4)).sum().backward()   # straight-through: reaches the posterior net
    assert dynamics.post_net[-1].weight.grad.abs().sum() > 0


def test_gate_sparsity_loss_matches_eq_3():
    p = torch.full((2, 5, 4), 0.9)
    kl = 0.9 * torch.log(torch.tensor(0.9 / 0.4)) + 0.1 * torch.log(torch.tensor(0.1 / 0.6))
    torch.testing.assert_close(gate_sparsity_loss(p), 0.1 * 4 * kl)
    at_kappa = torch.full((2, 5, 4), 0.4, requires_grad=True)
    loss = gate_sparsity_loss(at_kappa)
    loss.backward()
    assert loss.item() == pytest.approx(0.01) and at_kappa.grad.abs().sum() == 0


@pytest.mark.parametrize("kwargs,name", [(dict(cell="lstm"), "cell"), (dict(std="exp"), "std"),
                                         (dict(stochastic_only=True), "stochastic_only")])
def test_bad_dynamics_config_is_refused_by_name(kwargs, name):
    with pytest.raises(ValueError, match=name):
        DynamicsConfig(**kwargs)
