"""An ensemble of equally shaped MLPs evaluated as one batched matrix product per layer.

REDQ's ten critics (Chen et al. 2021) and MBPO's seven dynamics models (Janner et al. 2019)
are ``n`` independent MLPs; running them as ``n`` separate ``nn.Linear`` stacks costs ``n``
kernel launches per layer. Here layer ``l`` holds weights ``(n, in, out)`` and every member is
computed by one ``torch.baddbmm``. Each member is initialised as ``nn.Linear`` would initialise
it on its own (weights and biases uniform in +-1/sqrt(fan_in)).
"""

from __future__ import annotations

import math

import torch
from torch import nn


class EnsembleLinear(nn.Module):
    def __init__(self, n: int, in_dim: int, out_dim: int):
        super().__init__()
        bound = 1 / math.sqrt(in_dim)
        self.weight = nn.Parameter(torch.empty(n, in_dim, out_dim).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(n, 1, out_dim).uniform_(-bound, bound))

    def forward(self, x: torch.Tensor, members: torch.Tensor | None = None) -> torch.Tensor:
        """``x``: ``(n, batch, in)``, or ``(batch, in)`` shared by all; ``members`` picks a
        subset (indices) of the ensemble, whose outputs alone are computed."""
        weight, bias = self.weight, self.bias
        if members is not None:
            weight, bias = weight[members], bias[members]
        if x.dim() == 2:
            x = x.expand(weight.shape[0], *x.shape)
        return torch.baddbmm(bias, x, weight)


class EnsembleMLP(nn.Module):
    """``n`` MLPs ``in -> hidden[0] -> ... -> out``; ``forward`` returns ``(n, batch, out)``."""

    def __init__(self, n: int, in_dim: int, hidden: tuple[int, ...], out_dim: int,
                 activation=nn.ReLU):
        super().__init__()
        widths = (in_dim, *hidden, out_dim)
        self.layers = nn.ModuleList(EnsembleLinear(n, a, b) for a, b in zip(widths, widths[1:]))
        self.activation = activation()
        self.n = n

    def forward(self, x: torch.Tensor, members: torch.Tensor | None = None) -> torch.Tensor:
        for i, layer in enumerate(self.layers):
            x = layer(x, members)
            if i < len(self.layers) - 1:
                x = self.activation(x)
        return x
