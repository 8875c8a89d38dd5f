"""Frames of a video file, in order or paced as a live source: :class:`VideoFileSource`."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import av
import cv2
import numpy as np

from ..errors import InputError
from ..frames import Frame, StreamInfo
from .probe import VideoProbe, first_video_stream, open_container, probe

log = logging.getLogger(__name__)

__all__ = ["VideoFileSource"]

_ROTATE_CODES = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


class VideoFileSource:
    """Frames of a video file, decoded with PyAV, upright, as ``uint8`` BGR.

    In the normal mode (``live=False``) frames come in order and none is ever
    dropped; the pipeline blocks when busy. With ``realtime=True`` (for
    ``stylecam live clip.mp4``) each frame is released when it is due at the
    file's own frame rate and the source presents itself as ``live``; with
    ``loop=True`` it starts again at the end, ``Frame.index`` and ``Frame.pts``
    keep increasing across passes.

    A truncated or corrupt file delivers the frames decoded before the damage,
    then :meth:`read` raises :class:`~stylecam.errors.InputError` naming the
    file and the frame where decoding stopped.

    Args:
        path: the video file.
        loop: start again at the end (the stream never ends, ``frame_count`` is ``None``).
        realtime: pace frames at the file's frame rate and be a live source.

    Example:
        >>> with VideoFileSource("clip.mp4") as src:  # doctest: +SKIP
        ...     frames = list(iter(src.read, None))
    """

    def __init__(self, path: str | os.PathLike[str], *, loop: bool = False, realtime: bool = False) -> None:
        self.path = Path(path).expanduser()
        self.loop = loop
        self.realtime = realtime
        self.live: bool = realtime
        self.probe: VideoProbe | None = None
        self.info: StreamInfo | None = None
        self._container: av.container.InputContainer | None = None
        self._frames: Iterator[av.VideoFrame] | None = None
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._done = False
        self._index = 0  # next Frame.index
        self._pass_count = 0  # frames decoded in the current pass
        self._pass_offset = 0.0  # seconds added to pts for the current pass
        self._last_pts = 0.0  # pts (with offset) of the last frame
        self._start_pts: int | None = None
        self._clock0: float | None = None  # realtime: perf_counter() at pts 0

    def __enter__(self) -> VideoFileSource:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> StreamInfo:
        """Probe and open the file.

        Returns:
            The stream description; ``audio_path`` is the file itself when it has sound,
            ``time_base`` the exact frame duration as a :class:`~fractions.Fraction`.

        Raises:
            InputError: the file cannot be used (see :func:`probe`).
        """
        if self.info is not None:
            return self.info
        pr = probe(self.path)
        self.probe = pr
        self._open_pass()
        self.info = StreamInfo(
            width=pr.width,
            height=pr.height,
            fps=pr.fps,
            frame_count=None if self.loop else pr.frame_count,
            live=self.live,
            audio_path=str(self.path) if pr.has_audio else None,
            rotation=pr.rotation,
            source=str(self.path),
            time_base=1 / pr.rate,
        )
        return self.info

    def _open_pass(self) -> None:
        if self._container is not None:
            self._container.close()
        container = open_container(self.path)
        stream = first_video_stream(container, self.path)
        stream.thread_type = "AUTO"
        self._container = container
        self._frames = container.decode(stream)
        self._stream = stream
        self._flushed: list[av.VideoFrame] = []
        self._failure: InputError | None = None
        self._time_base = stream.time_base
        self._start_pts = stream.start_time
        self._pass_count = 0

    def read(self) -> Frame | None:
        """The next frame (upright, ``uint8`` BGR), or ``None`` at the end or after :meth:`close`.

        Raises:
            InputError: decoding failed or the file ended before its declared frames.
        """
        if self.info is None:
            self.open()
        with self._lock:
            if self._closed.is_set() or self._done:
                return None
            vf = self._next_decoded()
            if vf is None:
                return None
            frame = self._to_frame(vf)
        if self.realtime:
            self._wait_until_due(frame)
            if self._closed.is_set():
                return None
        return frame

    def _next_decoded(self) -> av.VideoFrame | None:
        assert self.probe is not None and self._frames is not None
        while True:
            if self._flushed:  # frames the decoder still held when the file broke off
                return self._flushed.pop(0)
            if self._failure is not None:
                self._done = True
                raise self._failure
            try:
                vf = next(self._frames)
            except StopIteration:
                vf = None
            except av.error.FFmpegError as exc:
                reason = getattr(exc, "strerror", None) or str(exc)
                self._drain_decoder()
                self._failure = InputError(
                    f"{self.path} is damaged: {self._pass_count + len(self._flushed)} frames could be "
                    f"decoded ({reason})",
                    hint="every frame before the damage was used",
                )
                continue
            if vf is not None:
                return vf
            if self.probe.truncated:
                self._done = True
                raise InputError(
                    f"{self.path} is truncated: {self._pass_count} of its {self.probe.declared_frames} "
                    "frames could be decoded",
                    hint="all of them were used; re-download or re-export the file for the rest",
                )
            if not self.loop or self._pass_count == 0:
                self._done = True
                return None
            self._pass_offset = self._last_pts + 1.0 / self.probe.fps
            self._open_pass()

    def _drain_decoder(self) -> None:
        """After a read error: the frames still inside the decoder (its threads hold a few)."""
        with contextlib.suppress(av.error.FFmpegError, ValueError):
            self._flushed = list(self._stream.codec_context.decode(None))

    def _to_frame(self, vf: av.VideoFrame) -> Frame:
        assert self.probe is not None
        image = vf.to_ndarray(format="bgr24")
        code = _ROTATE_CODES.get(self.probe.rotation)
        if code is not None:
            image = cv2.rotate(image, code)
        elif not image.flags.c_contiguous:
            image = np.ascontiguousarray(image)
        if vf.pts is not None and self._time_base is not None:
            if self._start_pts is None:
                self._start_pts = vf.pts
            rel = float((vf.pts - self._start_pts) * self._time_base)
        else:
            rel = self._pass_count / self.probe.fps
        pts = self._pass_offset + max(rel, 0.0)
        if self._index > 0 and pts <= self._last_pts:  # broken timestamps: keep them increasing
            pts = self._last_pts + 1.0 / self.probe.fps
        self._last_pts = pts
        frame = Frame(index=self._index, image=image, time=time.perf_counter(), pts=pts)
        self._index += 1
        self._pass_count += 1
        return frame

    def _wait_until_due(self, frame: Frame) -> None:
        now = time.perf_counter()
        assert frame.pts is not None
        if self._clock0 is None or now - (self._clock0 + frame.pts) > 1.0:
            # First frame, or more than a second behind (the consumer stalled): re-anchor, don't rush.
            self._clock0 = now - frame.pts
        delay = self._clock0 + frame.pts - now
        if delay > 0:
            self._closed.wait(delay)
        frame.time = time.perf_counter()

    def close(self) -> None:
        """Stop and release the file; safe to call twice and from another thread."""
        self._closed.set()
        if not self._lock.acquire(timeout=5.0):
            log.warning("%s: decoder busy, not closed", self.path)
            return
        try:
            if self._container is not None:
                self._container.close()
            self._container = None
            self._frames = None
        finally:
            self._lock.release()


# --------------------------------------------------------------------------- sink
