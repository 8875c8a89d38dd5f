"""``stylecam live`` start-up: check the options, open the source, build the controller, window and
outputs, run the pipeline and report.

Example:
    >>> from stylecam.options import LiveOptions  # doctest: +SKIP
    >>> run_live(LiveOptions(source="clip.mp4", loop=True, no_window=True, record="take.mp4"))  # doctest: +SKIP
    0
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import DeviceError, InputError
from ..models import ModelInfo
from ..options import LiveOptions
from ..pipeline import RunStats
from ..sizes import parse_camera_size
from ..status import StatusLine
from ..streams import Sink, Source
from .controller import LiveController
from .overlay import DISPLAY_MIN_HEIGHT


def open_live_source(
    source: str | int,
    *,
    loop: bool = False,
    camera_size: tuple[int, int] | None = None,
    camera_fps: float | None = None,
) -> Source:
    """A live source for ``stylecam live SOURCE``: a camera (index or ``/dev/video*``) or a video file
    played at its own frame rate (``loop`` to rehearse with it over and over); see
    :func:`stylecam.sources.open_source`.

    Raises:
        InputError: a file that does not exist, or a bad ``camera_fps``.
    """
    from ..sources import open_source

    return open_source(source, live=True, loop=loop, camera_size=camera_size, camera_fps=camera_fps)


def styles_and_start(style: str | None) -> tuple[list[ModelInfo], int]:
    """All installed styles (the keys cycle through them) and the index of ``style`` among them."""
    from ..models import default_model, find_model, list_models

    models: list[ModelInfo] = list(list_models())
    chosen = find_model(style) if style is not None else default_model()
    for i, m in enumerate(models):
        same_file = m.path.resolve() == chosen.path.resolve()
        if m.name == chosen.name and (same_file or chosen.origin != "path"):
            return models, i
        if same_file and not chosen.is_multi_style:  # one style in the file, whatever it is called
            return models, i
    return [chosen, *models], 0


def _stderr(text: str) -> None:
    print(f"stylecam: {text}", file=sys.stderr, flush=True)


def _check(options: LiveOptions) -> None:
    """The checks made before anything opens, in the order the command has always made them."""
    from ..window import NO_DISPLAY_HINT, display_problem

    if options.no_window and not options.virtual_cam and not options.record:
        raise InputError("--no-window shows nothing", "add --virtual-cam or --record FILE")
    if not options.no_window:
        problem = display_problem()
        if problem is not None:
            raise DeviceError(f"no display ({problem})", NO_DISPLAY_HINT)
    if options.record:
        from ..sinks import VideoFileSink  # refuses an existing file without -y, an unknown suffix

        VideoFileSink(Path(options.record), overwrite=options.overwrite)
    if not 0.0 <= options.strength <= 1.0:
        raise InputError(f"bad --strength {options.strength:g}", "use a value from 0 to 1")
    if options.crossfade < 0:
        raise InputError(f"bad --crossfade {options.crossfade:g}", "use seconds >= 0, such as 0.5")


def _smoother(options: LiveOptions) -> Any:
    if options.smooth == "none":
        return None
    from ..smoothing import make_smoother

    try:
        return make_smoother(options.smooth, options.smooth_strength)
    except ValueError as exc:
        raise InputError(str(exc), "see 'stylecam live --help'") from None


def make_controller(
    options: LiveOptions,
    smoother: Any = None,
    log: Callable[[str], None] | None = None,
    overlap: bool | None = None,
) -> LiveController:
    """The :class:`LiveController` that ``options`` describe: all installed styles, starting at
    ``options.style`` and loading the others in the background, with ``smoother``."""
    from ..sizes import parse_size

    styles, start = styles_and_start(options.style)
    record = options.record

    def recording_sink(path: Path, fps: float) -> Sink:
        """``--record FILE`` may replace FILE with ``-y``; key r makes new names."""
        from ..sinks import VideoFileSink

        asked = record is not None and Path(path) == Path(record)
        return VideoFileSink(path, fps=fps, timing="wallclock", overwrite=options.overwrite and asked)

    return LiveController(
        styles,
        start=start,
        network=options.network,
        device=options.device,
        # live must keep up: unless --size says otherwise, a CPU stylizes large frames at the style's
        # recommended size (see Stylizer's size="auto")
        size=parse_size(options.size or ("auto" if options.scale is None else None)),
        scale=options.scale,
        threads=options.threads,
        precision=options.precision or "auto",
        crossfade=options.crossfade,
        strength=options.strength,
        keep_colors=options.keep_colors,
        split=options.split,
        mirror=options.mirror,
        smoother=smoother,
        overlap=overlap,
        snapshot_dir=options.snapshots,
        record_dir=options.recordings,
        recording_sink_factory=recording_sink,
        background_loading=True,
        log=log,
    )


class LiveStatusLine(StatusLine):
    """The live stats as a status line on stderr, for ``--no-window`` runs."""

    def __init__(self, controller: LiveController) -> None:
        super().__init__()
        self.controller = controller

    def __call__(self, stats: RunStats) -> None:
        c = self.controller
        self.show((c.status or c.stats_line()) + (" | REC" if c.recording else ""))


def run_live(options: LiveOptions, *, overlap: bool | None = None) -> int:
    """Run a live session; returns the exit code (0, or 128 + the signal when interrupted).

    Args:
        options: what the session shows and where (the command builds them from its arguments).
        overlap: compute the flow smoother's motion during inference on a helper thread (``None``:
            when the network runs on a GPU; see :class:`~stylecam.stage.StylizeStep`).

    Raises:
        StylecamError: bad input, no display, no camera, no virtual camera, a
            camera lost for good — each one line for the CLI.
    """
    from ..interrupts import INTERRUPTS

    _check(options)
    smoother = _smoother(options)
    source = open_live_source(  # a missing file is reported before any model loads
        options.source,
        loop=options.loop,
        camera_size=parse_camera_size(options.camera_size),
        camera_fps=options.camera_fps,
    )
    log = None if options.json else _stderr
    window_on = not options.no_window
    controller = make_controller(options, smoother, log, overlap)
    try:
        first = controller.stylizer()  # a style or device that cannot work fails here, before the camera
        if log is not None:
            report = getattr(first, "report", None)
            summary = report.summary() if report is not None and hasattr(report, "summary") else first.device
            keys = "; press h in the window for the keys" if window_on else "; Ctrl-C ends"
            log(f"live: style '{controller.style_name()}' {summary}{keys}")
        stats, interrupted, vcam = _run(controller, source, options, log, INTERRUPTS)
    finally:
        controller.close()
    if vcam is not None and log is not None and vcam.frames_sent:
        log(f"sent {vcam.frames_sent} frames to the virtual camera")
    if options.json:
        print(
            json.dumps(
                {
                    "command": "live",
                    "style": controller.style_name(),
                    "device": controller.device,
                    "precision": controller.precision,
                    "processing_size": "x".join(map(str, controller.processing_size or ())) or None,
                    "snapshots": [str(p) for p in controller.snapshots],
                    "recordings": [str(p) for p in controller.recordings],
                    "interrupted": interrupted,
                    **stats.as_dict(),
                },
                indent=2,
            )
        )
    elif log is not None:
        log(
            f"live: {stats.frames_out} frames in {stats.seconds:.1f} s ({stats.fps:.1f} fps), "
            f"latency {stats.latency_ms:.0f} ms"
            + (f"; interrupted ({INTERRUPTS.name})" if interrupted else "")
        )
    return INTERRUPTS.exit_code if interrupted else 0


def _run(
    controller: LiveController,
    source: Source,
    options: LiveOptions,
    log: Callable[[str], None] | None,
    interrupts: Any,
) -> tuple[RunStats, bool, Any]:
    """The pipeline of a session: source → controller → window and/or virtual camera."""
    from ..pipeline import Pipeline
    from ..window import WindowSink

    sinks: list[Sink] = []
    window = None
    if not options.no_window:
        window = WindowSink(
            "stylecam",
            min_height=DISPLAY_MIN_HEIGHT,
            overlay=controller.overlay,
            on_key=controller.handle_key,
            quit_keys=(),  # q and Esc are in the controller's key table
            fullscreen=options.fullscreen,
        )
        controller.fullscreen = window.fullscreen
        controller.on_fullscreen = lambda on: setattr(window, "fullscreen", on)
        sinks.append(window)
    vcam = None
    if options.virtual_cam:
        from ..sinks.virtualcam import VirtualCamSink

        vcam = VirtualCamSink(backend=options.virtual_cam_backend, device=options.virtual_cam_device)
        sinks.append(vcam)
    if options.record:
        controller.start_recording(options.record)
    status = None
    if window is None and log is not None and sys.stderr.isatty():
        status = LiveStatusLine(controller)
    pipeline = Pipeline(
        source,
        controller,
        sinks,
        queue_size=2,
        progress=status,
        progress_interval=1.0,
        max_frames=options.max_frames,
    )
    if window is not None:
        controller.on_quit = lambda: window.stop("key")
    else:
        controller.on_quit = lambda: pipeline.stop("quit")
    interrupted = False
    try:
        with interrupts.running(pipeline.stop, options.record or "the recordings"):
            stats = pipeline.run()
        interrupted = stats.stop_reason == "interrupted"
    except KeyboardInterrupt:
        stats = pipeline.stats
        interrupted = True
    finally:
        if status is not None:
            status.finish()
    return stats, interrupted, vcam
