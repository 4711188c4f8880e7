"""Length-prefixed frames on a pipe between the evaluator and the sandboxed agent: a JSON
header and a byte payload each (:mod:`wmagents.harness.sandbox`). No wmenvs import here: the
agent process loads this module before it locks itself in."""

from __future__ import annotations

import json
import os
import pickle
import select
import struct
import time

MAX_HEADER = 1 << 24


def write_message(fd: int, header: dict, payload: bytes = b"") -> None:
    head = json.dumps(header).encode()
    for data in (struct.pack("<IQ", len(head), len(payload)) + head, payload):
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]


def _read_exactly(fd: int, n: int, deadline: float) -> bytes:
    chunks, left = [], n
    while left:
        wait = deadline - time.monotonic()
        if wait <= 0 or not select.select([fd], [], [], None if wait == float("inf") else wait)[0]:
            raise TimeoutError
        chunk = os.read(fd, min(left, 1 << 22))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_message(fd: int, timeout_s: float = float("inf"), max_payload: int | None = None
                 ) -> tuple[dict, bytes]:
    """One ``(header, payload)``; TimeoutError or EOFError; ValueError for a malformed frame."""
    deadline = time.monotonic() + timeout_s
    head_size, payload_size = struct.unpack("<IQ", _read_exactly(fd, 12, deadline))
    if head_size > MAX_HEADER or (max_payload is not None and payload_size > max_payload):
        raise ValueError(f"a reply of {head_size} + {payload_size} bytes")
    header = json.loads(_read_exactly(fd, head_size, deadline))
    if not isinstance(header, dict):
        raise ValueError("a reply header that is not a JSON object")
    return header, _read_exactly(fd, payload_size, deadline)


def write_request(fd: int, op: str, **fields) -> None:
    """Evaluator -> agent: the op in the header, the fields pickled (the agent trusts us)."""
    write_message(fd, {"op": op}, pickle.dumps(fields, protocol=5))
