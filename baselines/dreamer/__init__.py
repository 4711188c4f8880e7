"""Baseline adapter: Dreamer (DreamerV2 defaults; ``--set preset=dreamerv1`` for DreamerV1);
run it on the ``wmenvs/Dreamer-*`` IDs, which carry the action repeat 2."""

from wmagents.agents.dreamer import make_agent

__all__ = ["make_agent"]
