"""Wrappers shared by wmenvs families and agents."""

from wmenvs.wrappers.action_repeat import ActionRepeat
from wmenvs.wrappers.channel_first import ChannelFirst
from wmenvs.wrappers.frame_stack import ChannelFirstFrameStack
from wmenvs.wrappers.protocol import Protocol, make_protocol_env, protocol

__all__ = ["ActionRepeat", "ChannelFirst", "ChannelFirstFrameStack", "Protocol", "make_protocol_env", "protocol"]
