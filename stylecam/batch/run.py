"""One batch run: plan, skip what is finished, run the rest (here or on Ray), verify, move into place."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..api import VideoOptions
from ..errors import InputError, StylecamError
from .manifest import Made, Manifest, holds, measure
from .plan import Job, plan_jobs
from .progress import BatchProgress
from .work import Outcome

Log = Callable[[str], None]


@dataclass(frozen=True)
class BatchOptions:
    """How a batch runs.

    Attributes:
        video: the options every video (and image) runs with; ``overwrite`` replaces outputs that are
            there but not finished by this batch with these options.
        ray: ``None`` for the local runner; the Ray address (``''``: ``RAY_ADDRESS`` or a Ray started
            here, ``'auto'``: the cluster this machine belongs to).
        workers: local worker processes (``None``: measured default, see :mod:`stylecam.batch.local`).
        chunk_seconds: with Ray, a video of at least twice this long is split into chunks of about it.
        shared: with Ray, the inputs and the output folder are paths every node sees (the tasks read and
            write there; otherwise files travel through Ray's object store).
    """

    video: VideoOptions = field(default_factory=VideoOptions)
    ray: str | None = None
    workers: int | None = None
    chunk_seconds: float = 20.0
    shared: bool = False

    def __post_init__(self) -> None:
        if self.workers is not None and self.workers < 1:
            raise InputError(f"bad --workers {self.workers}", "use 1 or more")
        if not self.chunk_seconds > 0:
            raise InputError(
                f"bad --chunk-seconds {self.chunk_seconds:g}",
                "use a number of seconds above 0",
            )


@dataclass
class BatchReport:
    """What a batch did: per output, done, skipped (finished before) or failed (with the reason)."""

    mode: str
    workers: int
    done: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    not_media: list[str] = field(default_factory=list)
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
    interrupted: bool = False

    @property
    def frames(self) -> int:
        return sum(d["frames"] for d in self.done)

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0

    @property
    def ok(self) -> bool:
        return not self.failed

    def as_dict(self) -> dict[str, Any]:
        return {
            "command": "batch",
            "mode": self.mode,
            "workers": self.workers,
            "done": self.done,
            "skipped": self.skipped,
            "failed": self.failed,
            "not_media": self.not_media,
            "frames": self.frames,
            "seconds": round(self.seconds, 3),
            "fps": round(self.fps, 2),
            "interrupted": self.interrupted,
            **self.extra,
        }

    def lines(self) -> list[str]:
        """The summary in words: one line per failure, then the totals."""
        out = [f"failed: {f['input']}: {f['why']}" for f in self.failed]
        out.append(
            f"{len(self.done)} done, {len(self.skipped)} skipped (finished before), {len(self.failed)} failed; "
            f"{self.frames} frames in {self.seconds:.1f} s ({self.fps:.1f} fps, {self.mode}, "
            f"{self.workers} worker{'s' if self.workers != 1 else ''})"
        )
        return out


def options_key(options: VideoOptions) -> str:
    """What changes the pictures, as a short hash: the style network's bytes (and variants), the
    precision, sizes, smoothing, quality, sound and frame limit (not the device or the threads)."""
    from ..models import find_model

    info = find_model(options.style)
    h = hashlib.sha256()
    for path in [info.path, *info.variants.values()]:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    keep = (
        "precision",
        "size",
        "scale",
        "smooth",
        "smooth_strength",
        "crf",
        "audio",
        "max_frames",
    )
    values = {k: getattr(options, k) for k in keep}
    values["weights"] = list(info.style_weights or ())
    h.update(json.dumps(values, sort_keys=True, default=str).encode())
    return h.hexdigest()[:16]


def _expected(job: Job, options: VideoOptions) -> Made:
    """What a complete output of ``job`` holds (raises for an input that cannot be used)."""
    if job.kind == "image":
        from ..sources import read_image

        image = read_image(job.input)
        return Made(
            frames=1,
            seconds=0.0,
            audio=False,
            width=image.shape[1],
            height=image.shape[0],
        )
    from ..sources import probe

    pr = probe(job.input)
    frames = min(pr.frame_count, options.max_frames or pr.frame_count)
    seconds = pr.duration if frames == pr.frame_count else frames / pr.fps
    return Made(
        frames=frames,
        seconds=seconds,
        audio=pr.has_audio and options.audio,
        width=pr.width,
        height=pr.height,
    )


def _remove_temps(job: Job) -> None:
    """The temporary files a stopped earlier run of this job left (their names are the batch's own)."""
    for stale in job.output.parent.glob(f".{job.output.stem}.batch-part*"):
        stale.unlink(missing_ok=True)


def run_batch(
    inputs: Sequence[str | Path],
    outdir: str | Path,
    options: BatchOptions | None = None,
    *,
    log: Log | None = None,
    progress: bool | BatchProgress = False,
) -> BatchReport:
    """Stylize many videos and images into ``outdir``; see :mod:`stylecam.batch`.

    Args:
        inputs: files, folders and glob patterns of videos and images.
        outdir: where the outputs go (their names mirror the inputs').
        options: how the batch runs.
        log: called with each line the command prints (each file done or failed, chunks).
        progress: one display on stderr of the frames done of all the frames, their rate, the time
            left and the files done, skipped and failed (``True``: rewritten in place on a terminal,
            else a plain line now and then; or a :class:`~stylecam.batch.progress.BatchProgress`).

    Raises:
        InputError: no usable input at all (a missing file, a pattern that matches nothing).
        ModelError: an unknown style.
        DeviceError: ``--ray`` without Ray installed, or a cluster that cannot be reached.
    """
    from ..sinks.files import move_file

    opts = options or BatchOptions()
    video = opts.video
    began = time.perf_counter()
    out = Path(outdir).expanduser()
    jobs, passed = plan_jobs(inputs, out)
    key = options_key(video)
    out.mkdir(parents=True, exist_ok=True)
    manifest = Manifest.load(out)
    report = BatchReport(mode="ray" if opts.ray is not None else "local", workers=1)
    report.not_media = [str(p) for p in passed]
    todo: list[Job] = []
    expected: dict[Job, Made] = {}
    redo: set[Job] = set()  # this batch's own outputs that are no longer complete

    def fail(job: Job, why: str) -> None:
        report.failed.append({"input": str(job.input), "output": str(job.output), "why": why})

    for job in jobs:
        state = manifest.state(job, key)
        if state == "finished":
            report.skipped.append({"input": str(job.input), "output": str(job.output)})
            continue
        if job.output.exists() and not video.overwrite and state != "redo":
            fail(
                job,
                f"{job.output} already exists (not finished by this batch with these options; -y redoes it)",
            )
            continue
        try:
            expected[job] = _expected(job, video)
        except StylecamError as exc:
            fail(job, exc.one_line())
            continue
        job.output.parent.mkdir(parents=True, exist_ok=True)
        _remove_temps(job)
        todo.append(job)
        if state == "redo":
            redo.add(job)

    results: list[Job] = []
    tracker = progress if isinstance(progress, BatchProgress) else BatchProgress(enabled=bool(progress))
    tracker.begin(
        len(jobs), {j.ident: expected[j].frames for j in todo}, len(report.skipped), len(report.failed)
    )
    say = None if log is None else (lambda line: tracker.say(log, line))

    def on_result(job: Job, outcome: Outcome) -> None:
        report.interrupted = report.interrupted or outcome.interrupted
        finished: int | None = None  # the frames of an output moved into place
        if not outcome.ok:
            _remove_temps(job)
            fail(job, outcome.why)
        else:
            try:
                made = measure(job.temp, job.kind)
                want = expected[job]
                if not holds(made, want):
                    raise StylecamError(
                        f"the output is incomplete ({made.frames} of {want.frames} frames, "
                        f"{made.seconds:.2f} of {want.seconds:.2f} s, sound {made.audio})"
                    )
                move_file(job.temp, job.output, video.overwrite or job in redo)
            except StylecamError as exc:
                _remove_temps(job)
                fail(job, exc.one_line())
            else:
                finished = made.frames
                manifest.record(job, key, made)
                report.done.append(
                    {
                        "input": str(job.input),
                        "output": str(job.output),
                        "frames": made.frames,
                        "seconds": round(outcome.seconds, 3),
                        "device": outcome.device,
                    }
                )
        results.append(job)
        if say is not None:
            frames = sum(d["frames"] for d in report.done)
            fps = frames / (time.perf_counter() - began)
            what = "done" if finished is not None else "failed"
            say(f"[{len(results)}/{len(todo)}] {what}: {job.output} ({frames} frames so far, {fps:.1f} fps)")
        tracker.result(job.ident, finished is not None, finished or 0)

    live = tracker if tracker.enabled else None  # no reports from the workers to nobody
    try:
        if todo and opts.ray is not None:
            from .cluster import run_ray

            report.extra = run_ray(
                todo, video, out, opts.ray, opts.chunk_seconds, on_result, say, opts.shared, live
            )
            report.workers = int(report.extra.get("gpus") or report.extra.get("cpus") or 1)
        elif todo:
            from .local import local_workers, run_local

            workers, threads, gpus = local_workers(video, opts.workers, [expected[j].frames for j in todo])
            report.workers = min(workers, len(todo))
            report.extra = {"threads_per_worker": threads, "gpus": gpus}
            run_local(todo, dataclasses.replace(video), workers, threads, gpus, on_result, live)
    except BaseException:
        tracker.close(complete=False)
        raise
    tracker.close()
    report.seconds = time.perf_counter() - began
    return report
