"""The library entry points: stylize a video file or image files from Python.

:func:`stylize_video` and :func:`stylize_image` are what ``stylecam video`` and ``stylecam image`` run:
the options are one frozen dataclass (:class:`VideoOptions`, :class:`ImageOptions`), checked when it is
built, and a run returns a :class:`Result`. Nothing is printed unless you pass ``log`` (the lines the
command prints, such as the device that runs) or ``progress``; every failure is a
:class:`~stylecam.errors.StylecamError` (:class:`~stylecam.errors.InputError` for a bad file or
option, :class:`~stylecam.errors.OutputError` for an output that exists or cannot be written,
:class:`~stylecam.errors.ModelError`, :class:`~stylecam.errors.DeviceError`). Error messages name
options by their command-line flag (``bad --crf 60``), the same text the command prints. The options
are defined in :mod:`stylecam.options` and importable from here.

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

from .errors import StylecamError
from .interrupts import INTERRUPTS
from .options import (
    CRF_RANGE,
    SIZE_RANGE,
    THREADS_RANGE,
    CommonOptions,
    ImageOptions,
    LiveOptions,
    VideoOptions,
    check_ranges,
)

if TYPE_CHECKING:
    from .engine import Stylizer
    from .pipeline import RunStats

PathLike = str | os.PathLike
Log = Callable[[str], None]


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


_O = TypeVar("_O", bound=CommonOptions)


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


def open_stylizer(options: CommonOptions, log: Log | None = None) -> Stylizer:
    """The :class:`~stylecam.engine.Stylizer` that ``options`` ask for (style, device, size, threads,
    precision); ``log`` gets one line saying what runs."""
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


class _Reported:
    """A caller's progress function in the place of a bar (nothing to finish)."""

    def __init__(self, report: Callable[[Any], None]) -> None:
        self.report = report

    def __call__(self, stats: Any) -> None:
        self.report(stats)

    def finish(self) -> None:
        pass


def _progress(enabled: bool | Callable[[Any], None] | None, label: str, total: int | None):
    if callable(enabled):
        return _Reported(enabled)
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
    progress: bool | Callable[[Any], None] | None = False,
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
        progress: a progress bar on stderr: ``True``, ``False``, or ``None`` when stderr is a terminal;
            or a function called with the run's :class:`~stylecam.pipeline.RunStats` about twice a
            second and at the end (``stylecam batch``'s workers report their frames with it).
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
    st = open_stylizer(opts, log)
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
    st = open_stylizer(opts, log)
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


__all__ = [
    "CRF_RANGE",
    "SIZE_RANGE",
    "THREADS_RANGE",
    "CommonOptions",
    "ImageOptions",
    "LiveOptions",
    "Result",
    "VideoOptions",
    "check_ranges",
    "default_video_output",
    "open_stylizer",
    "stylize_image",
    "stylize_video",
]
