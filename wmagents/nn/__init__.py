"""Small building blocks shared by agents: MLPs, target-network updates, device choice."""

from wmagents.nn.core import mlp, resolve_device, soft_update

__all__ = ["mlp", "resolve_device", "soft_update"]
