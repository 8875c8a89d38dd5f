"""The Ray runner: each video becomes Ray tasks on a cluster (``--ray [ADDRESS]``).

The driver (this process) ships the style network once through Ray's object store, and each input
too (or, for a long video, each segment of it), so the nodes need stylecam installed but no file
system shared with the driver. A video longer than two chunks (``--chunk-seconds``) is split at
keyframes (:mod:`stylecam.batch.chunks`); the others run whole through the library API. A task asks
for one GPU when the cluster has GPUs and the device allows them, else for ``--threads`` CPUs (1).

Results come back as bytes to the driver, which alone writes the outputs: a task that Ray runs
again because its worker died (``max_retries``) cannot write anything twice, and an output is moved
into place only once it is complete. With ``--shared`` (the inputs and OUTDIR on a file system every
node sees) the tasks read the inputs and write the temporary outputs there instead, each attempt under
a name of its own renamed when complete, and only the model travels through the object store; the
driver still checks each output and moves it into place. A chunk that fails is not retried in pieces: its video runs
again whole, once. With a progress display, the tasks report their frames to a
:class:`~stylecam.batch.progress.ProgressBoard` actor that the driver reads while it waits.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av

from ..api import VideoOptions
from ..errors import DeviceError, StylecamError
from .chunks import (
    ChunkSpec,
    cut_segment,
    join_chunks,
    plan_clean_chunks,
    scan_keyframes,
    stylize_chunk,
    warm_up_frames,
)
from .plan import STATE_DIR, Job
from .progress import BatchProgress, BoardReport, ProgressBoard
from .work import ModelBundle, Outcome, stylize_in_place, stylize_shipped

#: how often Ray runs a task again whose worker process or node died
MAX_RETRIES = 3
#: seconds between the driver's looks at the tasks' progress
PROGRESS_POLL = 0.5


def import_ray() -> Any:
    """Ray, or one line saying how to get it.

    Raises:
        DeviceError: Ray is not installed.
    """
    try:
        import ray
    except ImportError:
        raise DeviceError("--ray needs Ray, which is not installed", 'pip install "stylecam[ray]"') from None
    return ray


@dataclass
class _Video:
    """A video on its way through chunk tasks."""

    job: Job
    frames: int
    files: dict[int, Path] = field(default_factory=dict)
    count: int = 0
    seconds: float = 0.0
    device: str = ""


def connect(address: str | None) -> tuple[Any, bool]:
    """Ray, connected (``address``: ``'auto'``, ``HOST:PORT``, ``ray://HOST:PORT``; ``None``/``''``: a
    cluster named by ``RAY_ADDRESS``, else a Ray started here); and whether this call started it."""
    ray = import_ray()
    if ray.is_initialized():
        return ray, False
    try:
        ray.init(address=address or None, logging_level="ERROR", log_to_driver=False)
    except (ConnectionError, ValueError, RuntimeError) as exc:
        raise DeviceError(
            f"cannot reach the Ray cluster at {address or 'RAY_ADDRESS'}: {' '.join(str(exc).split())[:200]}",
            "start it with 'ray start --head' (see docs/scale.md), or give --ray HOST:PORT",
        ) from None
    return ray, True


def run_ray(
    jobs: Sequence[Job],
    options: VideoOptions,
    outdir: Path,
    address: str | None,
    chunk_seconds: float,
    on_result: Callable[[Job, Outcome], None],
    log: Callable[[str], None] | None = None,
    shared: bool = False,
    progress: BatchProgress | None = None,
) -> dict[str, Any]:
    """Run the jobs on Ray; each finished job's output is at its temporary name when ``on_result`` gets
    its outcome (``shared``: the inputs and OUTDIR are paths every node sees, the tasks read and write
    there; ``progress``: gets the frames the tasks report as they go). Returns what the run used (the
    cluster's CPUs and GPUs, the chunks)."""
    ray, started = connect(address)
    board = None
    try:
        resources = ray.cluster_resources()
        use_gpu = options.device in ("cuda", "tensorrt") or (
            options.device == "auto" and resources.get("GPU", 0) > 0
        )
        cpus = options.threads or 1
        opts = dataclasses.replace(options, threads=cpus)
        task_resources = {
            "num_cpus": 1 if use_gpu else cpus,
            "num_gpus": 1 if use_gpu else 0,
        }
        whole = ray.remote(stylize_in_place if shared else stylize_shipped).options(
            max_retries=MAX_RETRIES, **task_resources
        )
        chunk = ray.remote(stylize_chunk).options(max_retries=MAX_RETRIES, **task_resources)
        bundle = ray.put(ModelBundle.of(options.style))
        warm = warm_up_frames(options.smooth, options.smooth_strength)
        pending: dict[Any, tuple[Job, int | None]] = {}
        videos: dict[Job, _Video] = {}
        chunks_total = 0
        again = 0  # videos run again whole after a chunk failed
        if progress is not None:  # no CPU of its own: it never waits for a task's place
            board = ray.remote(num_cpus=0)(ProgressBoard).remote()

        def report(job: Job, index: int | None) -> BoardReport | None:
            return None if board is None else BoardReport(board, (job.ident, index))

        def take_reports(answer: Any) -> None:
            """The frames the tasks reported since the last look (of parts still pending)."""
            try:
                counts = ray.get(answer)
            except Exception:  # the display never stops the work
                return
            running = {(j.ident, i) for j, i in pending.values()}
            for part, frames in counts.items():
                if part in running:
                    progress.frames(part, frames)

        def submit_whole(job: Job) -> None:
            if shared:
                paths = (str(job.input.resolve()), str(job.temp.resolve()))
                pending[whole.remote(bundle, *paths, job.kind, opts, report(job, None))] = (job, None)
                return
            data = ray.put(job.input.read_bytes())
            suffixes = (job.input.suffix, job.output.suffix)
            pending[whole.remote(bundle, data, suffixes, job.kind, opts, report(job, None))] = (job, None)

        for job in jobs:
            try:
                split = _split(job, options, chunk_seconds, warm, outdir)
            except (
                av.error.FFmpegError,
                OSError,
                StylecamError,
            ) as exc:  # cannot be split: run it whole
                if log is not None:
                    log(f"{job.input}: not split ({' '.join(str(exc).split())[:200]})")
                split = None
            if split is None:
                submit_whole(job)
                continue
            frames, segments = split
            videos[job] = _Video(job, frames, count=len(segments))
            for index, (spec, seg) in enumerate(segments):
                if shared:
                    out = str(_chunk_path(outdir, job, index).resolve())
                    ref = chunk.remote(bundle, str(seg.resolve()), spec, opts, out, report(job, index))
                else:
                    ref = chunk.remote(
                        bundle, ray.put(seg.read_bytes()), spec, opts, None, report(job, index)
                    )
                    seg.unlink()
                pending[ref] = (job, index)
            chunks_total += len(segments)
            if log is not None:
                log(f"{job.input}: {len(segments)} chunks, {warm} warm-up frames each")

        asked: list[Any] = []  # the board's answer on its way: read as soon as it comes
        looked = time.perf_counter()
        while pending:
            timeout = None
            if board is not None and not asked:  # ask again PROGRESS_POLL after the last question
                timeout = looked + PROGRESS_POLL - time.perf_counter()
                if timeout <= 0:
                    asked.append(board.take.remote())
                    looked, timeout = time.perf_counter(), None
            ready, _ = ray.wait(list(pending) + asked, num_returns=1, timeout=timeout)
            if not ready:
                continue
            ref = ready[0]
            if asked and ref == asked[0]:
                take_reports(asked.pop())
                continue
            if board is not None:  # the part's reports first, while it still counts as running
                take_reports(board.take.remote())
            job, index = pending.pop(ref)
            try:
                outcome = ray.get(ref)
            except ray.exceptions.RayError as exc:
                outcome = Outcome(ok=False, why=f"Ray gave up on its task: {type(exc).__name__}")
            if index is None:
                if outcome.ok and outcome.data is not None:
                    job.temp.write_bytes(outcome.data)
                    outcome.data = None
                on_result(job, outcome)
                continue
            video = videos.get(job)
            if video is None:  # the video already failed a chunk and runs again whole
                continue
            if not outcome.ok:
                if log is not None:
                    log(f"{job.input}: chunk {index} failed ({outcome.why}); running it whole")
                del videos[job]
                _clean_work(_chunk_path(outdir, job, 0).parent)
                if progress is not None:
                    progress.forget(job.ident)
                again += 1
                for other, (j, _) in list(pending.items()):
                    if j == job:
                        ray.cancel(other)
                        del pending[other]
                submit_whole(job)
                continue
            path = _chunk_path(outdir, job, index)
            if outcome.data is not None:
                path.write_bytes(outcome.data)
            video.files[index] = path
            video.seconds += outcome.seconds
            video.device = outcome.device
            if progress is not None:
                progress.frames((job.ident, index), outcome.frames, reported=False)
            if len(video.files) == video.count:
                del videos[job]
                on_result(job, _join(video, options))
        return {
            "cpus": resources.get("CPU", 0),
            "gpus": resources.get("GPU", 0),
            "chunks": chunks_total,
            "whole_again": again,
        }
    finally:
        if board is not None:
            with contextlib.suppress(Exception):
                ray.kill(board)
        if started:
            ray.shutdown()


def _clean_work(work: Path) -> None:
    """Remove a video's work folder, and the folder of all work once the last one is gone."""
    shutil.rmtree(work, ignore_errors=True)
    with contextlib.suppress(OSError):
        work.parent.rmdir()


def _chunk_path(outdir: Path, job: Job, index: int) -> Path:
    return outdir / STATE_DIR / "work" / job.ident / f"chunk-{index}.mkv"


def _split(
    job: Job, options: VideoOptions, chunk_seconds: float, warm: int, outdir: Path
) -> tuple[int, list[tuple[ChunkSpec, Path]]] | None:
    """A long video's frames and its segments cut into its work folder, or ``None`` to run it whole."""
    from ..sources import probe

    if job.kind != "video":
        return None
    pr = probe(job.input)
    frames = min(pr.frame_count, options.max_frames or pr.frame_count)
    chunk_frames = max(1, round(chunk_seconds * pr.fps))
    if pr.variable_rate or pr.truncated or frames < 2 * chunk_frames:
        return None
    keys = scan_keyframes(job.input)
    if keys is None or keys.frames != pr.frame_count:
        return None
    plan = plan_clean_chunks(job.input, keys, frames, chunk_frames, warm)
    if len(plan) < 2:
        return None
    work = outdir / STATE_DIR / "work" / job.ident
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    segments = []
    for c in plan:
        seg = work / f"segment-{c.index}.mkv"
        cut_segment(job.input, keys, c, seg, pr.rotation)
        segments.append((ChunkSpec.of(c), seg))
    return frames, segments


def _join(video: _Video, options: VideoOptions) -> Outcome:
    job = video.job
    files = [video.files[i] for i in sorted(video.files)]
    try:
        frames = join_chunks(job.input, files, video.frames, job.temp, options)
    except StylecamError as exc:
        return Outcome(ok=False, why=exc.one_line())
    finally:
        _clean_work(files[0].parent)
    return Outcome(ok=True, frames=frames, seconds=video.seconds, device=video.device)
