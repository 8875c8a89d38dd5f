"""Reader thread → processing on the caller's thread → writer thread.

The three stages are joined by bounded queues and one stop event:

* **reader** (a thread): pulls frames from the :class:`~stylecam.streams.Source`.
  A *live* source (camera) keeps only the newest frame — when the processing
  stage is busy the older frame is dropped, so the output never lags. A file
  source blocks when the queue is full and never loses a frame.
* **process** (the thread that calls :meth:`Pipeline.run`): the stateful work —
  the :class:`~stylecam.streams.Stage` (the style network and the temporal
  smoother) — runs here, on one thread. The stage is opened with the stream's
  description and closed at the end, like the sinks.
  *Inline* sinks (a window: GUI toolkits want one thread) are fed here too.
* **writer** (a thread): feeds the other sinks (video file, images, virtual
  camera) in order.

Every put and get has a timeout and checks the stop event, so when any stage
raises, :meth:`Pipeline.run` returns within a fraction of a second and
re-raises that error. Sinks are always closed, so a video file written up to
the error, or up to Ctrl-C, stays playable. A source that fails mid-stream with a
:class:`~stylecam.errors.StylecamError` (a truncated file) ends the stream there:
every frame it delivered is processed and written, then that error is raised.

``frames_in`` counts the frames that entered processing plus those a live source
dropped; frames read ahead and left in the queue at a stop (``max_frames``, Ctrl-C)
are not counted.

Example:
    >>> stats = Pipeline(source, StylizeStep(stylizer, smoother), [sink]).run()  # doctest: +SKIP
    >>> stats.frames_out, round(stats.fps)  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .errors import StylecamError
from .frames import Frame, StreamInfo
from .streams import Sink, Source, Stage

_END = object()  # end-of-stream sentinel
_POLL = 0.05  # seconds between checks of the stop event


@dataclass
class RunStats:
    """Counters and timings of one run (also the progress callback's argument)."""

    frames_in: int = 0
    frames_out: int = 0
    dropped: int = 0
    seconds: float = 0.0
    frame_count: int | None = None
    info: StreamInfo | None = None
    read_s: float = 0.0
    process_s: float = 0.0
    write_s: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    stop_reason: str = ""
    #: ``time.perf_counter()`` of the recent outputs (for :attr:`recent_fps`)
    output_times: deque[float] = field(default_factory=lambda: deque(maxlen=60), repr=False)

    @property
    def fps(self) -> float:
        return self.frames_out / self.seconds if self.seconds > 0 else 0.0

    @property
    def recent_fps(self) -> float:
        """Frames per second over the recent outputs (what a live display shows)."""
        times = self.output_times
        span = times[-1] - times[0] if len(times) > 1 else 0.0
        return (len(times) - 1) / span if span > 0 else 0.0

    def count_output(self, frame: Frame) -> None:
        """Note one frame written: the count, its capture-to-output latency, the time."""
        now = time.perf_counter()
        self.frames_out += 1
        self.output_times.append(now)
        self.latencies_ms.append(1000 * (now - frame.time))
        if len(self.latencies_ms) > 1000:
            del self.latencies_ms[:500]

    @property
    def latency_ms(self) -> float:
        """Median capture-to-output latency over the recent frames."""
        recent = self.latencies_ms[-120:]
        return float(np.median(recent)) if recent else 0.0

    def as_dict(self) -> dict:
        n = max(1, self.frames_out)
        return {
            "frames_in": self.frames_in,
            "frames_out": self.frames_out,
            "dropped": self.dropped,
            "seconds": round(self.seconds, 3),
            "fps": round(self.fps, 2),
            "latency_ms": round(self.latency_ms, 1),
            "ms_per_frame": {
                "read": round(1000 * self.read_s / max(1, self.frames_in), 2),
                "process": round(1000 * self.process_s / n, 2),
                "write": round(1000 * self.write_s / n, 2),
            },
            "stop_reason": self.stop_reason,
        }


class _CallableStage:
    """A plain ``Frame -> image`` function as a :class:`~stylecam.streams.Stage` (nothing to open)."""

    def __init__(self, fn: Callable[[Frame], np.ndarray]) -> None:
        self.fn = fn

    def open(self, info: StreamInfo) -> None:
        pass

    def __call__(self, frame: Frame) -> np.ndarray:
        return self.fn(frame)

    def close(self) -> None:
        pass


class Pipeline:
    """Run ``source`` through ``process`` into ``sinks``.

    Args:
        source: where frames come from; ``source.live`` picks the drop policy.
        process: a :class:`~stylecam.streams.Stage` (opened with the stream's description and closed
            at the end of the run), or a plain ``Frame -> uint8 BGR image`` function; runs on the
            caller's thread.
        sinks: where the results go; ``sink.inline`` ones on the caller's thread.
        queue_size: capacity of the queues between stages (1 for live sources' input).
        progress: called on the caller's thread with the :class:`RunStats`,
            at most every ``progress_interval`` seconds.
        max_frames: stop after this many frames (``None``: until the source ends).
        stats: the :class:`RunStats` to fill (a live display reads them as the run goes); a new one
            by default.
    """

    def __init__(
        self,
        source: Source,
        process: Stage | Callable[[Frame], np.ndarray],
        sinks: Sequence[Sink],
        *,
        queue_size: int = 4,
        progress: Callable[[RunStats], None] | None = None,
        progress_interval: float = 0.5,
        max_frames: int | None = None,
        stats: RunStats | None = None,
    ) -> None:
        self.source = source
        self.stage: Stage = process if isinstance(process, Stage) else _CallableStage(process)
        self.sinks = list(sinks)
        self.live = bool(getattr(source, "live", False))
        self._in: queue.Queue = queue.Queue(maxsize=1 if self.live else max(1, queue_size))
        self._out: queue.Queue = queue.Queue(maxsize=max(1, queue_size))
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._source_error: StylecamError | None = None
        self._error_lock = threading.Lock()
        self.progress = progress
        self.progress_interval = progress_interval
        self.max_frames = max_frames
        self.stats = stats if stats is not None else RunStats()

    # ------------------------------------------------------------------ control

    def stop(self, reason: str = "stopped") -> None:
        """Ask the run to end (safe from any thread, and more than once)."""
        if not self._stop.is_set():
            self.stats.stop_reason = self.stats.stop_reason or reason
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def _fail(self, exc: BaseException) -> None:
        with self._error_lock:
            if self._error is None:
                self._error = exc
        self.stop("error")

    # ------------------------------------------------------------------ queues

    def _put(self, q: queue.Queue, item: object, *, drop_oldest: bool) -> bool:
        """Put with a timeout loop; returns False when the run is stopping. ``drop_oldest`` keeps the newest."""
        while not self._stop.is_set():
            try:
                if drop_oldest:
                    q.put_nowait(item)
                else:
                    q.put(item, timeout=_POLL)
                return True
            except queue.Full:
                if drop_oldest:
                    with contextlib.suppress(queue.Empty):
                        old = q.get_nowait()
                        if old is _END:  # never drop the end of the stream
                            q.put_nowait(old)
                            return True
                        self.stats.dropped += 1
                        self.stats.frames_in += 1
        return False

    def _get(self, q: queue.Queue, *, until_end: bool = False) -> object | None:
        """Get with a timeout loop; ``None`` when stopping (``until_end``: keep draining after stop)."""
        while True:
            try:
                return q.get(timeout=_POLL)
            except queue.Empty:
                if self._stop.is_set() and (not until_end or self._error is not None):
                    return None
                if until_end and self._stop.is_set() and q.empty() and self._processing_done.is_set():
                    return None

    # ------------------------------------------------------------------ stages

    def _reader(self) -> None:
        try:
            while not self._stop.is_set():
                t0 = time.perf_counter()
                frame = self.source.read()
                self.stats.read_s += time.perf_counter() - t0
                if frame is None:
                    self._put(self._in, _END, drop_oldest=False)
                    return
                if not self._put(self._in, frame, drop_oldest=self.live):
                    return
        except StylecamError as exc:  # the stream ends here; what came before it is finished
            self._source_error = exc
            self._put(self._in, _END, drop_oldest=False)
        except BaseException as exc:
            self._fail(exc)

    def _writer(self) -> None:
        try:
            while True:
                item = self._get(self._out, until_end=True)
                if item is None or item is _END:
                    return
                frame, image = item
                t0 = time.perf_counter()
                for sink in self._threaded:
                    sink.write(frame, image)
                    if sink.stopped:
                        self.stop(f"{type(sink).__name__} stopped")
                self.stats.write_s += time.perf_counter() - t0
                self.stats.count_output(frame)
        except BaseException as exc:
            self._fail(exc)

    def run(self) -> RunStats:
        """Run to the end of the source (or a stop); returns the stats, re-raises a stage's error.

        On ``KeyboardInterrupt`` the frames already processed are written, the
        sinks are closed (files stay playable) and the interrupt is re-raised.
        """
        self._inline = [s for s in self.sinks if getattr(s, "inline", False)]
        self._threaded = [s for s in self.sinks if not getattr(s, "inline", False)]
        self._processing_done = threading.Event()
        stats = self.stats
        opened: list[Sink] = []
        stage_open = False
        reader = writer = None
        start = time.perf_counter()
        interrupted: BaseException | None = None
        try:
            info = self.source.open()
            stats.info = info
            stats.frame_count = info.frame_count
            self.stage.open(info)
            stage_open = True
            for sink in self.sinks:
                sink.open(info)
                opened.append(sink)
            reader = threading.Thread(target=self._reader, name="stylecam-reader", daemon=True)
            writer = threading.Thread(target=self._writer, name="stylecam-writer", daemon=True)
            start = time.perf_counter()
            reader.start()
            writer.start()
            self._process_loop(start)
        except KeyboardInterrupt as exc:
            interrupted = exc
            self.stop("interrupted")
        except BaseException as exc:
            self._fail(exc)
        finally:
            self._processing_done.set()
            if self._error is None:
                # normal end or Ctrl-C: let the writer finish what was processed
                self._put_end_quietly()
                if writer is not None:
                    writer.join(timeout=30)
            self.stop(self.stats.stop_reason or "end")
            if writer is not None:
                writer.join(timeout=2)
            with contextlib.suppress(Exception):
                self.source.close()
            if reader is not None:
                reader.join(timeout=1)
            close_error = self._close_all([self.stage] if stage_open else [], opened)
            stats.seconds = time.perf_counter() - start
        if interrupted is not None:
            raise interrupted
        if self._error is not None:
            raise self._error
        if self._source_error is not None:
            raise self._source_error
        if close_error is not None:
            raise close_error
        return stats

    def _put_end_quietly(self) -> None:
        with contextlib.suppress(queue.Full):
            self._out.put(_END, timeout=5)

    def _process_loop(self, start: float) -> None:
        stats = self.stats
        last_progress = 0.0
        processed = 0
        while not self._stop.is_set():
            item = self._get(self._in)
            if item is None:
                break
            if item is _END:
                stats.stop_reason = stats.stop_reason or "end"
                break
            frame: Frame = item  # type: ignore[assignment]
            stats.frames_in += 1
            t0 = time.perf_counter()
            image = self.stage(frame)
            processed += 1
            stats.process_s += time.perf_counter() - t0
            for sink in self._inline:
                sink.write(frame, image)
                if sink.stopped:
                    self.stop(f"{type(sink).__name__} stopped")
            if not self._threaded:
                stats.count_output(frame)
            elif not self._put(self._out, (frame, image), drop_oldest=self.live):
                break
            now = time.perf_counter()
            stats.seconds = now - start
            if self.progress is not None and now - last_progress >= self.progress_interval:
                last_progress = now
                self.progress(stats)
            if self.max_frames is not None and processed >= self.max_frames:
                self.stop("max_frames")
                break
        if self.progress is not None:
            stats.seconds = time.perf_counter() - start
            self.progress(stats)

    def _close_all(self, stages: list[Stage], sinks: list[Sink]) -> BaseException | None:
        first: BaseException | None = None
        for part in [*stages, *sinks]:
            try:
                part.close()
            except BaseException as exc:
                first = first or exc
        return first
