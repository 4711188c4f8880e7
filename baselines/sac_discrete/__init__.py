"""Baseline adapter: sac_discrete with the paper's defaults (see README.md)."""

from wmagents.agents.sac_discrete import make_agent

__all__ = ["make_agent"]
