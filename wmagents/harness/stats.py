"""Aggregate statistics: interquartile mean and percentile-bootstrap confidence intervals.

The headline statistic follows Agarwal et al. 2021 (rliable): the IQM of normalised scores over
all (task, seed) runs, with a stratified bootstrap (seeds resampled with replacement inside each
task) 95 % percentile interval. Per-task means get a plain percentile-bootstrap interval over
seeds; with few seeds that interval is narrow and optimistic, so ``n`` is always reported.
:func:`format_interval` and :func:`mean_interval` are the one way reports print an interval.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np


def iqm(values: Sequence[float]) -> float:
    """Mean of the middle 50 %: drop ``floor(n / 4)`` from each end (scipy's trim_mean(0.25))."""
    x = np.sort(np.asarray(values, float))
    cut = len(x) // 4
    return float(x[cut: len(x) - cut].mean())


def bootstrap_ci(values: Sequence[float], stat: Callable = np.mean, reps: int = 2000,
                 confidence: float = 0.95, seed: int = 0) -> tuple[float, float, float]:
    """``(stat(values), low, high)`` with a percentile bootstrap over ``values``."""
    return stratified_bootstrap_ci({"_": values}, stat, reps, confidence, seed)


def stratified_bootstrap_ci(groups: Mapping[str, Sequence[float]], stat: Callable = iqm,
                            reps: int = 2000, confidence: float = 0.95,
                            seed: int = 0) -> tuple[float, float, float]:
    """``stat`` of all values pooled, and its interval resampling within each group."""
    arrays = [np.asarray(v, float) for v in groups.values() if len(v)]
    if not arrays:
        raise ValueError("no values to aggregate")
    point = float(stat(np.concatenate(arrays)))
    rng = np.random.default_rng(seed)
    samples = np.empty(reps)
    for r in range(reps):
        samples[r] = stat(np.concatenate([a[rng.integers(0, len(a), len(a))] for a in arrays]))
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(samples, [tail, 100 - tail])
    return point, float(low), float(high)


def format_interval(point: float, low: float, high: float, digits: int = 1) -> str:
    """``point [low, high]`` with ``digits`` decimals."""
    return f"{point:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def mean_interval(values: Sequence[float | None], digits: int = 1) -> str:
    """``mean [95 % bootstrap CI] (n=...)`` of the finite ``values``; ``-`` when there are none."""
    finite = [v for v in values if v is not None and np.isfinite(v)]
    if not finite:
        return "-"
    return f"{format_interval(*bootstrap_ci(finite), digits)} (n={len(finite)})"
