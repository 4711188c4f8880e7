"""The agent in its own process: what the leaderboard runs a contributed agent through.

:class:`SandboxedAgent` is an :class:`~wmagents.api.Agent` for the loop. Behind it, the adapter
runs in a fresh interpreter (:mod:`wmagents.harness.agent_host`). That interpreter gets the
spaces, observations, rewards and ``terminated`` / ``truncated`` over a pipe, and nothing
else:

* **No env, no seeds, no store.** The evaluator keeps the env objects and owns the budget.
  The agent is seeded with a hash of the run seed that the evaluation seeds cannot be
  computed from. The store and the work dir are not in the agent's environment variables.
  With Linux Landlock (:mod:`wmagents.harness.landlock`) the agent also cannot open any file
  outside its allow-list: the Python installation and the agent packages, less ``wmenvs`` and
  the simulators (``mujoco``, ``dm_control``, ``pymunk``, ``pygame``), the store's folder and
  the work dir. It cannot use TCP, cannot signal or ``ptrace`` the evaluator, and can write
  only to a private temporary folder. Without Landlock the process boundary stays, a warning
  says the files are open, and the run's provenance records it.
* **Answers are checked.** An action of the wrong shape or dtype, NaN or inf, or outside the
  box stops the run with an :class:`AgentError` that names it. So do a crash (the end of the
  agent's log is quoted), a call unanswered after ``timeout_s`` (the process is killed), or a
  reply that breaks the protocol. The runner records the error in the store.
* **Nothing from the agent is unpickled here.** Its replies are JSON headers, ``.npy`` arrays
  (``allow_pickle=False``) or opaque checkpoint bytes. The evaluator stores those bytes and
  hands them back on resume, so exact resume still holds.

The per-call timeout is ``WMAGENTS_AGENT_TIMEOUT_S`` (default 1800 s: one ``observe`` may run
a whole episode's updates).
"""

from __future__ import annotations

import importlib.util
import io
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
from gymnasium import spaces

from wmagents.api import Transition
from wmagents.harness.pipe import read_message, write_request
from wmenvs.actions import validate_action

HOST = "wmagents.harness.agent_host"
TIMEOUT_S = float(os.environ.get("WMAGENTS_AGENT_TIMEOUT_S", 1800))
SIMULATORS = ("wmenvs", "mujoco", "dm_control", "pymunk", "pygame", "labmaze")
SYSTEM_ROOTS = ("/usr", "/lib", "/lib64", "/bin", "/etc", "/sys", "/opt")
# device files the agent may use (CUDA's among them); never a disk: reading one as root
# would bypass every file rule
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")
BOX_TOLERANCE = 1e-5      # of the box's width: float rounding at the edge is clipped, not refused


class AgentError(RuntimeError):
    """The sandboxed agent crashed, hung, broke the protocol or returned a bad action."""


def agent_seed(run_seed: int) -> int:
    """The seed the agent gets: a hash of the run seed (which the evaluation seeds come from)."""
    return int(np.random.SeedSequence([run_seed, 0x5EED]).generate_state(1)[0] >> 1)


def _package_dir(name: str) -> str | None:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    locations = list(spec.submodule_search_locations or [])
    return locations[0] if locations else spec.origin


def _agent_packages(private: str) -> str:
    """A folder in ``private`` with links to this process's ``wmagents`` and ``baselines``:
    the agent process imports the evaluator's own copies (not whatever another editable
    install points at), and nothing else of the source tree is on its path."""
    folder = Path(private) / "packages"
    folder.mkdir()
    for name in ("wmagents", "baselines"):
        if (target := _package_dir(name)) is not None:
            (folder / name).symlink_to(target, target_is_directory=True)
    return str(folder)


def file_policy(agent: str, denied: list[str], private: str) -> dict[str, list[str]]:
    """Landlock allow-lists for ``agent``: read the Python installation, the system libraries
    and the agent packages, except the simulators and ``denied``; write ``private``."""
    from wmagents.harness.landlock import allowed_roots

    blocked = [d for d in map(_package_dir, SIMULATORS) if d] + list(denied)
    packages = [_package_dir(name) for name in ("wmagents", "baselines")]
    agent_root = _package_dir(agent.split(".")[0]) if not Path(agent).is_absolute() else agent
    roots = [sys.prefix, sys.base_prefix, sys.exec_prefix, *SYSTEM_ROOTS,
             *(p for p in sys.path if Path(p).name in ("site-packages", "dist-packages")),
             *(p for p in (*packages, agent_root) if p)]
    devices = [*DEVICES, *(str(p) for p in Path("/dev").glob("nvidia*"))]
    return {"read": allowed_roots(roots, blocked), "write": [private], "devices": devices}


