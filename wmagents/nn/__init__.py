"""Small building blocks shared by agents: MLPs, ensembles, actor-critic parts, target updates,
frozen parameters, device."""

from wmagents.nn.actor_critic import (Checkpointed, DeterministicActor, QEnsemble,
                                      TanhGaussianActor, Temperature, UpdateSchedule, load_states,
                                      optimizer_step, require_vector_box, states)
from wmagents.nn.core import (bf16_autocast, frozen, fused_adam, mlp, obs_tensor,
                              orthogonal_init, resolve_device, soft_update, torch_batch)
from wmagents.nn.ensemble import EnsembleLinear, EnsembleMLP

__all__ = ["Checkpointed", "DeterministicActor", "EnsembleLinear", "EnsembleMLP", "QEnsemble",
           "TanhGaussianActor", "Temperature", "UpdateSchedule", "bf16_autocast", "frozen", "fused_adam",
           "load_states", "mlp", "obs_tensor", "optimizer_step", "orthogonal_init",
           "require_vector_box", "resolve_device", "soft_update", "states", "torch_batch"]
