"""Where stylized frames go, by kind, each registered once in :data:`SINKS` and opened by :func:`open_sink`.

- ``"window"``: :class:`~stylecam.window.WindowSink`, the preview window (OpenCV's HighGUI).
- ``"video"``: :class:`~stylecam.sinks.video.VideoFileSink`, a video file with the input's sound
  (:mod:`~stylecam.sinks.audio`'s muxer).
- ``"images"``: :class:`~stylecam.sinks.images.ImageSink`, one image file or a folder of them.
- ``"virtualcam"``: :class:`~stylecam.sinks.virtualcam.VirtualCamSink`, a webcam for OBS, Zoom, Teams.
- ``"null"``: :class:`~stylecam.sinks.null.NullSink`, counts and discards (benchmarks, ``-o -``).

:mod:`~stylecam.sinks.files` writes output files safely (folder checks, temporary names, moves). The
window and the virtual camera are imported when first opened (HighGUI, pyvirtualcam), as pyvirtualcam
registers its backends.

Example:
    >>> from stylecam.sinks import open_sink
    >>> open_sink("null").count
    0
    >>> open_sink("fax")
    Traceback (most recent call last):
    ...
    ValueError: unknown sink 'fax'; the sinks are: window, video, images, virtualcam, null
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .files import check_output_dir, same_file
from .images import ImageSink
from .null import NullSink
from .video import VideoFileSink

__all__ = [
    "SINKS",
    "ImageSink",
    "NullSink",
    "VideoFileSink",
    "check_output_dir",
    "open_sink",
    "register_sink",
    "same_file",
]


def _window(*args: Any, **kwargs: Any) -> Any:
    from ..window import WindowSink

    return WindowSink(*args, **kwargs)


def _virtualcam(*args: Any, **kwargs: Any) -> Any:
    from .virtualcam import VirtualCamSink

    return VirtualCamSink(*args, **kwargs)


#: every kind of sink: a factory that takes the sink's own arguments and returns a
#: :class:`~stylecam.streams.Sink`
SINKS: dict[str, Callable[..., Any]] = {
    "window": _window,
    "video": VideoFileSink,
    "images": ImageSink,
    "virtualcam": _virtualcam,
    "null": NullSink,
}


def register_sink(kind: str, factory: Callable[..., Any]) -> None:
    """Add (or replace) the sink ``kind``, made by ``factory`` (a test's fake, a new output)."""
    SINKS[kind] = factory


def open_sink(kind: str, *args: Any, **kwargs: Any) -> Any:
    """A new sink of ``kind`` (a key of :data:`SINKS`) built with the sink's own arguments.

    Raises:
        ValueError: an unknown ``kind`` (the message lists the known ones).
        OutputError, DeviceError: as the sink's constructor.
    """
    factory = SINKS.get(kind)
    if factory is None:
        raise ValueError(f"unknown sink {kind!r}; the sinks are: {', '.join(SINKS)}")
    return factory(*args, **kwargs)