def check_action(action, space: spaces.Space):
    """The action as the env takes it, or AgentError naming what is wrong with it."""
    try:
        value = validate_action(action, space)
    except (ValueError, TypeError) as error:
        raise AgentError(f"the agent's action is invalid: {error}") from None
    if isinstance(space, spaces.Box):
        raw = np.asarray(action, dtype=np.float64)
        slack = BOX_TOLERANCE * np.where(np.isfinite(space.high - space.low),
                                         space.high - space.low, 1.0)
        outside = (raw < space.low - slack) | (raw > space.high + slack)
        if outside.any():
            raise AgentError(f"the agent's action {raw.tolist()} is outside {space} "
                             f"(dimensions {np.flatnonzero(outside).tolist()})")
    return value


class SandboxedAgent:
    """An adapter (``baselines.sac``, a folder path, ...) run in its own process."""

    def __init__(self, agent: str, observation_space: spaces.Space, action_space: spaces.Space,
                 *, seed: int, device: str, overrides: dict, denied: list[str],
                 log_path: str | os.PathLike, timeout_s: float = TIMEOUT_S):
        self.agent, self.action_space, self.timeout_s = agent, action_space, timeout_s
        self.log_path = Path(log_path)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.private = tempfile.mkdtemp(prefix="wmagents-agent-")
        to_child, self._to_child = os.pipe()
        self._from_child, from_child = os.pipe()
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.private,
               "TMPDIR": self.private, "PYTHONPATH": _agent_packages(self.private),
               "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               **{k: os.environ[k] for k in ("LD_LIBRARY_PATH", "CUDA_VISIBLE_DEVICES")
                  if k in os.environ}}
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", HOST, str(to_child), str(from_child)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, cwd=self.private,
                pass_fds=(to_child, from_child), start_new_session=True)
        os.close(to_child)
        os.close(from_child)
        self.landlock = 0
        try:
            policy = file_policy(agent, denied, self.private)
            reply = self._call("start", agent=agent, observation_space=observation_space,
                               action_space=action_space, seed=seed, device=device,
                               overrides=overrides, policy=policy)[0]
        except BaseException:
            self.close()
            raise
        self.config, self.landlock = reply["config"], int(reply["landlock"])
        if not self.landlock:
            warnings.warn(f"{agent}: Landlock is not available here, so the agent process "
                          "can open any file this user can (the store included); the process "
                          "boundary still keeps the envs and seeds away from it", stacklevel=2)

    # -- the Agent protocol --------------------------------------------------------------
    def reset(self, explore: bool) -> int:
        return self._token(self._call("reset", explore=bool(explore))[0])

    def act(self, obs, state, explore: bool):
        header, payload = self._call("act", obs=obs, token=state, explore=bool(explore),
                                     max_payload=1 << 20)
        try:
            action = np.load(io.BytesIO(payload), allow_pickle=False)
        except ValueError as error:
            raise AgentError(f"act: the reply is not an .npy array ({error})") from None
        return check_action(action, self.action_space), self._token(header)

    def observe(self, transition: Transition) -> dict[str, float]:
        t = transition
        metrics = self._call("observe", transition=(t.obs, t.action, t.reward, t.next_obs,
                                                    t.terminated, t.truncated))[0].get("metrics", {})
        if not isinstance(metrics, dict) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in metrics.values()):
            raise AgentError(f"observe: metrics must map names to numbers, got {metrics!r:.200}")
        return {str(k): float(v) for k, v in metrics.items()}

    def state_dict(self) -> dict:
        return {"sandboxed": self._call("state_dict")[1]}

    def load_state_dict(self, state: dict) -> None:
        self._call("load_state_dict", blob=state["sandboxed"])

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                write_request(self._to_child, "close")
                self.process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        for fd in (self._to_child, self._from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.private, ignore_errors=True)

    # -- the pipe ------------------------------------------------------------------------
    @staticmethod
    def _token(header: dict) -> int:
        token = header.get("token")
        if not isinstance(token, int) or isinstance(token, bool):
            raise AgentError(f"the agent sent {token!r} as its episode state token")
        return token

    def _call(self, op: str, max_payload: int | None = None, **fields) -> tuple[dict, bytes]:
        try:
            write_request(self._to_child, op, **fields)
            header, payload = read_message(self._from_child, self.timeout_s, max_payload)
        except TimeoutError:
            self.process.kill()
            raise AgentError(f"{self.agent}: no answer to {op} within {self.timeout_s:g} s "
                             "(the agent process was killed)") from None
        except (EOFError, BrokenPipeError):
            code = self.process.wait()
            raise AgentError(f"{self.agent}: the agent process died during {op} (exit code "
                             f"{code}); its log ends:\n{self._log_tail()}") from None
        except ValueError as error:
            self.process.kill()
            raise AgentError(f"{self.agent}: {op}: a malformed reply ({error})") from None
        if not header.get("ok"):
            error = str(header.get("error", "unknown error"))
            if op == "start" and header.get("kind") in ("ValueError", "TypeError"):
                raise ValueError(error)       # bad overrides or spaces: the preflight's message
            raise AgentError(f"{self.agent}: {op} raised {error}")
        return header, payload

    def _log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"
