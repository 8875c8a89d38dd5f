"""The library entry points: stylize a video file or image files from Python.

:func:`stylize_video` and :func:`stylize_image` are what ``stylecam video`` and ``stylecam image`` run:
the options are one frozen dataclass (:class:`VideoOptions`, :class:`ImageOptions`), checked when it is
built, and a run returns a :class:`Result`. Nothing is printed unless you pass ``log`` (the lines the
command prints, such as the device that runs) or ``progress``; every failure is a
:class:`~stylecam.errors.StylecamError` (:class:`~stylecam.errors.InputError` for a bad file or
option, :class:`~stylecam.errors.OutputError` for an output that exists or cannot be written,
:class:`~stylecam.errors.ModelError`, :class:`~stylecam.errors.DeviceError`). Error messages name
options by their command-line flag (``bad --crf 60``), the same text the command prints.

Example:
    >>> import stylecam  # doctest: +SKIP
    >>> result = stylecam.stylize_video("in.mp4", "out.mp4", style="udnie", size="640x360")  # doctest: +SKIP
    >>> result.frames, result.fps, result.device  # doctest: +SKIP
    (240, 25.0, 'cpu')
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import InputError, StylecamError
from .interrupts import INTERRUPTS

if TYPE_CHECKING:
    from .engine import Stylizer
    from .pipeline import RunStats

#: Valid ranges of the numeric options: (lowest, highest).
CRF_RANGE = (0, 51)
SIZE_RANGE = (32, 8192)
THREADS_RANGE = (1, 1024)

PathLike = str | os.PathLike
Log = Callable[[str], None]


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
class _Options:
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
class ImageOptions(_Options):
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
class VideoOptions(_Options):
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
class LiveOptions(_Options):
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


@dataclass(frozen=True)
class Result:
    """What a run did.

    Attributes:
        output: the video file, or the image file or folder, written (``None`` when discarded).
        frames: frames (video) or images written.
        fps: the output video's frame rate (the input's); ``None`` for images.
        seconds: how long the run took.
        style: the style that ran.
        device: where the network ran (``'cpu'``, ``'cuda'``, ``'tensorrt'``): what really ran.
        precision: the network precision that ran (``'fp32'``, ``'fp16'``, ``'int8'``).
        interrupted: Ctrl-C, SIGTERM or SIGHUP stopped the run; the frames done were written.
        audio: the output video has the input's sound.
        files: the images written.
        failed: ``(file, why)`` for each image that could not be read or written.
        kept: what the output holds, in words (a video: its frames, seconds and sound).
        summary: the machine-readable summary ``--json`` prints.
    """

    output: Path | None
    frames: int
    fps: float | None
    seconds: float
    style: str
    device: str
    precision: str
    interrupted: bool = False
    audio: bool = False
    files: tuple[Path, ...] = ()
    failed: tuple[tuple[Path, str], ...] = ()
    kept: str = ""
    summary: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def speed(self) -> float:
        """Frames (or images) per second of processing."""
        return self.frames / self.seconds if self.seconds > 0 else 0.0


_O = TypeVar("_O", bound=_Options)


def _options(kind: type[_O], options: _O | None, style: PathLike | None, values: dict[str, Any]) -> _O:
    if style is not None:
        values = {**values, "style": os.fspath(style)}
    unknown = sorted(set(values) - {f.name for f in dataclasses.fields(kind)})
    if unknown:
        names = ", ".join(f.name for f in dataclasses.fields(kind))
        raise TypeError(f"unknown option(s) {', '.join(unknown)}; {kind.__name__} has {names}")
    if options is None:
        return kind(**values)
    return dataclasses.replace(options, **values) if values else options


def _stylizer(options: _Options, log: Log | None) -> Stylizer:
    from .engine import Stylizer
    from .sizes import parse_size

    st = Stylizer(
        options.style,
        device=options.device,
        size=parse_size(options.size),
        scale=options.scale,
        threads=options.threads,
        precision=options.precision,
    )
    if log is not None:
        log(f"style '{st.name}' {st.report.summary()}")
    return st


def _progress(enabled: bool | None, label: str, total: int | None):
    from .status import Progress

    return Progress(label, total, enabled)


def _peak_rss_mb() -> float | None:
    """Peak resident memory of this process in MB (Linux: VmHWM, which starts afresh at exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    try:
        import resource

        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    except ImportError:  # Windows
        return None


def _summary(command: str, stats: RunStats, stylizer: Stylizer, output: str | None, **extra: Any) -> dict:
    d = {
        "command": command,
        "style": stylizer.name,
        "device": stylizer.device,
        "precision": getattr(stylizer, "precision", "fp32"),
        "output": output,
        **stats.as_dict(),
    }
    d.update(extra)
    return d


def default_video_output(src: PathLike, style: str | None) -> Path:
    """Where a video goes when no output is given: ``IN.STYLE.mp4`` beside the input."""
    inp = Path(src)
    return inp.with_name(f"{inp.stem}.{style or 'stylized'}.mp4")


def stylize_video(
    src: PathLike,
    dst: PathLike | None = None,
    *,
    style: PathLike | None = None,
    options: VideoOptions | None = None,
    log: Log | None = None,
    progress: bool | None = False,
    **values: Any,
) -> Result:
    """Stylize a video file into another, keeping its frames, frame times and sound.

    The output is written beside ``dst`` and moved into place at the end; an output that exists is
    refused unless ``overwrite=True``. Ctrl-C (SIGINT, and SIGTERM/SIGHUP where the ``stylecam``
    command's handler is installed) ends the run with the frames done written.

    Args:
        src: the input video.
        dst: the output video (``.mp4``, ``.mov``, ``.mkv``, ``.avi``, ``.webm``, ``.gif``); ``None``
            (or ``""``) for ``IN.STYLE.mp4`` beside the input; ``'-'`` discards the frames (benchmarks).
        style: a style name or an ``.onnx`` path (``None``: the default style).
        options: the options, built once; keyword ``values`` replace some of them.
        log: called with each line the command prints (the style and the device that runs it).
        progress: a progress bar on stderr: ``True``, ``False``, or ``None`` when stderr is a terminal.
        **values: :class:`VideoOptions` fields: ``device``, ``precision``, ``size``, ``scale``,
            ``threads``, ``smooth``, ``smooth_strength``, ``crf``, ``audio``, ``max_frames``,
            ``overwrite``.

    Returns:
        The :class:`Result`: ``frames`` written, the output's ``fps``, ``device`` and ``precision``.

    Raises:
        InputError: a missing or unreadable input, or an option out of range.
        OutputError: the output exists (without ``overwrite=True``), is the input, or cannot be written.
        ModelError: an unknown or broken style.
        DeviceError: the requested device cannot run.
        TypeError: an option that :class:`VideoOptions` does not have.

    Example:
        >>> import stylecam  # doctest: +SKIP
        >>> r = stylecam.stylize_video("in.mp4", "out.mp4", style="udnie", smooth="flow", crf=20)  # doctest: +SKIP
        >>> print(f"{r.frames} frames at {r.fps:g} fps on {r.device} ({r.precision})")  # doctest: +SKIP
        240 frames at 25 fps on cpu (int8)
    """
    opts = _options(VideoOptions, options, style, values)
    from .models import default_model
    from .sinks import NullSink, VideoFileSink
    from .sources import VideoFileSource, probe

    inp = Path(src)
    meta = probe(inp)  # raises InputError for a missing / non-video / empty file
    style_name = opts.style or default_model().name
    output = Path(dst) if dst else default_video_output(inp, Path(style_name).stem)
    file_sink = None
    if str(output) == "-":  # null sink (benchmarks)
        sink = NullSink()
    else:
        sink = file_sink = VideoFileSink(
            output,
            audio_from=str(inp) if opts.audio else None,
            inputs=(inp,),
            crf=opts.crf,
            overwrite=opts.overwrite,
        )
    st = _stylizer(opts, log)
    from .pipeline import Pipeline
    from .smoothing import make_smoother
    from .stage import StylizeStep

    smoother = make_smoother(opts.smooth, opts.smooth_strength)
    source = VideoFileSource(inp)
    bar = _progress(progress, f"{inp.name} → {output.name}", meta.frame_count)
    step = StylizeStep(st, smoother)
    pipe = Pipeline(source, step, [sink], progress=bar, max_frames=opts.max_frames)
    try:
        with INTERRUPTS.running(pipe.stop, str(output)):
            stats = pipe.run()  # opens and closes the step as it does the sinks
    except StylecamError as exc:
        bar.finish()
        if file_sink is not None and file_sink.frames_written and file_sink.outcome() not in (exc.hint or ""):
            exc.hint = (exc.hint + "; " if exc.hint else "") + file_sink.outcome()
        raise
    bar.finish()
    audio = meta.has_audio and opts.audio
    summary = _summary(
        "video",
        stats,
        st,
        str(output),
        input=str(inp),
        smooth=opts.smooth,
        audio=audio,
        size=[meta.width, meta.height],
        processing_size=list(st.processing_size(meta.width, meta.height)),
    )
    summary["ms_per_frame"].update(step.stage_ms())
    summary["peak_rss_mb"] = _peak_rss_mb()
    interrupted = stats.stop_reason == "interrupted"
    return Result(
        output=None if file_sink is None else output,
        frames=stats.frames_out,
        fps=meta.fps,
        seconds=stats.seconds,
        style=st.name,
        device=st.device,
        precision=getattr(st, "precision", "fp32"),
        interrupted=interrupted,
        audio=audio,
        kept=file_sink.outcome() if file_sink is not None else f"{stats.frames_out} frames done",
        summary=summary,
    )


def stylize_image(
    src: PathLike | Sequence[PathLike],
    dst: PathLike,
    *,
    style: PathLike | None = None,
    options: ImageOptions | None = None,
    log: Log | None = None,
    progress: bool | None = False,
    **values: Any,
) -> Result:
    """Stylize an image file, or several files and folders of images, keeping each image's size.

    One input and a ``dst`` with a suffix that is not a folder: one file. Otherwise ``dst`` is a folder
    and each image keeps its name with the suffix ``format`` (``.png``). An image that cannot be read
    or written is skipped and listed in :attr:`Result.failed`; the others are still written.

    Args:
        src: an image file or a folder of images, or a list of them.
        dst: the output file (one input) or folder.
        style: a style name or an ``.onnx`` path (``None``: the default style).
        options: the options, built once; keyword ``values`` replace some of them.
        log: called with each line the command prints (the style and device, skipped files).
        progress: a progress bar on stderr: ``True``, ``False``, or ``None`` when stderr is a terminal.
        **values: :class:`ImageOptions` fields: ``device``, ``precision``, ``size``, ``scale``,
            ``threads``, ``overwrite``, ``format``.

    Returns:
        The :class:`Result`: ``frames`` (images) written, their ``files``, the ``failed`` ones,
        ``device`` and ``precision``.

    Raises:
        InputError: no image in the inputs, or an option out of range.
        OutputError: an output exists (without ``overwrite=True``) or its folder cannot be written.
        ModelError: an unknown or broken style.
        DeviceError: the requested device cannot run.
        TypeError: an option that :class:`ImageOptions` does not have.

    Example:
        >>> import stylecam  # doctest: +SKIP
        >>> r = stylecam.stylize_image("photo.jpg", "painted.png", style="udnie", size="720p")  # doctest: +SKIP
        >>> r.files, r.device  # doctest: +SKIP
        ((PosixPath('painted.png'),), 'cpu')
    """
    opts = _options(ImageOptions, options, style, values)
    from .pipeline import Pipeline
    from .sinks import ImageSink
    from .sources import ImageSource
    from .stage import StylizeStep

    inputs = [src] if isinstance(src, (str, os.PathLike)) else list(src)
    out = Path(dst)
    source = ImageSource([os.fspath(p) for p in inputs], on_skip=log)
    single = len(source.files) == 1 and not out.is_dir() and out.suffix != ""
    sink = ImageSink(
        os.fspath(dst), single=single, inputs=source.files, suffix=opts.format, overwrite=opts.overwrite
    )
    note = source.not_images_line()
    if note and log is not None:
        log(note)
    st = _stylizer(opts, log)
    bar = _progress(progress, "stylizing", len(source.files))
    pipe = Pipeline(source, StylizeStep(st, None), [sink], progress=bar)
    with INTERRUPTS.running(pipe.stop, os.fspath(dst)):
        stats = pipe.run()
    bar.finish()
    failed = [(Path(f), why) for f, why in [*source.failed, *sink.failed]]
    summary = _summary(
        "image",
        stats,
        st,
        os.fspath(dst),
        files=[str(p) for p in sink.written],
        failed=[{"file": str(f), "why": why} for f, why in failed],
        not_images=[str(p) for p in source.not_images],
    )
    return Result(
        output=out,
        frames=len(sink.written),
        fps=None,
        seconds=stats.seconds,
        style=st.name,
        device=st.device,
        precision=getattr(st, "precision", "fp32"),
        interrupted=stats.stop_reason == "interrupted",
        files=tuple(Path(p) for p in sink.written),
        failed=tuple(failed),
        summary=summary,
    )
