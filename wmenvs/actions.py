"""Action validation shared by every wmenvs environment.

A bad action must never produce a silently wrong episode: NaN/inf, a wrong shape or a
non-numeric dtype raise a ``ValueError`` that names the action; finite out-of-range values of
a ``Box`` are clipped to its bounds before the env uses them. That is this project's rule, not
the originals': MuJoCo clipped the control itself, but the original arms and locomotion tasks
charged their control cost on the raw, unclipped action, and wmenvs charges it on the clipped
one.
"""

from __future__ import annotations


import numpy as np
from gymnasium import spaces

_NUMERIC_KINDS = "fiu"  # float, signed int, unsigned int; bool, complex, str, object are refused


def _as_array(action) -> np.ndarray:
    try:
        return np.asarray(action)
    except ValueError as error:                 # ragged nested lists
        raise ValueError(f"action {action!r} is not a rectangular array: {error}") from None


def validate_box_action(action, space: spaces.Box) -> np.ndarray:
    """Return ``action`` as a fresh array of ``space.dtype`` clipped to the bounds."""
    array = _as_array(action)
    if array.dtype.kind not in _NUMERIC_KINDS:
        raise ValueError(f"action has dtype {array.dtype}; expected real numbers for {space}")
    if array.shape != space.shape:
        raise ValueError(f"action has shape {array.shape}; expected {space.shape} for {space}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"action contains NaN or inf: {array!r}")
    return np.clip(array, space.low, space.high).astype(space.dtype)


def validate_discrete_action(action, space: spaces.Discrete) -> int:
    """Return ``action`` as a Python int in ``[space.start, space.start + space.n)``."""
    array = _as_array(action)
    if array.shape != ():
        raise ValueError(f"action has shape {array.shape}; expected a scalar for {space}")
    if array.dtype.kind not in "iu":
        if array.dtype.kind != "f" or not np.isfinite(array) or array != np.round(array):
            raise ValueError(f"action {action!r} (dtype {array.dtype}) is not an integer for {space}")
    value = int(array)
    if not space.start <= value < space.start + space.n:
        raise ValueError(f"action {value} is outside {space}")
    return value


def validate_action(action, space: spaces.Space):
    """Dispatch on the space type; see the module docstring for the rules."""
    if isinstance(space, spaces.Box):
        return validate_box_action(action, space)
    if isinstance(space, spaces.Discrete):
        return validate_discrete_action(action, space)
    raise TypeError(f"no action validation for {type(space).__name__}")


__all__ = ["validate_action", "validate_box_action", "validate_discrete_action"]
