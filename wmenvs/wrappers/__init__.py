"""Layout wrappers (channel-first images); a paper's protocol is an ID, not a wrapper stack."""

from wmenvs.wrappers.channel_first import ChannelFirst

__all__ = ["ChannelFirst"]
