"""Small building blocks shared by agents: MLPs, ensembles, actor-critic parts, target updates,
frozen parameters, device."""

from wmagents.nn.actor_critic import (DeterministicActor, QEnsemble, TanhGaussianActor,
                                      Temperature, UpdateSchedule, load_states, optimizer_step,
                                      states)
from wmagents.nn.core import (frozen, mlp, obs_tensor, orthogonal_init, resolve_device,
                              soft_update, torch_batch)
from wmagents.nn.ensemble import EnsembleLinear, EnsembleMLP

__all__ = ["DeterministicActor", "EnsembleLinear", "EnsembleMLP", "QEnsemble",
           "TanhGaussianActor", "Temperature", "UpdateSchedule", "frozen", "load_states", "mlp",
           "obs_tensor", "optimizer_step", "orthogonal_init", "resolve_device", "soft_update", "states",
           "torch_batch"]
