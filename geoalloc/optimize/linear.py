"""One sparse MILP, two ways to solve it: numpy arrays straight into HiGHS, or PuLP (HiGHS/CBC).

Every model in :mod:`geoalloc.optimize` builds a :class:`LinearModel` — column bounds, costs,
integrality and a sparse constraint matrix with row bounds — from numpy arrays, in time linear in
the number of feasible (area, site) pairs (no Python loop over pairs). :func:`solve_linear` then
either

- loads the arrays into ``highspy`` in one call (``backend="arrays"``, HiGHS only: fast), or
- turns the *same* arrays into a ``pulp.LpProblem`` (``backend="pulp"``: the readable path, the
  one that writes LP files and runs CBC).

Status is never taken from a solver's label: :func:`solve_linear` returns the incumbent, the
solver's proven bound and the gap between them, and :func:`status_from_gap` names the result.
A hard wall-clock limit is enforced by geoalloc itself, even when the solver overruns its own
time limit (seen with both HiGHS and CBC).
"""

from __future__ import annotations

import logging
import math
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from scipy import sparse

from geoalloc._errors import SolverError

log = logging.getLogger(__name__)


def exact_dot(a: np.ndarray, b: np.ndarray) -> float:
    """``Σ a·b``, correctly rounded (:func:`math.fsum` of the products).

    A BLAS dot product splits its sum over as many threads as the BLAS library is allowed
    (``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``; Dask workers set them to 1), so its last bits
    depend on the machine and the process. A lexicographic level's value bounds the next level, so
    those bits can change which of several equally good assignments the solver returns: objective
    values go through this sum instead, and a run gives the same plan on every executor.
    """
    return math.fsum(np.multiply(np.asarray(a, dtype=float), np.asarray(b, dtype=float)).tolist())


INF = float("inf")


@dataclass(frozen=True)
class LinearModel:
    """``min c·x + offset`` s.t. ``row_lo ≤ A x ≤ row_hi``, ``col_lo ≤ x ≤ col_hi``, some x integer.

    Attributes
    ----------
    c, col_lo, col_hi
        Costs and bounds per column (``inf`` for none).
    integer
        Boolean per column: integer (binary when bounds are 0..1).
    A
        Constraint matrix, CSR, shape (rows, columns).
    row_lo, row_hi
        Row bounds (``-inf``/``inf`` for a one-sided row; equal for an equality).
    blocks
        Name → ``slice`` of the columns of each variable block (``"y"``, ``"x"``, ``"u"`` …).
    row_blocks
        Name → ``slice`` of the rows of each constraint block (``"capacity"``, ``"budget"`` …).
    """

    c: np.ndarray
    col_lo: np.ndarray
    col_hi: np.ndarray
    integer: np.ndarray
    A: sparse.csr_array
    row_lo: np.ndarray
    row_hi: np.ndarray
    blocks: dict[str, slice]
    row_blocks: dict[str, slice]
    offset: float = 0.0

    @property
    def n_cols(self) -> int:
        return len(self.c)

    @property
    def n_rows(self) -> int:
        return len(self.row_lo)


