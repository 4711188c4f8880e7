"""Baseline adapter: pixel_td3 with the paper's defaults (see README.md)."""

from wmagents.agents.pixel_td3 import make_agent

__all__ = ["make_agent"]
