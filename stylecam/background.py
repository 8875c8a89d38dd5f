"""A sink fed from its own thread, so a slow encoder never stalls the picture.

:class:`BackgroundSink` wraps any :class:`~stylecam.streams.Sink`: :meth:`~BackgroundSink.write`
only queues the picture (or drops it, and counts it, when the wrapped sink is behind), and a thread of
its own feeds the wrapped sink in order. The live tool records through it (key ``r``, ``--record``).

Example:
    >>> rec = BackgroundSink(VideoFileSink("take.mp4", fps=30, timing="wallclock"))  # doctest: +SKIP
    >>> rec.open(info)  # doctest: +SKIP
    >>> rec.write(frame, image)  # returns at once  # doctest: +SKIP
    >>> rec.close()  # waits until the file is complete, then raises the sink's error if it had one  # doctest: +SKIP
"""

from __future__ import annotations

import queue
import threading

import numpy as np

from .frames import Frame, StreamInfo
from .streams import Sink


class BackgroundSink:
    """Feed ``sink`` from a thread of its own; a :class:`~stylecam.streams.Sink` whose writes never block.

    Args:
        sink: the sink to feed (opened by :meth:`open` on the caller's thread, so that its errors are
            raised there; written and closed on the background thread).
        max_queue: pictures waiting for the sink; beyond that new ones are dropped and counted in
            :attr:`dropped` (a wallclock-timed video file stays in real time).
        name: the thread's name.

    Attributes:
        frames: pictures the wrapped sink has written.
        dropped: pictures dropped because the queue was full.
        error: the wrapped sink's error (from ``write`` or ``close``), once it failed; later pictures
            are dropped.
    """

    inline = True  # a write only queues: it can run on the processing thread

    def __init__(self, sink: Sink, max_queue: int = 32, name: str = "stylecam-background") -> None:
        self.sink = sink
        self.name = name
        self.frames = 0
        self.dropped = 0
        self.error: BaseException | None = None
        self._queue: queue.Queue = queue.Queue(maxsize=max(1, max_queue))
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._raised = False

    def open(self, info: StreamInfo) -> None:
        """Open the wrapped sink (its errors are raised here) and start the thread."""
        self.sink.open(info)
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def write(self, frame: Frame, image: np.ndarray) -> None:
        """Queue one picture (dropped, and counted, when the sink is behind or has failed)."""
        if self._thread is None or self.error is not None or self._done.is_set():
            return
        try:
            self._queue.put_nowait((frame, image))
        except queue.Full:
            self.dropped += 1

    def _run(self) -> None:
        try:
            while True:
                item = self._queue.get()
                if item is None:
                    break
                if self.error is None:
                    self.sink.write(*item)
                    self.frames += 1
        except BaseException as exc:  # reported through .error (and raised by close)
            self.error = exc
        finally:
            try:
                self.sink.close()
            except BaseException as exc:
                self.error = self.error or exc
            self._done.set()

    def finish(self, wait: bool = True, timeout: float = 60.0) -> bool:
        """End the stream; with ``wait``, block until the sink is closed. ``True`` once it is."""
        thread = self._thread
        if thread is None:
            return True
        while not self._done.is_set():
            try:
                self._queue.put(None, timeout=0.5)
                break
            except queue.Full:
                if not thread.is_alive():
                    break
        if wait:
            thread.join(timeout)
        return self._done.is_set()

    @property
    def done(self) -> bool:
        """``True`` once the wrapped sink is closed (or failed: see :attr:`error`)."""
        return self._thread is None or self._done.is_set()

    @property
    def stopped(self) -> bool:
        return False

    def close(self) -> None:
        """Finish (waiting for the sink) and raise its error, if it had one; safe to call twice."""
        self.finish(wait=True)
        if self.error is not None and not self._raised:
            self._raised = True
            raise self.error
