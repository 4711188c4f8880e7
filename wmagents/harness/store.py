"""Results store: one embedded SQLite file (stdlib ``sqlite3``).

The one store of the project: leaderboard suites and paper reproductions write to the same
file (``results/results.sqlite`` by default, ``WMAGENTS_DB`` to change it), told apart by the
run's ``label`` (``smoke@v1``, ``planet-smoke``). ``runs`` holds one row per run id with its
spec, provenance and any run-level statistics the agent reports (``run_stats_json``, e.g. a
planner's seconds per action); ``eval_points`` the learning curve; ``train_episodes`` the return
of every training episode. A run row is inserted as ``running`` on submission and completed,
with all its points and episodes, in a single transaction by ``record``: a crash leaves either
the old state or the whole new one, never torn rows (WAL journal, ``synchronous=FULL``).
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from pathlib import Path

from wmagents.harness.spec import RunSpec

DEFAULT_DB = Path(os.environ.get("WMAGENTS_DB", "results/results.sqlite"))


def work_dir_for(db: str | os.PathLike, work_dir: str | os.PathLike | None = None) -> Path:
    """Where runs keep checkpoints and metrics: ``work_dir``, else ``runs/`` beside the store."""
    return Path(work_dir) if work_dir else Path(db).parent / "runs"

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    label TEXT NOT NULL DEFAULT '',
    agent TEXT NOT NULL, env_id TEXT NOT NULL, seed INTEGER NOT NULL, budget INTEGER NOT NULL,
    spec_json TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'finished')),
    submitted_at REAL NOT NULL, finished_at REAL,
    final_return REAL, final_success REAL, wall_time_s REAL, device TEXT,
    package_version TEXT, git_sha TEXT, agent_config_json TEXT, env_spec_json TEXT,
    provenance_json TEXT, run_stats_json TEXT
);
CREATE TABLE IF NOT EXISTS eval_points (
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    step INTEGER NOT NULL,
    mean_return REAL NOT NULL, std_return REAL NOT NULL, returns_json TEXT NOT NULL,
    mean_length REAL NOT NULL, success_rate REAL,
    PRIMARY KEY (run_id, step)
);
CREATE TABLE IF NOT EXISTS run_labels (
    run_id TEXT NOT NULL REFERENCES runs(run_id), label TEXT NOT NULL,
    PRIMARY KEY (run_id, label)
);
CREATE TABLE IF NOT EXISTS run_claims (
    run_id TEXT PRIMARY KEY REFERENCES runs(run_id),
    owner TEXT NOT NULL, heartbeat REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS train_episodes (
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    episode INTEGER NOT NULL, step INTEGER NOT NULL, return REAL NOT NULL,
    length INTEGER NOT NULL, terminated INTEGER NOT NULL, truncated INTEGER NOT NULL,
    PRIMARY KEY (run_id, episode)
);
"""
_ADVICE = {
    "file is not a database": "It is not a SQLite results store: pass another --db, or move "
                              "the file aside (finished runs are then trained again).",
    "database disk image is malformed": "The file is damaged: restore a copy, or move it aside "
                                        "(unfinished runs resume from their checkpoints).",
    "unable to open database file": "Check that its folder exists and is writable, or pass "
                                    "another --db.",
    "default": "Check the path, the folder's permissions and the free disk space.",
}
# columns added after the first release: (table, column, type), added to older stores on open
ADDED_COLUMNS = (("runs", "run_stats_json", "TEXT"), ("runs", "error", "TEXT"))


def _dead_here(owner: str) -> bool:
    """Whether claim holder ``host:pid:tag`` is a process of this host that has ended."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:            # alive, another user's
        return False
    return False


class StoreError(ValueError):
    """The results store cannot be opened or used; the message names the file."""


def record_spec(record: dict) -> RunSpec:
    """The spec of an exported run record (:meth:`Store.export_run`); :class:`StoreError`
    unless it parses and the record's run id is its hash."""
    try:
        spec = RunSpec.from_json(json.dumps(record["spec"]))
    except (TypeError, ValueError) as error:
        raise StoreError(f"run {record['run_id']} has a bad spec ({error})") from None
    if spec.run_id != record["run_id"]:
        raise StoreError(f"run {record['run_id']}'s spec hashes to {spec.run_id}, so the spec "
                         "or the id was changed")
    return spec


