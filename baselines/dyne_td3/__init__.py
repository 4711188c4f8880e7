"""Baseline adapter: dyne_td3 with the paper's defaults (see README.md)."""

from wmagents.agents.dyne_td3 import make_agent

__all__ = ["make_agent"]
