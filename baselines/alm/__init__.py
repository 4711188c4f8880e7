"""Baseline adapter: alm with the paper's defaults (see README.md)."""

from wmagents.agents.alm import make_agent

__all__ = ["make_agent"]
