"""Runners: execute run specs on a backend and record finished runs in the store.

``run_one`` is the unit of work (it runs in a worker process): build the env and the agent,
train through the loop (resuming from ``<work_dir>/<run_id>/checkpoint.pt`` when present) and
return a JSON-able result; the driver writes it to the store. A planner adapter
(``make_planner(env, ...)``, budget 0) is built on the evaluation env and only evaluated. Each run uses one torch thread
and seeds torch with the run seed, so a spec gives the same numbers on every backend.
``local`` runs specs in a spawn process pool; ``ray`` submits the same function to a Ray
cluster (``address``; ``None`` starts a local one). With ``ray`` on several machines,
``work_dir`` must be on storage every node sees, or interrupted runs restart from scratch.

Before training, the driver claims each run in the store (:meth:`Store.claim`) and renews its
claims every ``LEASE_S / 4`` seconds from a thread; a run claimed by another live command is
skipped with a message (``SweepReport.elsewhere``), and a dead command's runs are taken over
once its heartbeat is ``LEASE_S`` old. Two commands on one store thus train each run once.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import multiprocessing
import os
import socket
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import gymnasium as gym
from tqdm import tqdm

import wmenvs  # noqa: F401  (registers the wmenvs IDs in worker processes)
from wmagents.api import config_json
from wmagents.harness.loop import LoopConfig, evaluate, train
from wmagents.harness.provenance import provenance
from wmagents.harness.sandbox import SandboxedAgent, agent_seed
from wmagents.harness.spec import RunSpec, load_adapter
from wmagents.harness.store import Store, StoreError
from wmagents.nn import resolve_device

RESULT = "result.json"
LEASE_S = 120.0       # a claim whose heartbeat is older belongs to a dead command


def run_one(spec: RunSpec, work_dir: str, device: str = "auto", progress: bool = False,
            protected: tuple[str, ...] = (), threads: int = 1) -> dict:
    """Train (or, for a planner, evaluate) one spec on ``threads`` torch threads (recorded in
    the provenance: float results depend on it). ``protected``: paths a sandboxed agent
    (``spec.isolation == "process"``) may not open, besides the work dir (the store)."""
    import torch

    run_dir = Path(work_dir) / spec.run_id
    if (run_dir / RESULT).exists():  # finished but not yet recorded when the driver died
        result = _result_of(run_dir / RESULT, spec)
        if result is not None:
            return result
    torch.set_num_threads(threads)
    torch.manual_seed(spec.seed)
    dev = str(resolve_device(device))
    prov = provenance(dev)    # before training: the commit of the code this process runs
    env = gym.make(spec.env_id)
    adapter = load_adapter(spec.agent) if spec.isolation == "none" else None
    if hasattr(adapter, "make_planner"):
        result = _evaluate_planner(adapter, spec, env)
    else:
        agent = _make_agent(adapter, spec, env, dev, [work_dir, *protected], run_dir)
        try:
            loop = LoopConfig(spec.budget, spec.eval_every, spec.eval_episodes,
                              checkpoint_every=max(spec.budget // 10, 1))
            out = train(agent, lambda: gym.make(spec.env_id), spec.seed, loop, run_dir, progress,
                        desc=f"{spec.agent} {spec.env_id} s{spec.seed}")
        finally:
            if spec.isolation != "none":
                agent.close()
        result = {"eval_points": out.eval_points, "train_episodes": out.train_episodes,
                  "wall_time_s": out.wall_time_s, "resumed_from": out.resumed_from,
                  "agent_config": config_json(agent.config)}
    result.update(run_id=spec.run_id, spec=json.loads(spec.to_json()),
                  env_spec=_env_spec_json(env), provenance=prov)
    if spec.isolation != "none":
        result["provenance"]["agent_process"] = (
            f"sandboxed, Landlock ABI {agent.landlock}" if agent.landlock
            else "own process, files not restricted (no Landlock)")
    env.close()
    run_dir.mkdir(parents=True, exist_ok=True)
    tmp = run_dir / (RESULT + ".tmp")
    tmp.write_text(json.dumps(result))
    os.replace(tmp, run_dir / RESULT)
    return result


def _make_agent(adapter, spec: RunSpec, env: gym.Env, device: str, protected: list[str],
                run_dir: Path):
    """The adapter's agent in this process, or behind a :class:`SandboxedAgent` (seeded with
    :func:`agent_seed`, its log in ``run_dir/agent.log``)."""
    if spec.isolation == "none":
        return adapter.make_agent(env.observation_space, env.action_space, seed=spec.seed,
                                  device=device, overrides=dict(spec.overrides))
    return SandboxedAgent(spec.agent, env.observation_space, env.action_space,
                          seed=agent_seed(spec.seed), device=device,
                          overrides=dict(spec.overrides), denied=protected,
                          log_path=run_dir / "agent.log")


def _result_of(path: Path, spec: RunSpec) -> dict | None:
    """The finished result at ``path`` if it is this spec's and whole; otherwise it is moved
    aside (``result.json.rejected``) and the run is done again."""
    try:
        result = json.loads(path.read_text())
        if result["run_id"] == spec.run_id and RunSpec(**result["spec"]) == spec \
                and result["eval_points"]:
            return result
    except (ValueError, KeyError, TypeError):
        pass
    os.replace(path, path.with_name(RESULT + ".rejected"))
    return None


def _evaluate_planner(adapter, spec: RunSpec, env: gym.Env) -> dict:
    """``eval_episodes`` episodes of a planner built on ``env`` itself (no training)."""
    if spec.budget != 0:
        raise ValueError(f"{spec.agent} is a planner (make_planner): it does not train, so its "
                         f"run spec needs budget=0, got {spec.budget}")
    planner = adapter.make_planner(env, seed=spec.seed, overrides=dict(spec.overrides))
    started = time.perf_counter()
    point = evaluate(planner, env, spec.seed, spec.eval_episodes, step=0)
    return {"eval_points": [point], "train_episodes": [], "resumed_from": None,
            "wall_time_s": time.perf_counter() - started,
            "agent_config": config_json(planner.config),
            "run_stats": planner.timing() if hasattr(planner, "timing") else {}}


def _env_spec_json(env: gym.Env) -> str:
    try:
        return env.spec.to_json()
    except (ValueError, TypeError):  # kwargs that JSON cannot hold
        return json.dumps(config_json(env.spec))


@dataclass
class SweepReport:
    skipped: list[str] = field(default_factory=list)    # already finished
    finished: list[str] = field(default_factory=list)   # ran (or resumed) to the end now
    resumed: dict[str, int] = field(default_factory=dict)  # run id -> checkpoint step
    failed: dict[str, str] = field(default_factory=dict)   # run id -> error (not recorded)
    elsewhere: dict[str, str] = field(default_factory=dict)  # run id -> who trains it


def run_sweep(specs: list[RunSpec], store: Store, work_dir: str | os.PathLike,
              backend: str = "local", workers: int | None = None, address: str | None = None,
              device: str = "auto", label: str = "", threads: int = 1) -> SweepReport:
    """Run every spec not finished in ``store``, each on ``threads`` torch threads; finished
    ones are skipped. A failing run is reported in ``failed`` (its checkpoint kept) and does
    not stop the others."""
    if backend not in ("local", "ray"):
        raise ValueError(f"backend must be 'local' or 'ray', got {backend!r}")
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if threads < 1:
        raise ValueError(f"threads must be >= 1, got {threads}")
    report = SweepReport()
    todo, unique = [], list({s.run_id: s for s in specs}.values())  # de-duplicated, order kept
    for spec in unique:
        (report.skipped if store.status(spec.run_id) == "finished" else todo).append(spec)
    work_dir = str(Path(work_dir).resolve())
    db = str(store.path.resolve())
    protected = (db, *(db + suffix for suffix in ("-wal", "-shm", "-journal")))
    preflight(todo, [work_dir, *protected])
    store.submit(unique, label)         # finished runs are filed under this label too
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    claimed, elsewhere = store.claim([s.run_id for s in todo], owner, LEASE_S)
    for run_id, (holder, age) in elsewhere.items():
        report.elsewhere[run_id] = f"being trained by {holder} (heartbeat {age:.0f} s ago)"
        print(f"run {run_id} is {report.elsewhere[run_id]}: skipped here; re-run this command "
              "after it finishes to see it", file=sys.stderr)
    claimed = set(claimed)
    ours = [s for s in todo if s.run_id in claimed]
    done = {s.run_id for s in ours if store.status(s.run_id) == "finished"}
    report.skipped += [s for s in ours if s.run_id in done]   # finished by another command
    todo = [s for s in ours if s.run_id not in done]           # since the status check
    todo_ids = [s.run_id for s in todo]
    with _heartbeat(store.path, owner):
        results = (_run_ray(todo, work_dir, device, address, protected, threads)
                   if backend == "ray"
                   else _run_local(todo, work_dir, device, workers, protected, threads))
        try:
            with tqdm(total=len(todo), desc="runs", unit="run", disable=not todo) as bar:
                for run_id, result in results:
                    bar.update(1)
                    _record(store, report, run_id, result, work_dir)
        finally:
            results.close()          # a stopped sweep ends its workers now
            _release_all(store, owner)
    report.finished.sort(key=todo_ids.index)
    return report


def _record(store: Store, report: SweepReport, run_id: str, result, work_dir: str) -> None:
    """Record one run; a store that cannot be written (a full disk, a lost file) stops the
    sweep with :class:`StoreError`: the runs keep their ``result.json`` and checkpoints, and
    the next command records or resumes them."""
    try:
        if isinstance(result, BaseException):
            report.failed[run_id] = f"{type(result).__name__}: {result}"
            store.record_failure(run_id, report.failed[run_id])
            return
        store.record(result)
    except sqlite3.OperationalError as error:
        raise StoreError(
            f"results store {store.path}: {error} while recording run {run_id}. Its result is "
            f"kept in {Path(work_dir) / run_id / RESULT} and unfinished runs keep their "
            "checkpoints: free disk space (or fix the store's folder) and re-run the command "
            "to record and resume them") from None
    except (sqlite3.IntegrityError, KeyError, ValueError, TypeError) as error:
        report.failed[run_id] = f"not recorded ({type(error).__name__}: {error})"
        return
    report.finished.append(result["run_id"])
    if result["resumed_from"] is not None:
        report.resumed[result["run_id"]] = result["resumed_from"]


def _release_all(store: Store, owner: str) -> None:
    """Drop ``owner``'s claims at the end of its sweep; an unwritable store leaves them to
    expire, and a later command on this host takes them over at once anyway."""
    try:
        store.release(owner)
    except sqlite3.Error:
        pass


class _heartbeat:
    """Renews ``owner``'s claims every ``LEASE_S / 4`` seconds from a daemon thread (its own
    store connection) while the block runs."""

    def __init__(self, path: Path, owner: str):
        self.path, self.owner, self.stop = path, owner, threading.Event()

    def beat(self) -> None:
        while not self.stop.wait(LEASE_S / 4):
            try:                      # a locked or briefly unwritable store: try again later
                with Store(self.path) as store:
                    store.heartbeat(self.owner)
            except (sqlite3.Error, StoreError):
                pass

    def __enter__(self):
        self.thread = threading.Thread(target=self.beat, daemon=True)
        self.thread.start()

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def preflight(specs: list[RunSpec], protected: list[str] = ()) -> None:
    """Build each distinct (agent, env, overrides, isolation) once before any run starts, so
    an unknown agent, a module without ``make_agent``, an unknown or mistyped override or
    unsupported spaces (``ValueError`` / ``TypeError``) fail at once with one clear
    ``ValueError`` instead of in every worker. A sandboxed agent is built in its own process
    (``protected`` as in :func:`run_one`), never imported here. Any other error is left to the
    run itself, which reports it without stopping the others."""
    for spec in {(s.agent, s.env_id, json.dumps(s.overrides, sort_keys=True), s.isolation): s
                 for s in specs}.values():
        env = gym.make(spec.env_id)
        try:
            if spec.isolation != "none":
                with tempfile.TemporaryDirectory() as scratch:
                    _make_agent(None, spec, env, "cpu", list(protected), Path(scratch)).close()
                continue
            adapter = load_adapter(spec.agent)
            if hasattr(adapter, "make_planner"):
                adapter.make_planner(env, seed=0, overrides=dict(spec.overrides))
            else:
                adapter.make_agent(env.observation_space, env.action_space, seed=0, device="cpu",
                                   overrides=dict(spec.overrides))
        except (ValueError, TypeError) as error:
            overrides = json.dumps(spec.overrides, sort_keys=True)
            raise ValueError(f"{spec.agent} on {spec.env_id} with overrides {overrides}: "
                             f"{error}") from None
        except Exception:  # noqa: BLE001  (not bad input: the run reports it)
            pass
        finally:
            env.close()


def _die_with_driver(driver: int) -> None:
    """Worker initializer: end this worker when the driver process dies, even by SIGKILL, so
    no orphan keeps training (and writing) a run that a rerun starts again. Linux: the kernel
    sends SIGKILL on the parent's death (``PR_SET_PDEATHSIG``); elsewhere a daemon thread polls
    the parent pid."""
    import ctypes
    import signal
    import threading

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)   # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        def watch() -> None:
            while os.getppid() == driver:
                time.sleep(1.0)
            os._exit(1)

        threading.Thread(target=watch, daemon=True).start()
    if os.getppid() != driver:        # the driver died before the death signal was armed
        os._exit(1)


def _run_local(specs, work_dir, device, workers, protected, threads):
    workers = max(1, min(workers or os.cpu_count() or 1, len(specs) or 1))
    context = multiprocessing.get_context("spawn")
    pool = cf.ProcessPoolExecutor(workers, mp_context=context, initializer=_die_with_driver,
                                  initargs=(os.getpid(),))
    try:
        futures = {pool.submit(run_one, s, work_dir, device, workers == 1, protected,
                               threads): s.run_id
                   for s in specs}
        for future in cf.as_completed(futures):
            yield futures[future], future.exception() or future.result()
    except BaseException:     # the driver stops early (closed, Ctrl-C): end the workers now
        # (their runs resume from their checkpoints); no public way before Python 3.14
        for process in list(pool._processes.values()):
            process.terminate()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _run_ray(specs, work_dir, device, address, protected, threads):
    import ray

    started_here = not ray.is_initialized()
    if started_here:
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    remote = ray.remote(num_cpus=threads, max_retries=0)(run_one)
    ids = {remote.remote(s, work_dir, device, False, protected, threads): s.run_id
           for s in specs}
    pending = list(ids)
    try:
        while pending:
            (done,), pending = ray.wait(pending, num_returns=1)
            try:
                yield ids[done], ray.get(done)
            except ray.exceptions.RayError as error:
                yield ids[done], error
    finally:                  # a stopped sweep leaves no task training (its claims are dropped)
        for ref in pending:
            ray.cancel(ref, force=True)
        if started_here:
            ray.shutdown()
