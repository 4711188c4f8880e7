"""The sandboxed agent's process (``python -m wmagents.harness.agent_host IN_FD OUT_FD``).

Started by :class:`wmagents.harness.sandbox.SandboxedAgent`. The first request carries the
adapter name, the spaces, the agent seed and the file policy. The host takes away its own
file, network and signal rights (Landlock) before it imports the adapter, then answers one
request at a time: ``reset``, ``act``, ``observe``, ``state_dict``, ``load_state_dict``,
``close``. Episode states stay here, and the evaluator holds integer tokens for them. Replies
are JSON headers, ``.npy`` actions and opaque checkpoint bytes, never pickles.
"""

from __future__ import annotations

import io
import os
import pickle
import sys
import traceback

import numpy as np

from wmagents.api import config_json
from wmagents.harness import landlock
from wmagents.harness.pipe import read_message, write_message


PROC_FILES = ("cpuinfo", "meminfo", "stat", "sys/kernel", "sys/vm", "driver/nvidia")  # torch, CUDA


class Host:
    def __init__(self):
        self.agent, self.states, self.tokens = None, {}, 0

    def start(self, agent, observation_space, action_space, seed, device, overrides, policy):
        own = [f"/proc/{os.getpid()}", *(f"/proc/{n}" for n in PROC_FILES)]
        try:
            abi = landlock.restrict_self(policy["read"] + own, policy["write"], policy["devices"])
        except OSError:
            abi = 0
        import torch

        from wmagents.harness.spec import load_adapter

        torch.set_num_threads(1)
        torch.manual_seed(seed)
        self.agent = load_adapter(agent).make_agent(observation_space, action_space, seed=seed,
                                                    device=device, overrides=overrides)
        return {"config": config_json(self.agent.config), "landlock": abi}, b""

    def reset(self, explore):
        self.states = {t: s for t, s in self.states.items() if s[0] != explore}
        self.tokens += 1
        self.states[self.tokens] = (explore, self.agent.reset(explore=explore))
        return {"token": self.tokens}, b""

    def act(self, obs, token, explore):
        action, state = self.agent.act(obs, self.states[token][1], explore=explore)
        self.states[token] = (explore, state)
        buffer = io.BytesIO()
        np.save(buffer, np.asarray(action), allow_pickle=False)
        return {"token": token}, buffer.getvalue()

    def observe(self, transition):
        from wmagents.api import Transition

        metrics = self.agent.observe(Transition(*transition)) or {}
        return {"metrics": {k: float(v) for k, v in metrics.items()}}, b""

    def state_dict(self):
        import torch

        buffer = io.BytesIO()
        torch.save({"agent": self.agent.state_dict(), "torch_rng": torch.get_rng_state()},
                   buffer)
        return {}, buffer.getvalue()

    def load_state_dict(self, blob):
        import torch

        state = torch.load(io.BytesIO(blob), weights_only=False)
        self.agent.load_state_dict(state["agent"])
        torch.set_rng_state(state["torch_rng"])
        return {}, b""


def main(in_fd: int, out_fd: int) -> None:
    host = Host()
    while True:
        try:
            header, payload = read_message(in_fd)
        except EOFError:
            return
        op = header["op"]
        if op == "close":
            return
        try:
            reply, data = getattr(host, op)(**pickle.loads(payload))
            reply["ok"] = True
        except Exception as error:  # noqa: BLE001  (every failure goes back to the evaluator)
            traceback.print_exc(file=sys.stderr)
            reply, data = {"ok": False, "kind": type(error).__name__,
                           "error": f"{type(error).__name__}: {error}"}, b""
        write_message(out_fd, reply, data)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
