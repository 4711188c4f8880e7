"""Small building blocks shared by agents: MLPs, actor-critic parts, target updates, device."""

from wmagents.nn.actor_critic import (DeterministicActor, QEnsemble, TanhGaussianActor,
                                      Temperature, UpdateSchedule, load_states, optimizer_step,
                                      states)
from wmagents.nn.core import mlp, obs_tensor, resolve_device, soft_update, torch_batch

__all__ = ["DeterministicActor", "QEnsemble", "TanhGaussianActor", "Temperature",
           "UpdateSchedule", "load_states", "mlp", "obs_tensor", "optimizer_step", "resolve_device",
           "soft_update", "states", "torch_batch"]
