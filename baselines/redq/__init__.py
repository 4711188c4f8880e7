"""Baseline adapter: redq with the paper's defaults (see README.md)."""

from wmagents.agents.redq import make_agent

__all__ = ["make_agent"]
