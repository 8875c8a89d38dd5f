"""The options of the runs, as frozen dataclasses built once and checked when they are built.

:class:`ImageOptions` (``stylecam image``, :func:`~stylecam.api.stylize_image`), :class:`VideoOptions`
(``stylecam video``, :func:`~stylecam.api.stylize_video`) and :class:`LiveOptions` (``stylecam live``,
:func:`~stylecam.live.run_live`) share :class:`CommonOptions`; the command builds them from its
arguments (their field names are its option names) and takes its defaults from them. Error messages
name options by their command-line flag (``bad --crf 60``), the same text the command prints.

Example:
    >>> VideoOptions(style="udnie", size="640x360").crf
    18
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from .errors import InputError

#: Valid ranges of the numeric options: (lowest, highest).
CRF_RANGE = (0, 51)
SIZE_RANGE = (32, 8192)
THREADS_RANGE = (1, 1024)


def check_ranges(
    *,
    crf: int | None = None,
    max_frames: int | None = None,
    threads: int | None = None,
    smooth_strength: float | None = None,
    scale: float | None = None,
    size: str | None = None,
) -> None:
    """Refuse a numeric option out of its range, naming the range (before any work starts).

    Raises:
        InputError: ``crf``, ``max_frames``, ``threads``, ``smooth_strength``, ``scale`` or ``size``
            out of range, in that order of checking.
    """
    if crf is not None and not CRF_RANGE[0] <= crf <= CRF_RANGE[1]:
        raise InputError(
            f"bad --crf {crf}", f"use {CRF_RANGE[0]} to {CRF_RANGE[1]} (lower is better, 18 default)"
        )
    if max_frames is not None and max_frames < 1:
        raise InputError(f"bad --max-frames {max_frames}", "use 1 or more")
    if threads is not None and not THREADS_RANGE[0] <= threads <= THREADS_RANGE[1]:
        raise InputError(
            f"bad --threads {threads}",
            f"use {THREADS_RANGE[0]} to {THREADS_RANGE[1]} (this machine has {os.cpu_count()} cores)",
        )
    if smooth_strength is not None and not 0.0 <= smooth_strength <= 1.0:
        raise InputError(f"bad --smooth-strength {smooth_strength:g}", "use 0 to 1")
    if scale is not None and not 0 < scale <= 8:
        raise InputError(f"bad --scale {scale:g}", "use a factor above 0 and up to 8, such as 0.5")
    if size:
        from .sizes import parse_size

        parsed = parse_size(size)
        sides = parsed if isinstance(parsed, tuple) else (parsed,) if isinstance(parsed, int) else ()
        lo, hi = SIZE_RANGE
        if any(not lo <= side <= hi for side in sides):
            raise InputError(
                f"bad --size {size}",
                f"each side from {lo} to {hi} pixels (640x360, 720p), or 'full' or 'auto'",
            )


@dataclass(frozen=True)
class CommonOptions:
    """What image and video runs share; see :class:`ImageOptions` and :class:`VideoOptions`."""

    style: str | None = None
    device: str = "auto"
    precision: str = "auto"
    size: str | None = None
    scale: float | None = None
    threads: int | None = None
    overwrite: bool = False

    def __post_init__(self) -> None:
        if self.style is not None:
            object.__setattr__(self, "style", os.fspath(self.style))
        check_ranges(**self._ranged())

    def _ranged(self) -> dict[str, Any]:
        return {"threads": self.threads, "scale": self.scale, "size": self.size}


@dataclass(frozen=True)
class ImageOptions(CommonOptions):
    """How an image run works; the numeric values are checked when the options are built.

    Args:
        style: a style name (see ``stylecam styles``) or the path of an ``.onnx`` file; ``None`` for
            the default style.
        device: ``'auto'`` (TensorRT, then CUDA, then the CPU), ``'tensorrt'``, ``'cuda'`` or ``'cpu'``.
        precision: ``'auto'``, ``'fp32'``, ``'fp16'`` or ``'int8'``.
        size: processing size: ``'640x360'``, a height (``'720p'``), ``'full'`` or ``'auto'``; each
            side from 32 to 8192 pixels. The output keeps the input's size.
        scale: processing size as a factor of the frame size, above 0 and up to 8 (not with ``size``).
        threads: CPU threads for the network, 1 to 1024 (``None``: all cores).
        overwrite: replace outputs that exist (at the end of the run); otherwise they are refused.
        format: the file type of images written into a folder, ``'.png'`` or ``'.jpg'``.

    Raises:
        InputError: a value out of range; the message names the option and the range.

    Example:
        >>> ImageOptions(style="udnie", size="720p", overwrite=True).size
        '720p'
    """

    format: str = ".png"


@dataclass(frozen=True)
class VideoOptions(CommonOptions):
    """How a video run works; the numeric values are checked when the options are built.

    Args:
        style, device, precision, size, scale, threads, overwrite: as in :class:`ImageOptions`.
        smooth: temporal smoothing against flicker: ``'none'``, ``'ema'`` or ``'flow'``.
        smooth_strength: 0 to 1, how much of the previous output is kept (``None``: the mode's default).
        crf: H.264 quality, 0 to 51, lower is better.
        audio: keep the input's sound.
        max_frames: stop after this many frames (1 or more; ``None``: all of them).

    Raises:
        InputError: a value out of range; the message names the option and the range.

    Example:
        >>> VideoOptions(crf=60)
        Traceback (most recent call last):
        ...
        stylecam.errors.InputError: bad --crf 60 — use 0 to 51 (lower is better, 18 default)
    """

    smooth: str = "flow"
    smooth_strength: float | None = None
    crf: int = 18
    audio: bool = True
    max_frames: int | None = None

    def _ranged(self) -> dict[str, Any]:
        return {
            "crf": self.crf,
            "max_frames": self.max_frames,
            **super()._ranged(),
            "smooth_strength": self.smooth_strength,
        }


@dataclass(frozen=True)
class LiveOptions(CommonOptions):
    """How a live session (``stylecam live``, :func:`stylecam.live.run_live`) works.

    Built once by the command from its arguments (the field names are its option names); the ranges
    the other commands share are checked when the options are built, the rest (strength, crossfade,
    the outputs) by :func:`~stylecam.live.run_live` before it opens anything.

    Args:
        style, device, precision, size, scale, threads: as in :class:`ImageOptions`; ``size=None``
            (with no ``scale``) is ``'auto'`` here: on a CPU, large frames run at about the style's
            recommended size, so the picture keeps up.
        overwrite: replace the ``record`` file if it exists.
        source: a camera index (``'0'``), a device path or a video file.
        network: which network of a style runs: ``'auto'``, ``'paint'`` or ``'fast'``.
        camera_size: the capture size asked of the camera, ``'WxH'``; ``camera_fps`` its frame rate.
        loop: play a video-file source over and over.
        record: record the stylized stream from the start into this file.
        virtual_cam: send the output to a virtual camera (``virtual_cam_device``,
            ``virtual_cam_backend``: pyvirtualcam's device and back end).
        no_window: no preview window (then ``virtual_cam`` or ``record`` is needed).
        fullscreen, mirror, split, keep_colors: start fullscreen, mirrored, in split view, keeping the
            original colours.
        crossfade: seconds to fade between styles (0 or more).
        strength: 0 to 1, the blend of the stylized picture over the original.
        smooth, smooth_strength: temporal smoothing, as in :class:`VideoOptions`.
        snapshots: the folder for snapshots (key s); ``recordings``: for recordings started with key r.
        max_frames: stop after this many frames (1 or more; ``None``: until the source ends or q).
        json: print a machine-readable summary on stdout at the end (and nothing on stderr).

    Example:
        >>> LiveOptions(source="clip.mp4", loop=True, no_window=True, record="take.mp4").crossfade
        0.5
    """

    source: str = "0"
    network: str = "auto"
    camera_size: str | None = None
    camera_fps: float | None = None
    loop: bool = False
    record: str | None = None
    virtual_cam: bool = False
    virtual_cam_device: str | None = None
    virtual_cam_backend: str | None = None
    no_window: bool = False
    fullscreen: bool = False
    mirror: bool = False
    split: bool = False
    keep_colors: bool = False
    crossfade: float = 0.5
    strength: float = 1.0
    smooth: str = "flow"
    smooth_strength: float | None = None
    snapshots: str = "snapshots"
    recordings: str = "recordings"
    max_frames: int | None = None
    json: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "source", str(self.source))
        if self.record is not None:
            object.__setattr__(self, "record", os.fspath(self.record))
        super().__post_init__()

    def _ranged(self) -> dict[str, Any]:
        return {
            "max_frames": self.max_frames,
            "threads": self.threads,
            "smooth_strength": self.smooth_strength,
            "scale": self.scale,
            "size": self.size,
        }
