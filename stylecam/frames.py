"""The unit of data that flows through the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Frame:
    """One video frame as it moves source → pipeline → sinks.

    Attributes:
        index: 0-based position in the stream (for live sources, the count of
            frames captured, so gaps show frames that were dropped).
        image: the picture, ``uint8`` BGR ``(H, W, 3)``, C-contiguous.
        time: capture time, ``time.perf_counter()`` seconds (latency is
            measured from it).
        pts: presentation time in seconds from the start of the stream, or
            ``None`` when unknown (live cameras).
        name: for image sources, the file stem the image came from.
        stale: a live source lost its input (a camera unplugged) and repeats its last picture; the
            live tool keeps showing its last output and :attr:`status`.
        status: what is wrong while :attr:`stale` (``"camera 0 lost, retrying ..."``).
        extra: what a source attaches for its own sinks (an image source: the file's ``"path"``).
    """

    index: int
    image: np.ndarray
    time: float
    pts: float | None = None
    name: str | None = None
    extra: dict = field(default_factory=dict)
    stale: bool = False
    status: str | None = None


@dataclass
class StreamInfo:
    """What a source knows about its stream, handed to sinks when they open.

    Attributes:
        width, height: frame size in pixels (after rotation is applied).
        fps: frames per second (nominal for cameras).
        frame_count: number of frames, or ``None`` when unknown (live).
        live: ``True`` for cameras and other sources that must never lag.
        audio_path: a media file whose audio track a video sink should copy,
            or ``None``.
        rotation: degrees the source frames were rotated by on decode.
        source: a human-readable name of the source.
    """

    width: int
    height: int
    fps: float
    frame_count: int | None = None
    live: bool = False
    audio_path: str | None = None
    rotation: int = 0
    source: str = ""
    time_base: object | None = None
