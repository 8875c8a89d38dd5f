"""Snapshots and recordings of the live picture (the clean one, without the window's overlays).

A recording is the normal video-file sink (wallclock-timed: a camera's rate varies) behind a
:class:`~stylecam.background.BackgroundSink`, so encoding never stalls the live picture. Stopping one
(key ``r``) lets it finish in the background while the picture goes on; :meth:`Recordings.poll`
reports it once the file is complete.

Example:
    >>> recs = Recordings("recordings", say=print)  # doctest: +SKIP
    >>> recs.start()  # the file opens with the next picture  # doctest: +SKIP
    >>> recs.write(frame, image, fps=30)  # doctest: +SKIP
    >>> recs.close()  # waits until every file is complete  # doctest: +SKIP
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np

from ..background import BackgroundSink
from ..errors import StylecamError
from ..frames import Frame, StreamInfo
from ..streams import Sink

#: ``(text, log)``: show ``text`` in the window; with ``log`` also tell the user on stderr
Say = Callable[..., None]
#: ``(path, fps) -> Sink`` for a recording
SinkFactory = Callable[[Path, float], Sink]


def timestamp() -> str:
    """Now, for file names: ``20261125-143005-123``."""
    return datetime.now().strftime("%Y%m%d-%H%M%S-%f")[:-3]


def unique_path(folder: Path, stem: str, suffix: str) -> Path:
    """``folder/stem+suffix``, or ``folder/stem-N+suffix`` with the first ``N`` not taken."""
    path = folder / f"{stem}{suffix}"
    n = 1
    while path.exists():
        path = folder / f"{stem}-{n}{suffix}"
        n += 1
    return path


def save_png(folder: Path, stem: str, image: np.ndarray) -> Path:
    """Write ``image`` as a new PNG in ``folder`` (created if needed) and return its path.

    Raises:
        OSError: the folder or the file cannot be written.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = unique_path(folder, stem, ".png")
    ok, data = cv2.imencode(".png", image)
    if not ok:
        raise OSError("PNG encoding failed")
    path.write_bytes(data.tobytes())
    return path


def video_sink(path: Path, fps: float) -> Sink:
    """The default recording sink: a wallclock-timed video file."""
    from ..sinks import VideoFileSink

    return VideoFileSink(path, fps=fps, timing="wallclock")


class Recordings:
    """The recording in progress and those still finishing.

    Args:
        folder: where recordings started without a file name go (``stylecam-<time>.mp4``).
        say: ``say(text, log=False)``, how results and failures are told.
        sink_factory: ``(path, fps) -> Sink`` for each recording; default :func:`video_sink`.

    Attributes:
        paths: every recording opened, in order.
    """

    def __init__(self, folder: str | os.PathLike, say: Say, sink_factory: SinkFactory | None = None) -> None:
        self.folder = Path(folder)
        self.say = say
        self.sink_factory = sink_factory or video_sink
        self.paths: list[Path] = []
        self._active: BackgroundSink | None = None
        self._requested: Path | None = None  # asked for, opened with the next picture
        self._finishing: list[tuple[BackgroundSink, Path]] = []

    @property
    def active(self) -> bool:
        """``True`` from :meth:`start` until :meth:`stop`."""
        return self._active is not None or self._requested is not None

    def start(self, path: str | os.PathLike | None = None) -> Path:
        """Start a recording (opened with the next picture); ends the one running, if any.

        Args:
            path: the file; default ``folder/stylecam-<time>.mp4``.
        """
        if self.active:
            self.stop(wait=False)
        target = unique_path(self.folder, f"stylecam-{timestamp()}", ".mp4") if path is None else Path(path)
        self._requested = target
        return target

    def stop(self, wait: bool = True) -> Path | None:
        """Stop recording; with ``wait``, return once the file is complete. Returns the file, if any."""
        self._requested = None
        rec, self._active = self._active, None
        if rec is None:
            return None
        path = self.paths[-1]
        self.say(f"finishing {path.name} ...")
        if wait:
            rec.finish(wait=True)
            self._report(rec, path)
        else:
            rec.finish(wait=False)
            self._finishing.append((rec, path))
        return path

    def write(self, frame: Frame, image: np.ndarray, fps: float) -> None:
        """Record one picture (opening the requested file with the first one, at ``fps``)."""
        if self._requested is not None:
            self._open(image, fps)
        if self._active is not None:
            self._active.write(frame, image)

    def _open(self, image: np.ndarray, fps: float) -> None:
        path, self._requested = self._requested, None
        assert path is not None
        h, w = image.shape[:2]
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            rec = BackgroundSink(self.sink_factory(path, fps), name="stylecam-recorder")
            rec.open(StreamInfo(width=w, height=h, fps=fps, live=True, source="stylecam live"))
        except (OSError, StylecamError) as exc:
            text = exc.message if isinstance(exc, StylecamError) else (exc.strerror or str(exc))
            self.say(f"cannot record to {path}: {text}", log=True)
            return
        self._active = rec
        self.paths.append(path)

    def _report(self, rec: BackgroundSink, path: Path) -> None:
        if rec.error is not None:
            err = rec.error
            text = err.message if isinstance(err, StylecamError) else str(err)
            self.say(f"recording {path} failed: {text}", log=True)
        else:
            extra = f", {rec.dropped} dropped" if rec.dropped else ""
            self.say(f"recorded {path} ({rec.frames} frames{extra})", log=True)

    def poll(self) -> None:
        """Report the recordings that finished (or failed) since the last call."""
        if self._active is not None and self._active.error is not None:
            rec, self._active = self._active, None
            rec.finish(wait=False)
            self._finishing.append((rec, self.paths[-1]))
        for item in list(self._finishing):
            rec, path = item
            if rec.done:
                self._finishing.remove(item)
                self._report(rec, path)

    def close(self, timeout: float = 60.0) -> None:
        """Finish every recording, waiting until the files are complete."""
        if self._active is not None:
            self.stop(wait=True)
        self._requested = None
        deadline = time.perf_counter() + timeout
        for rec, path in list(self._finishing):
            rec.finish(wait=True, timeout=max(0.1, deadline - time.perf_counter()))
            self._report(rec, path)
        self._finishing.clear()
