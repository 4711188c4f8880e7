"""ALM(K): Aligned Latent Models (Ghugare et al. 2023, "Simplifying Model-based RL: Learning
Representations, Latent-space Models, and Policies with One Objective", arXiv:2209.08466).

Algorithm 1, with the losses as the authors' code computes them (``../shared/specs/
alm_family.md`` §3). After ``random_steps`` uniform actions, every env step makes one update:

1. **Encoder + latent model** (eq. 7, one Adam): on sequences of K steps, ``z_0 ~ e(s_0)``
   (reparameterised), then for t < K add ``KL(m(z_t, a_t) || e_target(s_{t+1})) -
   r(z_t, a_t)`` and step ``z_{t+1} ~ m(z_t, a_t)`` under the *replayed* actions; finally
   ``- min_i Q_i(z_K, a_K)``, ``a_K ~ pi(z_K)``. Reward net and critic are frozen; the code has
   no gamma^t here (its footnote 2).
2. **Reward + classifier** (eq. 11 MSE, eq. 9 cross entropy, one Adam) on real transitions:
   the classifier tells ``z' ~ e_target(s')`` (label 1) from ``z^' ~ m(z, a)`` (label 0) for a
   random half of the batch.
3. **Critic** (eq. 10): ``y = r + gamma (1 - terminated) min_i Q'_i(z', a')`` on target-encoder
   latents, ``a' ~ pi(z')``.
4. **Actor** (eq. 8): an on-policy K-step rollout in the frozen model from a target-encoder
   latent, ``rho_t = r(z_t, a_t) + c log C/(1-C)(z_t, a_t, z_{t+1})``, lambda-returns with
   ``Q_K`` bootstrapped (App. D), objective ``mean_t gamma^t R_t``.
5. Polyak updates of the target encoder and target critic.

The actor's std is a schedule, linear 1.0 -> 0.1 over the first 100K post-warm-up steps; its
noise is clipped at 0.3 in the losses and unclipped when acting. Deviations from the code,
as the spec's decisions say: sequences never cross an episode end (the code checked only
terminals), and the evaluation action is the actor mean clamped to the box (the code's could
leave T-Humanoid's +-0.4 box). The clamp is per dimension; on every task's box it equals the
code's scalar ``low[0]``/``high[0]``. The code's 4,999 warm-up steps are 5,000 here.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from gymnasium import spaces
from torch.distributions import kl_divergence

from wmagents.agents.random_agent import random_action
from wmagents.api import Transition, make_config
from wmagents.models.alm_nets import Classifier, LatentActor, LatentGaussian, TwinCritic, value_net
from wmagents.models.imagination import cumulative_discount, lambda_return
from wmagents.nn import (Checkpointed, frozen, fused_adam, obs_tensor, optimizer_step,
                         require_vector_box, resolve_device, soft_update, torch_batch)
from wmagents.replay import ReplayBuffer


@dataclass
class ALMConfig:
    horizon: int = 3                     # Table 3: K = 3 (model and policy rollouts)
    latent_dim: int = 50                 # Table 3: latent size 50
    hidden: int = 512                    # Table 4: encoder, reward, critic, classifier, actor
    model_hidden: int = 1024             # Table 4: latent model 2 x 1024
    lr: float = 1e-4                     # Table 3: all four Adams
    max_grad_norm: float = 100.0         # Table 3: gradient norm clip
    gamma: float = 0.99                  # Table 3: discount
    lam: float = 0.95                    # App. D: lambda of the policy's returns
    tau: float = 0.005                   # Table 3: target encoder and critic Polyak rate
    batch_size: int = 512                # Table 3: batch (sequences and transitions)
    classifier_weight: float = 0.1       # Sec. 4 / App. A.8: c
    std_start: float = 1.0               # Table 3: exploration std schedule linear(1.0, ...
    std_end: float = 0.1                 # Table 3: ... 0.1, ...
    std_duration: int = 100_000          # ... 100000) over post-warm-up steps (code)
    std_clip: float = 0.3                # Table 3: noise clip in the losses
    random_steps: int = 5_000            # Table 3: warm-up 5000 uniform random steps
    replay_capacity: int = 100_000       # Table 3 / code: 1e5 (the code's T-Humanoid too)


class ALM(Checkpointed):
    def __init__(self, observation_space: spaces.Space, action_space: spaces.Space,
                 config: ALMConfig | None = None, seed: int = 0, device: str = "auto"):
        require_vector_box("ALM", observation_space, action_space)
        self.config = c = config or ALMConfig()
        if c.horizon < 1:
            raise ValueError(f"horizon must be >= 1, got {c.horizon}")
        self.action_space = action_space
        self.device = resolve_device(device)
        self.rng = np.random.default_rng(seed)
        self.replay = ReplayBuffer(observation_space, action_space, c.replay_capacity, seed)
        obs_dim, act_dim, z_dim = observation_space.shape[0], action_space.shape[0], c.latent_dim
        self.encoder = LatentGaussian(obs_dim, (c.hidden, c.hidden), z_dim).to(self.device)
        self.encoder_target = copy.deepcopy(self.encoder).requires_grad_(False)
        self.model = LatentGaussian(z_dim + act_dim, (c.model_hidden,) * 2, z_dim).to(self.device)
        self.reward = value_net(z_dim + act_dim, c.hidden, 1).to(self.device)
        self.classifier = Classifier(z_dim, act_dim, c.hidden).to(self.device)
        self.critic = TwinCritic(z_dim + act_dim, c.hidden).to(self.device)
        self.critic_target = copy.deepcopy(self.critic).requires_grad_(False)
        self.actor = LatentActor(z_dim, (c.hidden, c.hidden), action_space).to(self.device)
        self.optimizers = {
            "model": fused_adam(itertools.chain(self.encoder.parameters(),
                                                      self.model.parameters()), lr=c.lr),
            "reward": fused_adam(itertools.chain(self.reward.parameters(),
                                                       self.classifier.parameters()), lr=c.lr),
            "critic": fused_adam(self.critic.parameters(), lr=c.lr),
            "actor": fused_adam(self.actor.parameters(), lr=c.lr)}

    # -- acting ---------------------------------------------------------------------------------
    def exploration_std(self) -> float:
        """Linear ``std_start -> std_end`` over ``std_duration`` post-warm-up steps."""
        c = self.config
        progress = min(max(self.replay.transitions - c.random_steps, 0) / c.std_duration, 1.0)
        return c.std_end + (1 - progress) * (c.std_start - c.std_end)

    def reset(self, explore: bool):
        return None

    def act(self, obs, state, explore: bool):
        if explore and self.replay.transitions < self.config.random_steps:
            return random_action(self.action_space, self.rng), state
        with torch.no_grad():
            z = self.encoder(obs_tensor(obs, self.device)).sample()
            action = (self.actor.sample(z, self.exploration_std(), clip=None) if explore
                      else self.actor.clamp(self.actor.mean(z)))
        return action[0].cpu().numpy().astype(self.action_space.dtype), state

    def observe(self, transition: Transition) -> dict[str, float]:
        self.replay.add(transition)
        if self.replay.transitions <= self.config.random_steps:
            return {}
        return self.update()

    # -- one update (Algorithm 1) -----------------------------------------------------------------
    def update(self) -> dict[str, float]:
        c, std = self.config, self.exploration_std()
        sequences = torch_batch(self.replay.sample_sequences(c.batch_size, c.horizon),
                                self.device, floats=("obs",))
        metrics = {"model_loss": self.step("model", self.model_loss(sequences, std))}
        b = torch_batch(self.replay.sample(c.batch_size), self.device)
        action = b["action"].float()
        with torch.no_grad():                 # each loss below draws its own latent samples
            z_dist, next_z_dist = self.encoder_target(b["obs"]), self.encoder_target(b["next_obs"])
            imagined_next_z = self.model(z_dist.sample(), action).sample()
        metrics["reward_loss"] = self.step("reward", self.reward_classifier_loss(
            z_dist.sample(), action, b["reward"], next_z_dist.sample(), imagined_next_z))
        metrics["critic_loss"] = self.step("critic", self.critic_loss(
            z_dist.sample(), action, b["reward"], b["terminated"], next_z_dist.sample(), std))
        metrics["actor_loss"] = self.step("actor", self.actor_loss(z_dist.sample(), std))
        soft_update(self.encoder_target, self.encoder, c.tau)
        soft_update(self.critic_target, self.critic, c.tau)
        return {**metrics, "exploration_std": std}

    def step(self, name: str, loss: torch.Tensor) -> float:
        optimizer = self.optimizers[name]
        parameters = [p for group in optimizer.param_groups for p in group["params"]]
        return optimizer_step(optimizer, loss, parameters, self.config.max_grad_norm,
                              error_if_nonfinite=True)

    def model_loss(self, seq: dict[str, torch.Tensor], std: float) -> torch.Tensor:
        """Eq. 7 as the code has it: sum_t [KL(m || e_target) - r] - min Q at z_K."""
        obs, actions = seq["obs"].transpose(0, 1), seq["action"].transpose(0, 1).float()
        z = self.encoder(obs[0]).rsample()
        loss = 0.0
        with frozen(self.reward), frozen(self.critic):
            for t in range(self.config.horizon):
                prior = self.model(z, actions[t])
                with torch.no_grad():
                    posterior = self.encoder_target(obs[t + 1])
                loss = loss + kl_divergence(prior, posterior) - self.reward(
                    torch.cat([z, actions[t]], -1)).squeeze(-1)
                z = prior.rsample()
            with torch.no_grad():
                last_action = self.actor.sample(z, std, self.config.std_clip)
            loss = loss - self.critic(z, last_action).min(0).values
        return loss.mean()

    def reward_classifier_loss(self, z, action, reward, next_z, imagined_next_z) -> torch.Tensor:
        """Eq. 11 (reward MSE) + eq. 9 (cross entropy: real z' label 1, imagined label 0)."""
        n = len(z)
        imagined = torch.zeros(n, dtype=torch.bool, device=z.device)
        imagined[torch.as_tensor(self.rng.choice(n, n // 2, replace=False), device=z.device)] = True
        shown = torch.where(imagined[:, None], imagined_next_z, next_z)
        logits = self.classifier(z, action, shown)
        predicted = self.reward(torch.cat([z, action], -1)).squeeze(-1)
        return F.mse_loss(predicted, reward) + F.cross_entropy(logits, (~imagined).long())

    def critic_loss(self, z, action, reward, terminated, next_z, std) -> torch.Tensor:
        """Eq. 10: TD on target-encoder latents with the clipped double-Q target."""
        with torch.no_grad():
            next_action = self.actor.sample(next_z, std, self.config.std_clip)
            next_q = self.critic_target(next_z, next_action).min(0).values
            target = reward + self.config.gamma * (1 - terminated) * next_q
        q = self.critic(z, action)
        return (F.mse_loss(q[0], target) + F.mse_loss(q[1], target)) / 2

    def actor_loss(self, z: torch.Tensor, std: float) -> torch.Tensor:
        """Eq. 8 with App. D's lambda-returns over an on-policy K-step imagined rollout."""
        c = self.config
        latents, actions = [z], []
        with frozen(self.model), frozen(self.reward), frozen(self.classifier), \
                frozen(self.critic):
            for _ in range(c.horizon):
                actions.append(self.actor.sample(latents[-1].detach(), std, c.std_clip))
                latents.append(self.model(latents[-1], actions[-1]).rsample())
            actions.append(self.actor.sample(latents[-1].detach(), std, c.std_clip))
            zs, acts = torch.stack(latents), torch.stack(actions)
            rho = self.reward(torch.cat([zs[:-1], acts[:-1]], -1)).squeeze(-1) \
                + c.classifier_weight * self.classifier.log_odds(zs[:-1], acts[:-1],
                                                                 zs[1:].detach())
            q = self.critic(zs, acts.detach()).min(0).values              # Q_0 .. Q_K
            discount = torch.full_like(rho, c.gamma)
            returns = lambda_return(rho, q, discount, c.lam)
            return -(cumulative_discount(discount, c.horizon) * returns).mean()

    # -- checkpoints ------------------------------------------------------------------------------
    def _parts(self) -> dict:
        return {"encoder": self.encoder, "encoder_target": self.encoder_target,
                "model": self.model, "reward": self.reward, "classifier": self.classifier,
                "critic": self.critic, "critic_target": self.critic_target, "actor": self.actor,
                **{f"{name}_optimizer": opt for name, opt in self.optimizers.items()},
                "replay": self.replay, "rng": self.rng}



def make_agent(observation_space, action_space, *, seed, device, overrides):
    return ALM(observation_space, action_space, make_config(ALMConfig, overrides),
               seed=seed, device=device)
