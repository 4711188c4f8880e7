"""Baseline adapter: parsimonious_sac with the paper's defaults (see README.md)."""

from wmagents.agents.parsimonious_sac import make_agent

__all__ = ["make_agent"]
