"""Baseline adapter: uniform random actions (see README.md)."""

from wmagents.agents.random_agent import make_agent

__all__ = ["make_agent"]
