"""Baseline adapter: parsimonious_planning with the paper's defaults (see README.md)."""

from wmagents.agents.parsimonious_planning import make_agent

__all__ = ["make_agent"]
