"""Stand-ins for networks in hand-computed tests: a module that computes a closed form."""

from torch import nn


class Fn(nn.Module):
    """``forward(*x) = f(*x)``; keyword arguments become methods (e.g. ``sample=...``)."""

    def __init__(self, f, **methods):
        super().__init__()
        self.f = f
        for name, method in methods.items():
            setattr(self, name, method)

    def forward(self, *x):
        return self.f(*x)
