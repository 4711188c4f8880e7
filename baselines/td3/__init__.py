"""Baseline adapter: td3 with the paper's defaults (see README.md)."""

from wmagents.agents.td3 import make_agent

__all__ = ["make_agent"]