class ModelBuilder:
    """Collects variable and constraint blocks as arrays, then freezes a :class:`LinearModel`."""

    def __init__(self) -> None:
        self._c: list[np.ndarray] = []
        self._lo: list[np.ndarray] = []
        self._hi: list[np.ndarray] = []
        self._int: list[np.ndarray] = []
        self.blocks: dict[str, slice] = {}
        self.row_blocks: dict[str, slice] = {}
        self._n_cols = 0
        self._n_rows = 0
        self._rows: list[np.ndarray] = []
        self._cols: list[np.ndarray] = []
        self._vals: list[np.ndarray] = []
        self._rlo: list[np.ndarray] = []
        self._rhi: list[np.ndarray] = []
        self._offset = 0.0

    @classmethod
    def starting_from(cls, lm: LinearModel) -> ModelBuilder:
        """A builder holding ``lm``'s columns, rows, blocks and offset: add columns and rows
        (which may use ``lm``'s columns), then :meth:`build` the extended model.

        ``lm``'s rows keep their coefficients (a new column is in none of them) and its blocks
        keep their names and positions, so whatever decodes ``lm``'s solutions decodes the
        extended model's. :meth:`build` keeps ``lm.offset`` unless given another.
        """
        b = cls()
        b._c.append(lm.c.astype(float))
        b._lo.append(lm.col_lo.astype(float))
        b._hi.append(lm.col_hi.astype(float))
        b._int.append(lm.integer.astype(bool))
        b._n_cols = lm.n_cols
        coo = lm.A.tocoo()
        b._rows.append(np.asarray(coo.row, dtype=np.int64))
        b._cols.append(np.asarray(coo.col, dtype=np.int64))
        b._vals.append(np.asarray(coo.data, dtype=float))
        b._rlo.append(lm.row_lo.astype(float))
        b._rhi.append(lm.row_hi.astype(float))
        b._n_rows = lm.n_rows
        b.blocks = dict(lm.blocks)
        b.row_blocks = dict(lm.row_blocks)
        b._offset = lm.offset
        return b

    @property
    def n_cols(self) -> int:
        """Columns so far."""
        return self._n_cols

    def add_vars(
        self, name: str, n: int, *, cost=0.0, lo=0.0, hi=INF, integer: bool = False
    ) -> int:
        """Add ``n`` columns; return the index of the first."""
        start = self._n_cols
        self._c.append(np.broadcast_to(np.asarray(cost, dtype=float), (n,)).copy())
        self._lo.append(np.broadcast_to(np.asarray(lo, dtype=float), (n,)).copy())
        self._hi.append(np.broadcast_to(np.asarray(hi, dtype=float), (n,)).copy())
        self._int.append(np.broadcast_to(np.asarray(integer, dtype=bool), (n,)).copy())
        self._n_cols += n
        self.blocks[name] = slice(start, start + n)
        return start

    def add_rows(self, name: str, n: int, rows, cols, vals, *, lo=-INF, hi=INF) -> int:
        """Add ``n`` rows as triplets (``rows`` relative to this block); return the first row."""
        start = self._n_rows
        rows = np.asarray(rows, dtype=np.int64)
        self._rows.append(rows + start)
        self._cols.append(np.asarray(cols, dtype=np.int64))
        self._vals.append(np.broadcast_to(np.asarray(vals, dtype=float), rows.shape).copy())
        self._rlo.append(np.broadcast_to(np.asarray(lo, dtype=float), (n,)).copy())
        self._rhi.append(np.broadcast_to(np.asarray(hi, dtype=float), (n,)).copy())
        self._n_rows += n
        self.row_blocks[name] = slice(start, start + n)
        return start

    def build(self, offset: float | None = None) -> LinearModel:
        def cat(parts: list[np.ndarray], dtype) -> np.ndarray:
            return np.concatenate(parts).astype(dtype) if parts else np.empty(0, dtype=dtype)

        rows, cols, vals = (
            cat(self._rows, np.int64),
            cat(self._cols, np.int64),
            cat(self._vals, float),
        )
        A = sparse.csr_array((vals, (rows, cols)), shape=(self._n_rows, self._n_cols))
        A.sum_duplicates()
        return LinearModel(
            c=cat(self._c, float),
            col_lo=cat(self._lo, float),
            col_hi=cat(self._hi, float),
            integer=cat(self._int, bool),
            A=A,
            row_lo=cat(self._rlo, float),
            row_hi=cat(self._rhi, float),
            blocks=dict(self.blocks),
            row_blocks=dict(self.row_blocks),
            offset=self._offset if offset is None else offset,
        )


@dataclass(frozen=True)
class RawSolution:
    """What a solver returned, before geoalloc names a status.

    ``x`` is None when there is no incumbent. ``bound`` is the solver's proven lower bound on the
    objective (minimisation), ``None`` when it proved nothing. ``outcome`` is one of
    ``solved`` (ran to its own stopping rule), ``time_limit``, ``infeasible``, ``unbounded`` or
    ``error``.
    """

    x: np.ndarray | None
    objective: float | None
    bound: float | None
    outcome: str
    solve_s: float
    row_duals: np.ndarray | None = None
    solver_label: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def proven_infeasible(self) -> bool:
        """True when the model has no solution: the solver proved it, or ran to its own
        stopping rule without finding one (a time limit without a solution proves nothing)."""
        return self.outcome == "infeasible" or (self.x is None and self.outcome == "solved")


def relative_gap(objective: float, bound: float | None) -> float | None:
    """``(objective − bound) / max(|objective|, 1)`` (minimisation), ≥ 0; None without a bound."""
    if bound is None or not np.isfinite(bound):
        return None
    return max(0.0, (objective - bound) / max(abs(objective), 1.0))


