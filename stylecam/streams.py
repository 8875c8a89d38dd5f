"""The protocols the pipeline knows: where frames come from, what is done to them, where they go.

Concrete sources live in :mod:`stylecam.sources` (chosen by :func:`~stylecam.sources.open_source`)
and :mod:`stylecam.camera`; concrete sinks in :mod:`stylecam.sinks` (its registry ``SINKS``); the
processing stage is :class:`~stylecam.stage.StylizeStep` (the live tool's
:class:`~stylecam.live.LiveController` wraps one). The pipeline only sees these protocols.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from .frames import Frame, StreamInfo


@runtime_checkable
class Source(Protocol):
    """A stream of frames.

    ``live`` chooses the pipeline's policy: a live source (camera) keeps only
    the newest frame so the output never lags; a non-live source (file) blocks
    when the pipeline is busy and never loses a frame.
    """

    live: bool

    def open(self) -> StreamInfo:
        """Open the stream and describe it. Raises :class:`~stylecam.errors.InputError` on bad input."""
        ...

    def read(self) -> Frame | None:
        """The next frame, or ``None`` at the end of the stream."""
        ...

    def close(self) -> None:
        """Release the stream; safe to call twice."""
        ...


@runtime_checkable
class Stage(Protocol):
    """The work done to each frame, on the pipeline's processing thread (the network and smoother).

    ``open`` is called with the stream's description once the source has opened (before the sinks),
    then the stage is called once per frame, and ``close`` ends it, whatever happened in between.
    """

    def open(self, info: StreamInfo) -> None:
        """Prepare for a stream of ``info.width`` x ``info.height`` frames."""
        ...

    def __call__(self, frame: Frame) -> np.ndarray:
        """The ``uint8`` BGR picture for one source frame."""
        ...

    def close(self) -> None:
        """Release what the stage holds (threads, recordings); safe to call twice."""
        ...


@runtime_checkable
class Sink(Protocol):
    """A consumer of stylized frames.

    ``inline`` sinks (a window) are called on the processing thread, because
    GUI toolkits want one thread; the others run on the writer thread.
    """

    inline: bool

    def open(self, info: StreamInfo) -> None:
        """Prepare for a stream of ``info.width`` x ``info.height`` frames."""
        ...

    def write(self, frame: Frame, image: np.ndarray) -> None:
        """Consume one stylized ``uint8`` BGR image; ``frame`` is the source frame it came from."""
        ...

    def close(self) -> None:
        """Flush and finalise (a video file stays playable); safe to call twice."""
        ...

    @property
    def stopped(self) -> bool:
        """``True`` once the user asked this sink to end the run (window closed, ``q`` pressed)."""
        ...
