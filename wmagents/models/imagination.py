"""Lambda-returns and the behaviour-learning targets of Dreamer V1, DreamerV2 and VSG.

Every version imagines from a start state ``s_0`` (a posterior state) with ``a ~ pi(s_t)``,
``s_{t+1} = img(s_t, a)``, t = 0..H-1 (Hafner et al. 2020, eq. 4-6; VSG paper eq. 4-5). The
versions differ in which of the H + 1 states enter the returns, the actor and the critic; each
``alignment`` below follows the code the scores came from, index by index:

* ``"v1"`` (DreamerV1): states s_1..s_H; R_t for t = 1..H-1 with R_H := v_H; weights
  gamma^(t-1); actor maximises R_t (+ eta entropy, eta = 0 in V1); critic regresses v(s_t) on R_t.
* ``"v2"`` (DreamerV2, final): states s_0..s_H; R_t for t = 0..H-1 with R_H := v_H; weights
  w_t = prod_{j<t} d_j; actor on s_0..s_{H-2} maximises R_{t+1} + eta H(pi(.|s_t)); critic
  on s_0..s_{H-1}.
* ``"vsg"`` (the VSG code): states s_0..s_{H-1}; R_t for t = 0..H-2 with R_{H-1} := v_{H-1};
  actor on s_0..s_{H-2} maximises R_t + eta H(pi(.|s_t)); critic on s_0..s_{H-2}.

with ``R_t = r_t + d_t [(1 - lambda) v_{t+1} + lambda R_{t+1}]`` (eq. 5 / DreamerV2 eq. 4) and
``r_t`` the reward head at ``s_t`` (the reward for arriving there).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

ALIGNMENTS = ("v1", "v2", "vsg")


def lambda_return(reward: torch.Tensor, value: torch.Tensor, discount: torch.Tensor,
                  lam: float) -> torch.Tensor:
    """``R_0..R_{n-1}`` from ``reward (n, ...)``, ``value (n + 1, ...)`` (v_0..v_n; R_n := v_n)
    and ``discount (n, ...)``."""
    returns, following = [], value[-1]
    for t in reversed(range(reward.shape[0])):
        following = reward[t] + discount[t] * ((1 - lam) * value[t + 1] + lam * following)
        returns.append(following)
    return torch.stack(returns[::-1])


def cumulative_discount(discount: torch.Tensor, n: int) -> torch.Tensor:
    """``w_0..w_{n-1}`` with ``w_0 = 1`` and ``w_t = prod_{j<t} discount_j`` (detached)."""
    ones = torch.ones_like(discount[:1])
    return torch.cumprod(torch.cat([ones, discount[:n - 1]]), 0).detach()


@dataclass
class BehaviourTargets:
    """What the actor maximises and the critic regresses, per imagined state and start."""

    actor_objective: torch.Tensor   # (n_actor, B): returns (+ eta entropy), with gradient
    actor_weight: torch.Tensor      # (n_actor, B), detached
    actor_states: slice             # the imagined states whose policy the objective scores
    value_target: torch.Tensor      # (n_value, B), detached
    value_weight: torch.Tensor      # (n_value, B), detached
    value_states: slice             # the imagined states the critic is fitted on


def behaviour_targets(alignment: str, reward: torch.Tensor, value: torch.Tensor,
                      discount: torch.Tensor, entropy: torch.Tensor, lam: float,
                      eta: float) -> BehaviourTargets:
    """Targets for ``reward``, ``value``, ``discount`` and policy ``entropy`` given at every
    imagined state s_0..s_H (shape ``(H + 1, B)``, s_0 the start); see the module docstring."""
    if alignment not in ALIGNMENTS:
        raise ValueError(f"alignment={alignment!r}; expected one of {ALIGNMENTS}")
    horizon = reward.shape[0] - 1
    if alignment == "v1":
        returns = lambda_return(reward[1:horizon], value[1:], discount[1:horizon], lam)
        weight = cumulative_discount(discount[1:], horizon - 1)
        states = slice(1, horizon)
        return BehaviourTargets(returns + eta * entropy[states], weight, states,
                                returns.detach(), weight, states)
    if alignment == "v2":
        returns = lambda_return(reward[:horizon], value, discount[:horizon], lam)
        weight = cumulative_discount(discount, horizon)
        actor = slice(0, horizon - 1)
        return BehaviourTargets(returns[1:] + eta * entropy[actor], weight[actor], actor,
                                returns.detach(), weight, slice(0, horizon))
    returns = lambda_return(reward[:horizon - 1], value[:horizon], discount[:horizon - 1], lam)
    weight = cumulative_discount(discount, horizon - 1)
    states = slice(0, horizon - 1)
    return BehaviourTargets(returns + eta * entropy[states], weight, states, returns.detach(),
                            weight, states)
