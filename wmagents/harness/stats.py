"""Aggregate statistics through rliable (Agarwal et al. 2021, "Deep RL at the Edge of the
Statistical Precipice"): IQM, mean and optimality gap with stratified-bootstrap 95 % percentile
intervals and the probability of improvement.

Scores are ``(runs x tasks)`` matrices, as rliable takes them; :func:`score_matrix` builds one
from per-task lists, keeping the runs every task has (the first ``n`` of each, ``n`` the
smallest count), so ``n`` is what an interval stands on and reports print it. Per-task means
get a bootstrap over seeds (a one-task matrix); with few seeds that interval is narrow and
optimistic (:data:`FEW_SEEDS`). Resamples are seeded, so a report prints the same interval
every time. :func:`format_interval` and :func:`mean_interval` are the one way reports print an
interval.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager

import numpy as np
from rliable import library as rly
from rliable import metrics

REPS = 2_000            # bootstrap resamples (rliable's default is 50,000: slower, same centre)
FEW_SEEDS = 5           # below this, intervals are optimistic (Agarwal et al. Sec. 3)


def iqm(values: Sequence[float]) -> float:
    """Interquartile mean (rliable's ``aggregate_iqm``: scipy's ``trim_mean(0.25)``)."""
    return float(metrics.aggregate_iqm(np.asarray(values, float)))


def score_matrix(groups: Mapping[str, Sequence[float]]) -> np.ndarray:
    """``(n, tasks)`` from per-task scores, ``n`` the smallest count (each task's first ``n``)."""
    arrays = [np.asarray(v, float) for v in groups.values() if len(v)]
    if not arrays:
        raise ValueError("no values to aggregate")
    n = min(len(a) for a in arrays)
    return np.stack([a[:n] for a in arrays], axis=1)


@contextmanager
def _seeded(seed: int):
    """Reproducible rliable resamples. rliable 1.2 draws them with ``np.random.choice``
    (numpy's global RNG; its ``random_state`` argument only seeds arch, which it then
    bypasses), so the global RNG is seeded for the call and restored after."""
    saved = np.random.get_state()
    np.random.seed(seed)
    try:
        with warnings.catch_warnings():     # arch's notice about RandomState
            warnings.simplefilter("ignore", FutureWarning)
            yield
    finally:
        np.random.set_state(saved)


def _seeded_estimates(score_dict: dict, func: Callable, confidence: float, seed: int):
    """``rly.get_interval_estimates`` with reproducible resamples."""
    with _seeded(seed):
        return rly.get_interval_estimates(score_dict, func, reps=REPS,
                                          confidence_interval_size=confidence)


def interval_estimates(scores: np.ndarray, func: Callable[[np.ndarray], np.ndarray],
                       confidence: float = 0.95, seed: int = 0):
    """rliable's stratified bootstrap of ``func`` over a ``(runs x tasks)`` matrix:
    ``(points, lows, highs)`` arrays, one entry per output of ``func``."""
    points, intervals = _seeded_estimates({"_": scores}, func, confidence, seed)
    return points["_"], intervals["_"][0], intervals["_"][1]


def bootstrap_ci(values: Sequence[float], stat: Callable = np.mean,
                 confidence: float = 0.95, seed: int = 0) -> tuple[float, float, float]:
    """``(stat(values), low, high)``: a percentile bootstrap over ``values`` (one task)."""
    scores = score_matrix({"_": values})
    point, low, high = interval_estimates(scores, lambda x: np.array([stat(x)]), confidence,
                                          seed)
    return float(point[0]), float(low[0]), float(high[0])


def aggregate(groups: Mapping[str, Sequence[float]],
              seed: int = 0) -> dict[str, tuple[float, float, float]]:
    """IQM, mean and optimality gap (to 1) of normalised scores per task, each with its
    stratified-bootstrap 95 % interval; ``n`` = runs per task used."""
    scores = score_matrix(groups)
    points, lows, highs = interval_estimates(scores, lambda x: np.array([
        metrics.aggregate_iqm(x), metrics.aggregate_mean(x),
        metrics.aggregate_optimality_gap(x)]), seed=seed)
    out = {name: (float(p), float(lo), float(hi))
           for name, p, lo, hi in zip(("iqm", "mean", "optimality_gap"), points, lows, highs)}
    return {**out, "n": scores.shape[0]}


def probability_of_improvement(x: Mapping[str, Sequence[float]],
                               y: Mapping[str, Sequence[float]],
                               seed: int = 0) -> tuple[float, float, float]:
    """P(X > Y) averaged over the tasks both have (rliable), with its interval."""
    tasks = [t for t in x if t in y and len(x[t]) and len(y[t])]
    if not tasks:
        raise ValueError("no task with scores of both")
    sx, sy = (score_matrix({t: s[t] for t in tasks}) for s in (x, y))
    points, intervals = _seeded_estimates({"xy": [sx, sy]}, metrics.probability_of_improvement,
                                          0.95, seed)
    point, (low, high) = np.ravel(points["xy"])[0], np.ravel(intervals["xy"])
    return float(point), float(low), float(high)


def performance_profiles(groups: Mapping[str, Mapping[str, Sequence[float]]],
                         taus: np.ndarray, seed: int = 0) -> tuple[dict, dict]:
    """rliable's performance profiles: per agent (``groups[agent]`` = normalised scores per
    task) the fraction of runs scoring above each tau, with stratified-bootstrap 95 % bands.
    Returns ``(profiles, bands)`` as :func:`rliable.library.create_performance_profile`."""
    with _seeded(seed):
        return rly.create_performance_profile({a: score_matrix(g) for a, g in groups.items()},
                                              taus, reps=REPS)


def format_interval(point: float, low: float, high: float, digits: int = 1) -> str:
    """``point [low, high]`` with ``digits`` decimals."""
    return f"{point:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def mean_interval(values: Sequence[float | None], digits: int = 1) -> str:
    """``mean [95 % bootstrap CI] (n=...)`` of the finite ``values``; ``-`` when there are none."""
    finite = [v for v in values if v is not None and np.isfinite(v)]
    if not finite:
        return "-"
    return f"{format_interval(*bootstrap_ci(finite), digits)} (n={len(finite)})"
