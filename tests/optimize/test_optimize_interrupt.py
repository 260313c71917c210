"""Ctrl-C during a solve: HiGHS is stopped through its interrupt callback and its thread has ended
before the ``KeyboardInterrupt`` reaches the caller (a process that exits while HiGHS's threads
still run aborts with "terminate called without an active exception", signal 6)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator

import highspy
import numpy as np
import pytest

from geoalloc.optimize.linear import (
    LinearModel,
    ModelBuilder,
    _highs_run,
    _pass_model,
    new_highs,
)
from tests.helpers import REPO_ROOT


def _market_split(m: int = 4, n: int = 40, seed: int = 7) -> LinearModel:
    """A market-split instance (Cornuéjols & Dawande): tiny, and hard for branch and bound.

    ``a x + over - under = b`` with x binary and b half of each row's sum; minimise over + under.
    """
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 100, size=(m, n))
    b = a.sum(axis=1) // 2
    builder = ModelBuilder()
    builder.add_vars("x", n, hi=1.0, integer=True)
    builder.add_vars("over", m, cost=1.0)
    builder.add_vars("under", m, cost=1.0)
    rows = np.concatenate([np.repeat(np.arange(m), n), np.arange(m), np.arange(m)])
    cols = np.concatenate([np.tile(np.arange(n), m), n + np.arange(m), n + m + np.arange(m)])
    vals = np.concatenate([a.ravel(), np.ones(m), -np.ones(m)])
    builder.add_rows("split", m, rows, cols, vals, lo=b, hi=b)
    return builder.build()


@pytest.fixture
def ctrl_c_raises() -> Iterator[None]:
    """Ctrl-C raises KeyboardInterrupt, as in a terminal, also when the suite was started in the
    background (a shell starts background jobs with SIGINT ignored, and Python keeps it so)."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


def test_ctrl_c_during_a_solve_stops_highs_before_the_caller_sees_it(ctrl_c_raises) -> None:
    h = new_highs()
    h.setOptionValue("time_limit", 60.0)
    _pass_model(h, _market_split())
    branching = threading.Event()
    h.cbMipInterrupt.subscribe(lambda event: branching.set())

    def ctrl_c() -> None:  # Ctrl-C: SIGINT to the main thread, waiting for the solve
        if branching.wait(timeout=60):
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)

    threading.Thread(target=ctrl_c, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        _highs_run(h, hard_limit_s=60.0)
    assert not h.is_solver_running()
    assert h.getModelStatus() == highspy.HighsModelStatus.kInterrupt


#: a process that solves through PuLP and gets Ctrl-C once HiGHS runs, then exits normally
PULP_CTRL_C = """
import signal, threading, time
signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal (see ctrl_c_raises)
from geoalloc.optimize.linear import solve_pulp
from tests.optimize.test_optimize_interrupt import _market_split

def ctrl_c():
    for _ in range(600):
        if any(t.name.endswith("(run)") for t in threading.enumerate()):  # PuLP's solve thread
            time.sleep(0.5)
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
            return
        time.sleep(0.1)

threading.Thread(target=ctrl_c, daemon=True).start()
try:
    solve_pulp(_market_split(), solver="highs", time_limit_s=60, mip_gap=1e-4, hard_limit_s=60)
except KeyboardInterrupt:
    print("interrupted")
"""


def test_ctrl_c_during_a_solve_through_pulp_lets_the_process_exit_cleanly() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", PULP_CTRL_C], capture_output=True, text=True, env=env, timeout=120
    )
    assert "terminate called" not in proc.stderr
    assert (proc.returncode, proc.stdout) == (0, "interrupted\n"), proc.stderr
