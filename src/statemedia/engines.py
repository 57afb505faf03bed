"""The executors that run a stage's plain function over its partitions: local processes or Dask.

An engine maps a module-level function over a list of items and returns the results in the
items' order, whatever order the workers finished in; the stages merge them in that order, so the
output does not depend on the engine or the number of workers. `LocalEngine` runs in this process
or in a process pool; `DaskEngine` submits to a `dask.distributed` scheduler: a local cluster of
worker processes (`--engine dask --workers N`) or an existing one (`--scheduler tcp://…`, e.g.
started by `dask_jobqueue.SLURMCluster` on a research cluster). A worker that dies mid-task is
retried by Dask on another worker (up to `distributed.scheduler.allowed-failures` times).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import os
import signal
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from tqdm import tqdm

from statemedia.errors import EngineError

T = TypeVar("T")
R = TypeVar("R")

ENGINES = ("local", "dask")
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


class Engine(Protocol):
    """Maps a picklable, module-level function over items; results in the items' order."""

    name: str

    def map(self, fn: Callable[[T], R], items: Sequence[T], desc: str) -> list[R]: ...


def _init_worker() -> None:
    """Set up a local worker process: no cyclic GC, and death with its parent.

    The stages allocate millions of small acyclic objects, which cyclic GC would rescan again and
    again. A worker blocked on its queue would outlive a parent killed with SIGKILL; on Linux the
    kernel sends it SIGKILL when the parent dies (PR_SET_PDEATHSIG). The parent may already be gone.
    """
    gc.disable()
    parent = os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _progress(items: Iterable[T], total: int, desc: str) -> Iterable[T]:
    """A progress bar on a terminal (tqdm decides), nothing otherwise."""
    return tqdm(items, total=total, desc=desc, unit="item", disable=None, leave=False)


@dataclass(slots=True)
class LocalEngine:
    """This machine: in process for one worker, else a pool of `workers` processes."""

    workers: int = 1
    name: str = "local"

    def map(self, fn: Callable[[T], R], items: Sequence[T], desc: str) -> list[R]:
        """Run `fn` over `items` here or in worker processes; results in the items' order."""
        if self.workers <= 1:
            return [fn(item) for item in _progress(items, len(items), desc)]
        with ProcessPoolExecutor(max_workers=self.workers, initializer=_init_worker) as pool:
            return list(_progress(pool.map(fn, items), len(items), desc))


def engine_for(engine: Engine | None, parts: int, big: bool) -> Engine:
    """The engine a stage runs on: the build's, else local, in one process per core (at most one
    per part) when the input is `big`, else in this process (worker start-up and pickling cost
    more than they save on small inputs)."""
    if engine is not None:
        return engine
    return LocalEngine(max(1, min(parts, os.cpu_count() or 1)) if big else 1)


@dataclass(slots=True)
class DaskEngine:
    """A `dask.distributed` client: results are gathered in submission order."""

    client: Any  # distributed.Client
    name: str = "dask"

    def map(self, fn: Callable[[T], R], items: Sequence[T], desc: str) -> list[R]:
        """Submit `fn` over `items` (one task each) and gather the results in the items' order.

        `pure=False`: every call is its own task, so two equal items are two tasks. An error raised
        by `fn` (e.g. a BadInputError naming a file) is re-raised here as it was raised there.
        """
        from distributed import KilledWorker

        futures = self.client.map(
            fn, items, pure=False, key=[f"{desc}-{k}" for k in range(len(items))]
        )
        try:
            return list(self.client.gather(futures))
        except KilledWorker as err:
            raise EngineError(
                f"the Dask cluster lost the {desc} task {err.task} on every retry (its workers "
                "died, e.g. out of memory); give workers more memory or use --engine local"
            ) from err


@contextlib.contextmanager
def open_engine(
    engine: str = "local", workers: int | None = None, scheduler: str | None = None
) -> Iterator[Engine | None]:
    """The engine a build runs on, opened for the duration of the block.

    local: `workers` processes, or None when `workers` is None (each stage then decides by its
    input size, see stages.py). dask: a local cluster of `workers` worker processes (default: one
    per core), or the scheduler at `scheduler`.
    """
    if engine == "local":
        if scheduler:
            raise EngineError("--scheduler needs --engine dask")
        yield LocalEngine(workers) if workers is not None else None
        return
    if engine != "dask":
        raise EngineError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    try:
        from distributed import Client, LocalCluster
    except ImportError as err:  # pragma: no cover - a dependency of the package
        raise EngineError("--engine dask needs the `distributed` package") from err
    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as err:  # distributed raises OSError (TimeoutError) when it cannot connect
            raise EngineError(
                f"cannot reach the Dask scheduler at {scheduler} ({err}); start it (`dask "
                "scheduler`) or check the address"
            ) from err
        with client:
            yield DaskEngine(client)
        return
    cluster = LocalCluster(
        n_workers=workers or os.cpu_count() or 1,
        threads_per_worker=1,  # the stages are pure Python: processes, not threads, give speed
        processes=True,
        dashboard_address=None,
        silence_logs=40,  # logging.ERROR: progress is ours to report
    )
    with cluster, Client(cluster) as client:
        yield DaskEngine(client)