def status_from_gap(gap: float | None, mip_gap: float) -> str:
    """``optimal`` when the proven gap is within ``mip_gap`` (+ float slack), else ``feasible``."""
    if gap is not None and gap <= mip_gap + 1e-9:
        return "optimal"
    return "feasible"


# --------------------------------------------------------------------------- HiGHS from arrays

_BANNER_LOCK = threading.Lock()
_BANNER_DONE = False


def new_highs():
    """A silent ``highspy.Highs``.

    HiGHS writes its banner to the process's stdout the first time a ``Highs`` object is created,
    whatever ``output_flag`` says later. The library must not print, so the first construction runs
    with file descriptor 1 pointed at ``/dev/null`` (once per process).
    """
    global _BANNER_DONE
    try:
        import highspy
    except ImportError as exc:  # pragma: no cover - highspy is a dependency
        msg = "HiGHS is not installed — pip install highspy"
        raise SolverError(msg) from exc
    with _BANNER_LOCK:
        if not _BANNER_DONE:
            sys.stdout.flush()
            saved = os.dup(1)
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, 1)
                h = highspy.Highs()
            finally:
                os.dup2(saved, 1)
                os.close(saved)
                os.close(devnull)
            _BANNER_DONE = True
        else:
            h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("log_to_console", False)
    return h


def _pass_model(h, lm: LinearModel) -> None:
    import highspy

    A = lm.A.tocsc()
    lp = highspy.HighsLp()
    lp.num_col_ = lm.n_cols
    lp.num_row_ = lm.n_rows
    lp.col_cost_ = lm.c
    lp.col_lower_ = lm.col_lo
    lp.col_upper_ = lm.col_hi
    lp.row_lower_ = lm.row_lo
    lp.row_upper_ = lm.row_hi
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data.astype(float)
    lp.offset_ = lm.offset
    if lm.integer.any():
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous
            for flag in lm.integer
        ]
    h.passModel(lp)


def _highs_run(h, hard_limit_s: float, stop_gap: tuple[float, float] | None = None) -> float:
    """Run HiGHS in a worker thread, interrupted at the hard wall-clock limit; return seconds.

    ``stop_gap = (bound, gap)``: also stop as soon as the incumbent is within ``gap`` of ``bound``,
    a lower bound proven elsewhere (e.g. by a relaxation of this model).

    A ``KeyboardInterrupt`` (Ctrl-C, or SIGTERM as the CLI raises it) while HiGHS works stops
    HiGHS through its interrupt callback and waits for its thread to end before it is re-raised:
    a process that exits with the solver's threads still running aborts (SIGABRT).
    """
    deadline = time.monotonic() + hard_limit_s
    stop = threading.Event()

    def interrupt(event) -> None:
        if stop.is_set() or time.monotonic() > deadline:
            event.interrupt()
        elif stop_gap is not None:
            incumbent = event.data_out.mip_primal_bound
            if np.isfinite(incumbent):
                gap = relative_gap(float(incumbent), stop_gap[0])
                if gap is not None and gap <= stop_gap[1]:
                    event.interrupt()

    h.cbMipInterrupt.subscribe(interrupt)
    h.cbIpmInterrupt.subscribe(interrupt)
    started = time.perf_counter()
    try:
        thread = h.startSolve()
        thread.join(timeout=hard_limit_s + 5.0)
        if thread.is_alive():
            stop.set()
            thread.join(timeout=10.0)
            if thread.is_alive():
                msg = (
                    f"HiGHS ignored the hard time limit of {hard_limit_s:.0f} s and was abandoned; "
                    "raise time_limit_s or simplify the model"
                )
                raise SolverError(msg)
    except KeyboardInterrupt:
        stop.set()
        _wait_uninterrupted(h.is_solver_running)
        raise
    return time.perf_counter() - started


def _wait_uninterrupted(running) -> None:
    """Wait while ``running()``; a further Ctrl-C meanwhile does not cut the wait short."""
    log.warning("interrupted: stopping the solver")
    while running():
        try:
            time.sleep(0.05)
        except KeyboardInterrupt:
            continue


