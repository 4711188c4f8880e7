"""Baseline adapter: VSG (Jain et al. 2022; ``--set preset=svsg`` and the other presets of
``wmagents.agents.vsg``); run it on the ``wmenvs/Dreamer-*`` IDs or the ShapeHerd BBS IDs."""

from wmagents.agents.vsg import make_agent

__all__ = ["make_agent"]
