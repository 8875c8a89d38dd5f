"""The local runner: whole files on worker processes of this machine.

How many workers: one per GPU when the network runs on GPUs (each process sees one); on the CPU,
:func:`cpu_split`: processes with fewer network threads each, because a network's speed grows less
than its threads (:data:`THREAD_SCALING`, measured in ``docs/scale.md``) while the decoder, the flow
smoother and the encoder of one process fill the gaps another leaves; fewer processes when the queue is
too short to keep them all busy to the end. With a progress display, the workers put their frames so far on a
Manager queue that the driver reads while it waits (:mod:`stylecam.batch.progress`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import os
import queue as queues
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from ..api import VideoOptions
from .plan import Job
from .progress import BatchProgress, QueueReport
from .work import Outcome, stylize_file

#: how a worker's speed grows with its threads: ``t`` threads run ``t ** THREAD_SCALING`` times as fast
#: as one, against splitting the cores between processes. Measured with scripts/bench_batch.py on the
#: idle 2-core build machine (docs/scale.md): ``stylecam video`` on the bikes clip ran at 42.7 fps with one
#: network thread and 43.7 with two (decoding, smoothing and encoding weigh as much as the network), and
#: two 1-thread processes finished the three clips in 22.7 s against 25.6 s for one 2-thread process.
#: 0.5 is kept below what a heavier network would show, so a single long video still gets every core.
THREAD_SCALING = 0.5
#: pools of worker processes tried before a job whose worker died is given up (a dead worker takes the
#: pool's other jobs with it; they run again in the next pool)
POOL_ROUNDS = 3
#: at most this many CPU worker processes (each holds a network and frames in memory)
MAX_CPU_WORKERS = 8
#: seconds the driver waits for a result before it reads the workers' progress again
PROGRESS_POLL = 0.25


def visible_gpus() -> list[str]:
    """The NVIDIA GPUs this process may use, as ``CUDA_VISIBLE_DEVICES`` names them (none without a
    driver)."""
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env is not None:
        return [d.strip() for d in env.split(",") if d.strip() and d.strip() != "-1"]
    folder = Path("/proc/driver/nvidia/gpus")
    try:
        return [str(i) for i in range(len(list(folder.iterdir())))]
    except OSError:
        return []


def cpu_split(cores: int, threads: int | None = None, loads: Sequence[int] = ()) -> tuple[int, int]:
    """``(workers, threads each)`` for CPU work on ``cores`` cores (``threads``: as the user chose).

    ``loads`` (the frames of each job) let the split weigh a short queue: three clips on two cores
    leave one core idle at the end with two workers, so there one worker with both cores can finish
    first. The split with the shortest expected run wins: each worker's share of the frames (the largest
    first, to the least loaded worker), at :data:`THREAD_SCALING` for its threads.
    """
    if threads:
        return max(1, min(MAX_CPU_WORKERS, cores // threads)), threads
    best: tuple[float, int] | None = None
    most = max(1, min(MAX_CPU_WORKERS, cores, len(loads) or cores))
    for workers in range(1, most + 1):
        each = max(1, cores // workers)
        share = [0] * workers
        for load in sorted(loads, reverse=True):
            share[share.index(min(share))] += load
        span = (max(share) if loads else 1.0 / workers) / each**THREAD_SCALING
        if best is None or span < best[0] * 0.999:
            best = (span, workers)
    assert best is not None
    return best[1], max(1, cores // best[1])


def local_workers(
    options: VideoOptions, workers: int | None, loads: Sequence[int] = ()
) -> tuple[int, int | None, list[str]]:
    """``(workers, threads each, GPU of each worker)`` for a local run (``loads``: frames per job)."""
    gpus = visible_gpus() if options.device != "cpu" else []
    if gpus:
        n = workers or len(gpus)
        return n, options.threads, [gpus[i % len(gpus)] for i in range(n)]
    cores = os.cpu_count() or 1
    if workers:
        return workers, options.threads or max(1, cores // workers), []
    n, each = cpu_split(cores, options.threads, loads)
    return n, each, []


def _pin_gpu(queue) -> None:  # a worker process's initializer: one GPU each
    os.environ["CUDA_VISIBLE_DEVICES"] = queue.get()


def run_local(
    jobs: Sequence[Job],
    options: VideoOptions,
    workers: int,
    threads: int | None,
    gpus: list[str],
    on_result: Callable[[Job, Outcome], None],
    progress: BatchProgress | None = None,
) -> None:
    """Stylize each job's input into its temporary name; ``on_result`` gets each outcome (here), and
    ``progress`` the frames the workers report as they go."""
    opts = dataclasses.replace(options, threads=threads)
    ctx = multiprocessing.get_context("spawn")
    remaining = list(jobs)
    with contextlib.ExitStack() as stack:
        reports = None
        if progress is not None:
            reports = stack.enter_context(ctx.Manager()).Queue()
        for round_ in range(POOL_ROUNDS):
            last = round_ == POOL_ROUNDS - 1
            broken = _pool_round(ctx, remaining, opts, workers, gpus, on_result, last, progress, reports)
            if not broken:
                return
            remaining = broken


def _pool_round(
    ctx,
    jobs: list[Job],
    opts: VideoOptions,
    workers: int,
    gpus: list[str],
    on_result,
    last: bool,
    progress: BatchProgress | None = None,
    reports=None,
):
    """One pool of worker processes; returns the jobs whose outcome a dead worker took with it."""
    kwargs = {}
    if gpus:
        queue = ctx.Queue()
        for gpu in gpus:
            queue.put(gpu)
        kwargs = {"initializer": _pin_gpu, "initargs": (queue,)}
    broken: list[Job] = []
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=ctx, **kwargs) as pool:
        futures = {}
        for job in jobs:
            report = None if reports is None else QueueReport(reports, (job.ident, None))
            futures[pool.submit(stylize_file, job.input, job.temp, job.kind, opts, report)] = job
        waiting = set(futures)
        while waiting:
            ready, waiting = wait(
                waiting, timeout=None if reports is None else PROGRESS_POLL, return_when=FIRST_COMPLETED
            )
            if progress is not None:
                _take_reports(reports, progress, {futures[f].ident for f in waiting | ready})
            for future in ready:
                job = futures[future]
                try:
                    outcome = future.result()
                except BrokenProcessPool:
                    if not last:
                        if progress is not None:
                            progress.forget(job.ident)
                        broken.append(job)
                        continue
                    outcome = Outcome(ok=False, why="its worker process died (killed, or out of memory)")
                on_result(job, outcome)
    return broken


def _take_reports(reports, progress: BatchProgress, running: set[str]) -> None:
    """The frames the workers reported since the last look (of jobs still running: a report that comes
    after its job's result is stale)."""
    while True:
        try:
            part, frames = reports.get_nowait()
        except queues.Empty:
            return
        except Exception:  # the manager is gone (SIGTERM): no more progress, the work goes on
            return
        if part[0] in running:
            progress.frames(part, frames)
