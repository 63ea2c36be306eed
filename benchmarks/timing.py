"""Shared timing helpers for benchmarks/run.py: each benchmark module's ``benchmarks()`` returns
rows made by :func:`row`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import numpy as np


def time_calls(calls: Iterable[Callable[[], object]]) -> list[float]:
    """Wall-clock milliseconds of each call, run one after another."""
    samples = []
    for call in calls:
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000.0)
    return samples


def row(name: str, samples_ms, budget_ms: float | None, **extra) -> dict:
    """One result row: median and 90th percentile of the samples against the budget."""
    samples = np.asarray(samples_ms, dtype=float)
    result = {
        "name": name,
        "p50_ms": round(float(np.percentile(samples, 50)), 1),
        "p90_ms": round(float(np.percentile(samples, 90)), 1),
        "budget_ms": budget_ms,
        "n": int(samples.size),
    }
    result.update(extra)
    return result


def skipped(name: str, budget_ms: float | None, reason: str) -> dict:
    """A row for a benchmark that could not run here, saying why."""
    return {"name": name, "p50_ms": None, "p90_ms": None, "budget_ms": budget_ms, "skipped": reason}