class Store:
    """The SQLite results store. ``read_only=True`` (``leaderboard.show``) never creates,
    migrates or writes the file and works on a read-only file system or a copy without write
    permission (``mode=ro``, else ``immutable=1``, which skips the WAL locks); a write through
    it raises :class:`StoreError`."""

    def __init__(self, path: str | os.PathLike = DEFAULT_DB, read_only: bool = False):
        self.path, self.read_only = Path(path), read_only
        try:
            self._open_read_only() if read_only else self._open()
        except (OSError, sqlite3.DatabaseError) as error:
            raise StoreError(f"results store {self.path}: {error}. "
                             + _ADVICE.get(str(error), _ADVICE["default"])) from None

    def _open_read_only(self) -> None:
        if not self.path.is_file():
            raise StoreError(f"no results store at {self.path} (run python -m "
                             "leaderboard.evaluate first, or pass --db)")
        uri = self.path.resolve().as_uri()
        for flags in ("mode=ro", "mode=ro&immutable=1"):
            try:
                self.conn = sqlite3.connect(f"{uri}?{flags}", uri=True, timeout=60)
                self.conn.execute("SELECT count(*) FROM runs").fetchone()
                break
            except sqlite3.OperationalError:
                if flags.endswith("immutable=1"):
                    raise
        self.conn.row_factory = sqlite3.Row
        tables = {r["name"] for r in self.conn.execute("SELECT name FROM sqlite_master")}
        have = {r["name"] for r in self.conn.execute("PRAGMA table_info(runs)")}
        if "run_labels" not in tables or any(c not in have for _, c, _ in ADDED_COLUMNS):
            raise StoreError(f"results store {self.path} is from an older wmagents: open it once "
                             "writable (python -m leaderboard.evaluate, or a copy) to migrate it")

    def _writable(self) -> None:
        if self.read_only:
            raise StoreError(f"results store {self.path} was opened read-only")

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.path, timeout=60)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        with self.conn:
            self.conn.executescript(SCHEMA)
            for table, column, kind in ADDED_COLUMNS:
                have = {r["name"] for r in self.conn.execute(f"PRAGMA table_info({table})")}
                if column not in have:
                    self.conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
            # stores from before run_labels: each run's first label
            self.conn.execute("INSERT OR IGNORE INTO run_labels SELECT run_id, label FROM runs")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def status(self, run_id: str) -> str | None:
        row = self.conn.execute("SELECT status FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return row["status"] if row else None

    def submit(self, specs: list[RunSpec], label: str = "") -> None:
        """Insert ``running`` rows for specs not seen before and file every spec, old or new,
        under ``label`` (one transaction): a run shared by two suites, or by a suite and its
        next version, is trained once and listed under both."""
        self._writable()
        with self.conn:
            self.conn.executemany(
                "INSERT OR IGNORE INTO runs (run_id, label, agent, env_id, seed, budget, "
                "spec_json, status, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?)",
                [(s.run_id, label, s.agent, s.env_id, s.seed, s.budget, s.to_json(), time.time())
                 for s in specs])
            self.conn.executemany("INSERT OR IGNORE INTO run_labels VALUES (?, ?)",
                                  [(s.run_id, label) for s in specs])

    def claim(self, run_ids: list[str], owner: str,
              lease_s: float) -> tuple[list[str], dict[str, tuple[str, float]]]:
        """Claim submitted runs for ``owner`` (``host:pid:tag``) before training them: a run is
        taken when no one holds it, ``owner`` already does, or its holder is dead — its
        heartbeat older than ``lease_s``, or a process of this host that no longer exists. Each
        claim is one atomic statement, so of several commands racing for a run exactly one gets
        it. Returns the claimed ids and, for the others, ``(holder, seconds since its
        heartbeat)``."""
        self._writable()
        claimed, elsewhere = [], {}
        for run_id in run_ids:
            holder = self._try_claim(run_id, owner, lease_s)
            if holder is None:
                claimed.append(run_id)
            else:
                elsewhere[run_id] = holder
        return claimed, elsewhere

    def _try_claim(self, run_id: str, owner: str, lease_s: float) -> tuple[str, float] | None:
        """None when ``owner`` now holds ``run_id``, else ``(holder, heartbeat age)``."""
        for _ in range(3):                     # a holder may release between the statements
            now = time.time()
            with self.conn:
                if self.conn.execute(
                        "INSERT INTO run_claims VALUES (?, ?, ?) ON CONFLICT(run_id) DO UPDATE "
                        "SET owner = excluded.owner, heartbeat = excluded.heartbeat WHERE "
                        "run_claims.owner = excluded.owner OR run_claims.heartbeat < ?",
                        (run_id, owner, now, now - lease_s)).rowcount:
                    return None
            row = self.conn.execute("SELECT owner, heartbeat FROM run_claims WHERE run_id = ?",
                                    (run_id,)).fetchone()
            if row is None:
                continue
            if not _dead_here(row["owner"]):
                return row["owner"], now - row["heartbeat"]
            with self.conn:                           # compare-and-swap on the dead holder
                if self.conn.execute("UPDATE run_claims SET owner = ?, heartbeat = ? WHERE "
                                     "run_id = ? AND owner = ?",
                                     (owner, now, run_id, row["owner"])).rowcount:
                    return None
        if row is None:                        # claimed and released three times over
            return "another command", 0.0
        return row["owner"], time.time() - row["heartbeat"]

    def heartbeat(self, owner: str) -> None:
        """Renew every claim ``owner`` holds."""
        self._writable()
        with self.conn:
            self.conn.execute("UPDATE run_claims SET heartbeat = ? WHERE owner = ?",
                              (time.time(), owner))

    def release(self, owner: str) -> None:
        """Drop every claim ``owner`` holds."""
        self._writable()
        with self.conn:
            self.conn.execute("DELETE FROM run_claims WHERE owner = ?", (owner,))

    def record(self, result: dict) -> None:
        """Write a finished run (curve, training episodes, final score) atomically;
        ``finished_at`` is now unless the result carries one (an imported run)."""
        self._writable()
        prov = result["provenance"]
        final = result["eval_points"][-1]
        with self.conn:
            updated = self.conn.execute(
                "UPDATE runs SET status = 'finished', finished_at = ?, final_return = ?, "
                "final_success = ?, wall_time_s = ?, device = ?, package_version = ?, "
                "git_sha = ?, agent_config_json = ?, env_spec_json = ?, provenance_json = ?, "
                "run_stats_json = ?, error = NULL WHERE run_id = ?",
                (result.get("finished_at") or time.time(), final["mean_return"],
                 final["success_rate"],
                 result["wall_time_s"], prov["device"], prov["package_version"], prov["git_sha"],
                 json.dumps(result["agent_config"]), result["env_spec"], json.dumps(prov),
                 json.dumps(result.get("run_stats", {})), result["run_id"])).rowcount
            if updated != 1:
                raise KeyError(f"run {result['run_id']} was never submitted")
            self.conn.execute("DELETE FROM eval_points WHERE run_id = ?", (result["run_id"],))
            self.conn.executemany(
                "INSERT INTO eval_points VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(result["run_id"], p["step"], p["mean_return"], p["std_return"],
                  json.dumps(p["returns"]), p["mean_length"], p["success_rate"])
                 for p in result["eval_points"]])
            self.conn.execute("DELETE FROM train_episodes WHERE run_id = ?", (result["run_id"],))
            self.conn.executemany(
                "INSERT INTO train_episodes VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(result["run_id"], e["episode"], e["step"], e["return"], e["length"],
                  e["terminated"], e["truncated"]) for e in result.get("train_episodes", [])])

    def export_run(self, run_id: str) -> dict:
        """A finished run as one self-contained record: what :meth:`record` took, plus its
        spec, labels and finish time (the lines of :mod:`wmagents.harness.archive`)."""
        row = self.conn.execute("SELECT * FROM runs WHERE run_id = ? AND status = 'finished'",
                                (run_id,)).fetchone()
        if row is None:
            raise KeyError(f"run {run_id} is not finished in {self.path}")
        labels = [r["label"] for r in self.conn.execute(
            "SELECT label FROM run_labels WHERE run_id = ? ORDER BY label", (run_id,))]
        episodes = self.conn.execute("SELECT * FROM train_episodes WHERE run_id = ? "
                                     "ORDER BY episode", (run_id,))
        return {"run_id": run_id, "spec": json.loads(row["spec_json"]), "labels": labels,
                "finished_at": row["finished_at"], "wall_time_s": row["wall_time_s"],
                "agent_config": json.loads(row["agent_config_json"]),
                "env_spec": row["env_spec_json"], "provenance": json.loads(row["provenance_json"]),
                "run_stats": self.run_stats(run_id),
                "eval_points": [{key: p[key] for key in ("step", "mean_return", "std_return",
                                                         "returns", "mean_length", "success_rate")}
                                for p in self.curve(run_id)],
                "train_episodes": [{"episode": e["episode"], "step": e["step"],
                                    "return": e["return"], "length": e["length"],
                                    "terminated": bool(e["terminated"]),
                                    "truncated": bool(e["truncated"])} for e in episodes]}

    def import_run(self, record: dict, source: str) -> bool:
        """Add a run exported by :meth:`export_run`, filed under its labels, unless it is
        finished here (then nothing changes: False). Its run id must be its spec's hash; its
        provenance stays the training machine's, with ``imported_from: source`` added."""
        self._writable()
        spec = record_spec(record)
        if self.status(spec.run_id) == "finished":
            return False
        for label in record["labels"] or [""]:
            self.submit([spec], label)
        self.record({**record, "provenance": {**record["provenance"], "imported_from": source}})
        return True

    def record_failure(self, run_id: str, error: str) -> None:
        """Keep why a run stopped (it stays unfinished: the next command retries it)."""
        self._writable()
        with self.conn:
            self.conn.execute("UPDATE runs SET error = ? WHERE run_id = ? AND status != "
                              "'finished'", (error, run_id))

    def error(self, run_id: str) -> str | None:
        row = self.conn.execute("SELECT error FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return row["error"] if row else None

    def runs(self, label: str | None = None, status: str | None = "finished") -> list[dict]:
        """Runs filed under ``label`` (any label when None) with ``status`` (any when None)."""
        query, args = "SELECT * FROM runs WHERE 1=1", []
        if label is not None:
            query = query + " AND run_id IN (SELECT run_id FROM run_labels WHERE label = ?)"
            args = args + [label]
        if status is not None:
            query, args = query + " AND status = ?", args + [status]
        return [dict(r) for r in self.conn.execute(query + " ORDER BY agent, env_id, seed", args)]

    def train_returns(self, run_id: str) -> list[float]:
        """Returns of the run's training episodes, in order."""
        rows = self.conn.execute("SELECT return FROM train_episodes WHERE run_id = ? "
                                 "ORDER BY episode", (run_id,))
        return [r["return"] for r in rows]

    def run_stats(self, run_id: str) -> dict:
        row = self.conn.execute("SELECT run_stats_json FROM runs WHERE run_id = ?",
                                (run_id,)).fetchone()
        return json.loads(row["run_stats_json"] or "{}") if row else {}

    def labels(self) -> list[str]:
        """Labels with at least one finished run."""
        return [r["label"] for r in self.conn.execute(
            "SELECT DISTINCT run_labels.label AS label FROM run_labels JOIN runs USING (run_id) "
            "WHERE runs.status = 'finished' ORDER BY run_labels.label")]

    def curve(self, run_id: str) -> list[dict]:
        rows = self.conn.execute("SELECT * FROM eval_points WHERE run_id = ? ORDER BY step",
                                 (run_id,))
        return [dict(r) | {"returns": json.loads(r["returns_json"])} for r in rows]