def solve_highs_arrays(
    lm: LinearModel,
    *,
    time_limit_s: float,
    mip_gap: float,
    hard_limit_s: float,
    want_duals: bool = False,
    start: np.ndarray | None = None,
    threads: int | None = None,
    known_bound: float | None = None,
) -> RawSolution:
    """Solve ``lm`` with HiGHS fed straight from the arrays (no PuLP objects).

    ``known_bound``: a lower bound on the optimum proven elsewhere; the solve stops once the
    incumbent is within ``mip_gap`` of it, and the returned bound is the larger of the two.
    """
    import highspy

    h = new_highs()
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    if threads is not None:
        h.setOptionValue("threads", int(threads))
    _pass_model(h, lm)
    if start is not None and lm.integer.any():
        sol = highspy.HighsSolution()
        sol.col_value = list(np.asarray(start, dtype=float))
        sol.value_valid = True
        h.setSolution(sol)
    stop = (known_bound, mip_gap) if known_bound is not None and lm.integer.any() else None
    solve_s = _highs_run(h, hard_limit_s, stop)
    status = h.getModelStatus()
    info = h.getInfo()
    label = h.modelStatusToString(status)
    S = highspy.HighsModelStatus
    has_x = info.primal_solution_status == 2  # kSolutionStatusFeasible
    x = np.asarray(h.getSolution().col_value, dtype=float) if has_x else None
    objective = float(info.objective_function_value) if has_x else None
    mip = bool(lm.integer.any())
    if mip:
        bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else None
    else:
        bound = objective if status == S.kOptimal else None
    if status == S.kOptimal:
        outcome = "solved"
    elif status in (S.kInfeasible,):
        outcome = "infeasible"
    elif status in (S.kUnbounded, S.kUnboundedOrInfeasible):
        outcome = "unbounded"
    elif status in (S.kTimeLimit, S.kInterrupt, S.kIterationLimit, S.kSolutionLimit):
        outcome = "time_limit"
    else:
        outcome = "error"
    if known_bound is not None and has_x:
        bound = known_bound if bound is None else max(bound, known_bound)
    duals = None
    if want_duals and has_x and not mip and status == S.kOptimal:
        duals = np.asarray(h.getSolution().row_dual, dtype=float)
    return RawSolution(x, objective, bound, outcome, solve_s, duals, label)


# --------------------------------------------------------------------------- PuLP (HiGHS or CBC)


def to_pulp(lm: LinearModel, name: str = "geoalloc"):
    """The same model as a ``pulp.LpProblem`` (variables ``v0``, ``v1`` … in column order)."""
    import pulp

    prob = pulp.LpProblem(name, pulp.LpMinimize)
    variables = [
        prob.add_variable(
            f"v{k}",
            lowBound=None if not np.isfinite(lo) else float(lo),
            upBound=None if not np.isfinite(hi) else float(hi),
            cat=pulp.LpInteger if flag else pulp.LpContinuous,
        )
        for k, (lo, hi, flag) in enumerate(zip(lm.col_lo, lm.col_hi, lm.integer, strict=True))
    ]
    nz = np.flatnonzero(lm.c)
    prob += pulp.LpAffineExpression(
        [(variables[k], float(lm.c[k])) for k in nz], constant=lm.offset
    )
    A = lm.A
    for r in range(lm.n_rows):
        lo_i, hi_i = A.indptr[r], A.indptr[r + 1]
        expr = pulp.LpAffineExpression(
            [
                (variables[j], float(v))
                for j, v in zip(A.indices[lo_i:hi_i], A.data[lo_i:hi_i], strict=True)
            ]
        )
        lo, hi = lm.row_lo[r], lm.row_hi[r]
        if lo == hi:
            prob += pulp.LpConstraint(expr, pulp.LpConstraintEQ, f"r{r}", float(lo))
        else:
            if np.isfinite(lo):
                prob += pulp.LpConstraint(expr, pulp.LpConstraintGE, f"r{r}_lo", float(lo))
            if np.isfinite(hi):
                prob += pulp.LpConstraint(expr, pulp.LpConstraintLE, f"r{r}_hi", float(hi))
    return prob, variables


def _children_running(name: str) -> list[int]:
    """Ids of this process's child processes whose command line mentions ``name`` (Linux /proc)."""
    found: list[int] = []
    task_dir = Path(f"/proc/{os.getpid()}/task")
    if not task_dir.is_dir():
        return found
    for task in task_dir.iterdir():
        try:
            kids = (task / "children").read_text().split()
        except OSError:
            continue
        for pid in kids:
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if name in cmd:
                found.append(int(pid))
    return found


