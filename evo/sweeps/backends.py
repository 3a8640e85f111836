"""Where a sweep's runs execute: one whole run per task, serially, in a spawn-context process pool or on
Dask; a run's files depend on its scenario and seed only."""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from evo.config import toml
from evo.errors import EvoError
from evo.runs import plugins, scenarios

log = logging.getLogger(__name__)

Backend = Literal["serial", "processes", "dask"]
BACKENDS: tuple[Backend, ...] = ("serial", "processes", "dask")

#: Environment that keeps each worker's BLAS single-threaded: several workers each running a multithreaded
#: BLAS would oversubscribe the cores (DEAP_NOTES).
BLAS_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "VECLIB_MAXIMUM_THREADS": "1", "NUMEXPR_NUM_THREADS": "1"}


def execute(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Run one (cell, seed) in this process and write its run directory, then call ``spec["after_run"]``
    with it (if not None). ``spec`` is plain data (the resolved scenario as TOML text, the seed, the
    absolute output path, the plugins to load first: :func:`evo.runs.plugins.loaded` of the coordinating
    process) and that module-level function, so it crosses to any worker."""
    from evo.runs import checkpoint, run

    started = time.perf_counter()
    run_dir = Path(spec["out"])
    try:
        plugins.load_all(spec.get("plugins", ()))  # before the scenario names a kind or scheme they register
        if checkpoint.exists(run_dir) and same_scenario(run_dir / "scenario.toml", spec["scenario"]):
            # a run cut short (a killed worker or sweep) continues from its last checkpoint; the finished
            # files are byte-identical to an uninterrupted run's (evo.runs.run.resume)
            try:
                run.resume(run_dir)
            except EvoError as exc:
                log.warning("%s: cannot resume (%s); running it again from the start", run_dir, exc)
            else:
                if spec.get("after_run") is not None:
                    spec["after_run"](run_dir)
                return {"run_id": spec["run_id"], "status": "done", "error": None,
                        "seconds": time.perf_counter() - started}
        s = scenarios.loads(spec["scenario"], source=spec["source"])
        run.run(s, seed=spec["seed"], out=run_dir, force=True)
        if spec.get("after_run") is not None:
            spec["after_run"](run_dir)
    except Exception as exc:  # recorded, and the sweep goes on; KeyboardInterrupt is not caught
        log.exception("run %s failed", spec["run_id"])
        return {"run_id": spec["run_id"], "status": "failed", "error": f"{type(exc).__name__}: {exc}",
                "seconds": time.perf_counter() - started}
    return {"run_id": spec["run_id"], "status": "done", "error": None,
            "seconds": time.perf_counter() - started}


def same_scenario(path: Path, text: str) -> bool:
    """Whether the resolved scenario written at ``path`` is the one ``text`` resolves to. Compared as
    scenarios, not as text, so a run written by an older TOML writer still counts as the same."""
    try:
        written = toml.read_text(path)
    except EvoError:
        return False
    if written == text:
        return True
    try:
        return scenarios.loads(written, "scenario.toml") == scenarios.loads(text, "scenario.toml")
    except EvoError:
        return False


def _worker_init(coordinator: int) -> None:
    """In each pool worker: die with the coordinating process (Linux ``PR_SET_PDEATHSIG``), so a killed
    sweep leaves no orphan still writing a run directory that the resumed sweep is rewriting."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1
        except (OSError, AttributeError):
            log.warning("could not tie this worker's life to the sweep process")
    if os.getppid() != coordinator:  # the coordinator died before prctl took effect
        os._exit(1)


@contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for processes started inside the block (this process's BLAS is already
    loaded and keeps its threads)."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _serial(specs: Sequence[dict[str, Any]], workers: int, scheduler: str | None,
            done: Callable[[dict[str, Any]], None]) -> None:
    for spec in specs:
        done(execute(spec))


def _processes(specs: Sequence[dict[str, Any]], workers: int, scheduler: str | None,
               done: Callable[[dict[str, Any]], None]) -> None:
    # explicit: fork with threads is unsafe, and Python 3.14 changes the default
    ctx = multiprocessing.get_context("spawn")
    with _environment(BLAS_ENV):
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init,
                                   initargs=(os.getpid(),))
        try:
            futures = {pool.submit(execute, spec): spec for spec in specs}
            for fut in as_completed(futures):
                try:
                    result = fut.result()
                except BrokenProcessPool as exc:
                    result = {"run_id": futures[fut]["run_id"], "status": "failed",
                              "error": f"a worker process died ({exc}); run the sweep again to resume"}
                done(result)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _dask(specs: Sequence[dict[str, Any]], workers: int, scheduler: str | None,
          done: Callable[[dict[str, Any]], None]) -> None:
    try:
        import distributed
    except ImportError:
        raise EvoError("--backend dask needs dask.distributed: pip install 'evo[dask]'") from None
    with tempfile.TemporaryDirectory(prefix="evo-dask-") as scratch:
        cluster = None
        if scheduler:
            try:
                client = distributed.Client(scheduler, timeout=30)
            except OSError as exc:
                raise EvoError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
        else:
            cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                               host="127.0.0.1", dashboard_address=None,
                                               local_directory=scratch, env=dict(BLAS_ENV))
            client = distributed.Client(cluster)
        try:
            # explicit unique keys: identical specs must never collapse into one task (dask is pure=True by
            # default), and a long-lived scheduler may still hold keys from an earlier invocation
            token = uuid.uuid4().hex[:12]
            futures = {client.submit(execute, spec, key=f"evo-run-{token}-{spec['run_id']}", pure=False): spec
                       for spec in specs}
            for fut in distributed.as_completed(futures):
                try:
                    result = fut.result()
                except Exception as exc:  # the task or its worker failed for good (dask retries lost workers)
                    result = {"run_id": futures[fut]["run_id"], "status": "failed",
                              "error": f"{type(exc).__name__}: {exc}"}
                done(result)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()


_BACKENDS: dict[str, Callable[..., None]] = {"serial": _serial, "processes": _processes, "dask": _dask}


def dispatch(backend: str, specs: Sequence[dict[str, Any]], workers: int, scheduler: str | None,
             done: Callable[[dict[str, Any]], None]) -> None:
    """Execute every run of ``specs`` on ``backend`` (one of :data:`BACKENDS`), calling ``done`` with each
    result as it comes."""
    _BACKENDS[backend](specs, workers, scheduler, done)
