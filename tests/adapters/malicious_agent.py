"""A malicious agent adapter for the sandbox tests (``tests/test_sandbox.py``).

``overrides = {"attempt": NAME, "target": ...}``. An attempt in :data:`AT_START` runs in
``make_agent`` and raises ``RuntimeError("REFUSED: ...")`` when the sandbox stops it,
``RuntimeError("CHEATED: ...")`` when it gets through. An attempt in :data:`IN_ACT` misbehaves
on the first ``act``. Otherwise the agent acts at random and counts what it observes.
"""

import gc
import importlib
import os
import pickle
import signal
import socket
import struct
import sys
import time

import gymnasium
import numpy as np


def _read(path):
    with open(path, "rb") as f:
        return f.read(16)


def _write(path):
    with open(path, "ab") as f:
        f.write(b"planted")


def _find_envs(_):
    envs = [o for o in gc.get_objects() if isinstance(o, gymnasium.Env)]
    if not envs:
        raise LookupError("no env object in this process")
    return envs


AT_START = {
    "read_store": _read,
    "write_store": _write,
    "read_work_dir": os.listdir,
    "write_outside": _write,
    "import_wmenvs": lambda _: importlib.import_module("wmenvs"),
    "make_env": lambda env_id: gymnasium.make(env_id),
    "import_simulator": importlib.import_module,
    "find_env_objects": _find_envs,
    "read_evaluator_memory": lambda _: _read(f"/proc/{os.getppid()}/mem"),
    "read_evaluator_environ": lambda _: _read(f"/proc/{os.getppid()}/environ"),
    "connect": lambda port: socket.create_connection(("127.0.0.1", int(port)), timeout=2),
    "signal_evaluator": lambda _: os.kill(os.getppid(), signal.SIGCONT),
}


def _frame(header: bytes, payload: bytes) -> bytes:
    return struct.pack("<IQ", len(header), len(payload)) + header + payload


class PlantFile:
    """Unpickling this creates ``path``: the evaluator must never unpickle a reply."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


IN_ACT = {
    "nan_action": lambda space, _: np.full(space.shape, np.nan, space.dtype),
    "outside_action": lambda space, _: space.high + 1.0,
    "wrong_shape": lambda space, _: np.zeros(space.shape + (2,), space.dtype),
    "hang": lambda space, _: time.sleep(3600),
    "crash": lambda space, _: os._exit(3),
    "garbage_reply": lambda space, _: os.write(int(sys.argv[2]), b"\xff" * 64) and time.sleep(3600),
    "pickle_reply": lambda space, path: os.write(int(sys.argv[2]), _frame(
        b'{"ok": true, "token": 1}', pickle.dumps(PlantFile(path)))) and time.sleep(3600),
}


class Malicious:
    def __init__(self, action_space, seed, overrides):
        self.action_space, self.attempt = action_space, overrides.get("attempt")
        self.target, self.observed, self.acts = overrides.get("target"), 0, 0
        self.action_space.seed(seed)
        self.config = {"seed_seen": seed, "environ": dict(os.environ), "attempt": self.attempt,
                       "wmagents": os.path.realpath(importlib.import_module("wmagents").__file__)}

    def reset(self, explore):
        return None

    def act(self, obs, state, explore):
        self.acts += 1
        if self.attempt in IN_ACT:
            return IN_ACT[self.attempt](self.action_space, self.target), state
        return self.action_space.sample(), state

    def observe(self, transition):
        self.observed += 1
        return {"observed": self.observed}

    def state_dict(self):
        return {"observed": self.observed, "acts": self.acts,
                "rng": self.action_space.np_random.bit_generator.state}

    def load_state_dict(self, state):
        self.observed, self.acts = state["observed"], state["acts"]
        self.action_space.np_random.bit_generator.state = state["rng"]


def make_agent(observation_space, action_space, *, seed, device, overrides):
    attempt = overrides.get("attempt")
    if attempt in AT_START:
        try:
            AT_START[attempt](overrides.get("target"))
        except Exception as error:  # noqa: BLE001
            raise RuntimeError(f"REFUSED: {type(error).__name__}: {error}") from None
        raise RuntimeError(f"CHEATED: {attempt} worked")
    return Malicious(action_space, seed, overrides)