def _stop_highs_on(engine, stop: threading.Event) -> None:
    """Make PuLP's HiGHS object of ``engine`` stop its solve once ``stop`` is set."""
    configure = engine.createAndConfigureSolver

    def configure_with_stop(lp) -> None:
        configure(lp)

        def interrupt(event) -> None:
            if stop.is_set():
                event.interrupt()

        lp.solverModel.cbMipInterrupt.subscribe(interrupt)
        lp.solverModel.cbIpmInterrupt.subscribe(interrupt)

    engine.createAndConfigureSolver = configure_with_stop


_CBC_BOUND = re.compile(r"Lower bound:\s*([-+0-9.eE]+)")
_CBC_OBJ = re.compile(r"Objective value:\s*([-+0-9.eE]+)")


def solve_pulp(
    lm: LinearModel, *, solver: str, time_limit_s: float, mip_gap: float, hard_limit_s: float
) -> RawSolution:
    """Solve ``lm`` through PuLP (HiGHS or CBC); the bound comes from the solver, not its label."""
    workdir = tempfile.mkdtemp(prefix="geoalloc_pulp_")
    try:
        return _solve_pulp(
            lm,
            solver=solver,
            time_limit_s=time_limit_s,
            mip_gap=mip_gap,
            hard_limit_s=hard_limit_s,
            workdir=workdir,
        )
    finally:
        # PuLP leaves its .mps/.sol files behind when CBC is killed: they all live in workdir
        shutil.rmtree(workdir, ignore_errors=True)


def _solve_pulp(
    lm: LinearModel,
    *,
    solver: str,
    time_limit_s: float,
    mip_gap: float,
    hard_limit_s: float,
    workdir: str,
) -> RawSolution:
    import pulp

    from geoalloc.optimize.solvers import make_solver

    if solver == "highs":
        new_highs()  # silence the banner before PuLP creates its own Highs object
    prob, variables = to_pulp(lm)
    log_path = str(Path(workdir) / "cbc.log") if solver == "cbc" else None
    engine = make_solver(solver, time_limit_s=time_limit_s, mip_gap=mip_gap, log_path=log_path)
    if hasattr(engine, "tmpDir"):
        engine.tmpDir = workdir
    failed: list[Exception] = []  # what the solve raised, re-raised in this thread
    stop = threading.Event()
    if solver == "highs":
        _stop_highs_on(engine, stop)

    finished = threading.Event()  # not thread.is_alive(): an interrupted join() can make it lie

    def run() -> None:
        try:
            prob.solve(engine)
        except Exception as exc:  # noqa: BLE001 - re-raised in the caller's thread
            failed.append(exc)
        finally:
            finished.set()

    started = time.perf_counter()
    thread = threading.Thread(target=run, daemon=True)
    try:
        thread.start()
        thread.join(timeout=hard_limit_s)
    except KeyboardInterrupt:  # stop the solver and wait for it (see _highs_run)
        stop.set()
        for pid in _children_running("cbc"):
            os.kill(pid, signal.SIGTERM)
        _wait_uninterrupted(lambda: not finished.is_set())
        raise
    killed = False
    if thread.is_alive():
        for pid in _children_running("cbc"):
            log.warning(
                "CBC (pid %d) overran the hard limit of %.0f s: killing it", pid, hard_limit_s
            )
            os.kill(pid, signal.SIGKILL)
            killed = True
        thread.join(timeout=10.0)
        if thread.is_alive():
            msg = f"{solver} ignored the hard time limit of {hard_limit_s:.0f} s and was abandoned"
            raise SolverError(msg)
    solve_s = time.perf_counter() - started
    log_text = ""
    if log_path is not None and Path(log_path).is_file():
        log_text = Path(log_path).read_text(errors="replace")
    if killed:
        return RawSolution(None, None, None, "time_limit", solve_s, solver_label="killed")
    if failed:
        err = failed[0]
        msg = f"{solver} failed: {err}"
        raise SolverError(msg) from err
    label = pulp.LpStatus[prob.status]
    values = np.array([v.varValue if v.varValue is not None else np.nan for v in variables])
    has_x = bool(len(values) == 0 or np.isfinite(values).all())
    mip = bool(lm.integer.any())
    if has_x and mip:
        # CBC's "Not Solved" can carry fractional values: an incumbent must be integral
        ints = values[lm.integer]
        has_x = bool(np.all(np.abs(ints - np.round(ints)) <= 1e-6))
    x = values if has_x else None
    objective = exact_dot(lm.c, values) + lm.offset if has_x else None
    bound: float | None = None
    outcome = "error"
    if solver == "highs":
        h = prob.solverModel
        info = h.getInfo()
        import highspy

        S = highspy.HighsModelStatus
        status = h.getModelStatus()
        if mip and np.isfinite(info.mip_dual_bound):
            bound = float(info.mip_dual_bound)
        elif not mip and status == S.kOptimal:
            bound = objective
        outcome = {
            S.kOptimal: "solved",
            S.kInfeasible: "infeasible",
            S.kTimeLimit: "time_limit",
            S.kInterrupt: "time_limit",
            S.kUnbounded: "unbounded",
        }.get(status, "error")
        label = f"{label} (HiGHS: {h.modelStatusToString(status)})"
    else:
        found = _CBC_BOUND.findall(log_text)
        if found:
            bound = float(found[-1])
        elif label == "Optimal" and not mip and objective is not None:
            bound = objective
        if "Stopped on time" in log_text or "time limit" in log_text.lower():
            outcome = "time_limit"
        elif "infeasible" in log_text.lower() and label == "Infeasible":
            outcome = "infeasible"
        elif label == "Optimal":
            outcome = "solved"
            if bound is None and objective is not None and "Result - Optimal" in log_text:
                bound = objective
        elif label == "Infeasible":
            outcome = "infeasible"
        elif label == "Not Solved":
            outcome = "time_limit"
    return RawSolution(x, objective, bound, outcome, solve_s, solver_label=label)


