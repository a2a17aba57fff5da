"""Speed checks without a wall clock.

A test never compares a duration with a fixed number of seconds: a loaded CI machine makes
any such bound fail (issue 15, defect 1). It compares the CPU time of this process (which
other processes' load barely changes) for the same input at two sizes, in the same process:
linear work grows by the size factor, a backtracking regex or a quadratic loop by its square
or more, far beyond the SLACK allowed. A suspicious first measure is taken again, best of
three, so one descheduling or cache flush cannot fail a test.

The only absolute numbers left are guards that turn a runaway (an exponential regex) into a
failure instead of a hung run, with many times the headroom any machine needs.
"""
from __future__ import annotations

import signal
import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

SCALE = 8          # the big input is SCALE times the small one: linear grows 8x, quadratic 64x
SLACK = 3.0        # allowed growth beyond linear (n log n and noise), far below a square
FLOOR = 0.05       # CPU seconds: a big input cheaper than this cannot be a problem
CPU_GUARD = 300    # CPU seconds after which a measure is a runaway (an exponential blow-up)


class Runaway(Exception):
    pass


def _runaway(_signum, _frame):
    raise Runaway()


@contextmanager
def runaway_guard(seconds: float = CPU_GUARD) -> Iterator[None]:
    """Fail instead of spinning for ever: SIGPROF after `seconds` of this process's CPU time."""
    previous = signal.signal(signal.SIGPROF, _runaway)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    except Runaway:
        pytest.fail(f"still running after {seconds:.0f} s of CPU: a runaway")
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def cpu_seconds(function: Callable[[], object], tries: int = 1) -> float:
    """CPU seconds of one call, best of `tries`; calls too short to time are repeated."""
    best = float("inf")
    for _ in range(tries):
        calls, start = 0, time.process_time()
        while True:
            function()
            calls += 1
            spent = time.process_time() - start
            if spent >= 0.002 or calls >= 1000:
                break
        best = min(best, spent / calls)
    return best


def grows_too_fast(small: float, big: float, factor: float = SCALE, floor: float = FLOOR) -> str | None:
    """Why going from `small` to `big` CPU seconds, on an input `factor` times longer, is
    superlinear, or None."""
    if big <= max(SLACK * factor * small, floor):
        return None
    return f"{small:.4f} s -> {big:.4f} s of CPU for {factor:g}x the input (allowed {SLACK * factor:g}x)"


def superlinear(small: Callable[[], object], big: Callable[[], object], factor: float = SCALE,
                floor: float = FLOOR) -> str | None:
    """Why `big` (the same work on an input `factor` times longer than `small`'s) grows
    faster than linearly, or None; measured once, and again best of three when suspicious."""
    # the engine runs with the cyclic collector paused (lint.collector_paused); here the collector
    # would rescan the whole test process's heap, a cost of the suite's size, not of the input
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _superlinear(small, big, factor, floor)
    finally:
        if was_enabled:
            gc.enable()


def _superlinear(small: Callable[[], object], big: Callable[[], object], factor: float,
                 floor: float) -> str | None:
    with runaway_guard():
        for tries in (1, 3):
            problem = grows_too_fast(cpu_seconds(small, tries), cpu_seconds(big, tries), factor, floor)
            if problem is None:
                return None
    return problem


def assert_linear(work_of: Callable[[int], Callable[[], object]], n: int, floor: float = FLOOR) -> None:
    """work_of(size) builds the input outside the measure and returns the work to time."""
    problem = superlinear(work_of(n // SCALE), work_of(n), SCALE, floor)
    assert problem is None, problem
