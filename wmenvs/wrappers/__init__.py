"""Wrappers shared by wmenvs families and agents (layout only: a paper's protocol is an ID)."""

from wmenvs.wrappers.channel_first import ChannelFirst
from wmenvs.wrappers.frame_stack import ChannelFirstFrameStack

__all__ = ["ChannelFirst", "ChannelFirstFrameStack"]
