"""Baseline adapter: mbpo with the paper's defaults (see README.md)."""

from wmagents.agents.mbpo import make_agent

__all__ = ["make_agent"]