def solve_linear(
    lm: LinearModel,
    *,
    solver: str = "highs",
    backend: str = "arrays",
    time_limit_s: float = 60.0,
    mip_gap: float = 1e-4,
    hard_limit_s: float | None = None,
    start: np.ndarray | None = None,
    threads: int | None = None,
    known_bound: float | None = None,
) -> RawSolution:
    """Solve ``lm`` with ``solver`` ('highs' or 'cbc') through ``backend`` ('arrays' or 'pulp').

    ``backend='arrays'`` needs HiGHS; CBC always goes through PuLP. ``hard_limit_s`` (default:
    ``1.25 × time_limit_s + 5``) is geoalloc's own wall-clock limit. ``known_bound``: a lower
    bound proven elsewhere (e.g. by a relaxation); the arrays path stops once within ``mip_gap``
    of it, and both paths report the larger of it and the solver's own bound.
    """
    hard = hard_limit_s if hard_limit_s is not None else 1.25 * time_limit_s + 5.0
    time_limit_s = max(0.01, min(time_limit_s, hard))
    if solver == "highs" and backend == "arrays":
        return solve_highs_arrays(
            lm,
            time_limit_s=time_limit_s,
            mip_gap=mip_gap,
            hard_limit_s=hard,
            start=start,
            threads=threads,
            known_bound=known_bound,
        )
    raw = solve_pulp(
        lm, solver=solver, time_limit_s=time_limit_s, mip_gap=mip_gap, hard_limit_s=hard
    )
    if known_bound is not None and raw.x is not None:
        bound = known_bound if raw.bound is None else max(raw.bound, known_bound)
        raw = replace(raw, bound=bound)
    return raw


def lp_duals(lm: LinearModel, *, time_limit_s: float = 60.0) -> RawSolution:
    """Solve the continuous relaxation of ``lm`` (integrality dropped) and return row duals."""
    relaxed = LinearModel(
        c=lm.c,
        col_lo=lm.col_lo,
        col_hi=lm.col_hi,
        integer=np.zeros_like(lm.integer),
        A=lm.A,
        row_lo=lm.row_lo,
        row_hi=lm.row_hi,
        blocks=lm.blocks,
        row_blocks=lm.row_blocks,
        offset=lm.offset,
    )
    return solve_highs_arrays(
        relaxed,
        time_limit_s=time_limit_s,
        mip_gap=0.0,
        hard_limit_s=time_limit_s + 5,
        want_duals=True,
    )


def solve_with_options(lm: LinearModel, options, **overrides) -> RawSolution:
    """:func:`solve_linear` with the solver settings of an ``[optimize]`` section (solver, backend,
    time limit, gap, hard limit, threads); keyword ``overrides`` win."""
    settings = {
        "solver": options.solver,
        "backend": options.backend,
        "time_limit_s": options.time_limit_s,
        "mip_gap": options.mip_gap,
        "hard_limit_s": options.hard_limit_s,
        "threads": options.threads,
    }
    settings.update(overrides)
    return solve_linear(lm, **settings)
