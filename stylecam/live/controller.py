"""The state of a live session and the actions that change it: one method per key.

:class:`LiveController` is the live tool's :class:`~stylecam.streams.Stage`: it holds what the keys
change and runs the same :class:`~stylecam.stage.StylizeStep` as ``stylecam video`` (network,
crossfade, smoother, GPU overlap). Every key is a method, so tests drive it without a window::

    ctl = LiveController(["starry-night", "the-scream"])
    out = ctl.process(frame)      # what the pipeline calls: Frame -> uint8 BGR image
    ctl.next_style()              # the same as pressing n
    shown = ctl.overlay(frame, out)  # the window's picture: stats line, help, messages

:meth:`LiveController.process` returns the *clean* picture: that is what the virtual camera,
recordings and snapshots get. The stats line, help panel and messages are drawn only on the window's
copy by :meth:`LiveController.overlay` (see :mod:`stylecam.live.overlay`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ..errors import InputError, ModelError, StylecamError
from ..frames import Frame, StreamInfo
from ..pipeline import RunStats
from ..stage import Network, StylizeStep
from .compose import compose
from .keys import lookup
from .overlay import draw_overlay
from .recording import Recordings, SinkFactory, save_png, timestamp
from .styles import NetworkFactory, StyleShelf, StyleSpec

STRENGTH_STEP = 0.1


def clamp_strength(value: float) -> float:
    """``value`` clamped to ``[0, 1]`` and rounded to 0.001."""
    return round(min(1.0, max(0.0, float(value))), 3)


class LiveController:
    """The state of a live session and the actions that change it.

    Args:
        styles: the styles the keys cycle through (names, ``.onnx`` paths or
            :class:`~stylecam.models.ModelInfo`); keys 1–9 pick the first nine.
        start: index of the first style shown.
        stylizer_factory: ``spec -> network``: a :class:`~stylecam.engine.Stylizer` (or any
            ``image -> image`` callable with a ``device`` attribute, run at the frame's size); the
            default builds one with :func:`~stylecam.engine.live_stylizer` from ``network``,
            ``device``, ``size``, ``scale``, ``threads`` and ``precision``. Networks are created when
            first needed and kept.
        network: which network of a style runs (:func:`~stylecam.engine.live_stylizer`): ``'auto'``
            (the painting network, or the style's fast network on a CPU where the painting network
            cannot keep up), ``'paint'`` or ``'fast'``.
        crossfade: seconds to fade from one style to the next (two styles of one multi-style network
            fade by their weights in one run; otherwise both networks run during the fade); ``0``
            switches at once.
        strength: 0..1, the blend of the stylized picture over the original.
        keep_colors: keep the original colours (stylized luminance, original chroma).
        split: split view (original left, stylized right).
        mirror: flip the input horizontally before everything else.
        smoother: a temporal smoother (``update(frame, stylized)``, ``reset()``),
            reset at every style change; ``None`` for none.
        overlap: compute the flow smoother's motion on a helper thread during inference (``None``:
            when the network runs on a GPU, as ``stylecam video`` does; see
            :class:`~stylecam.stage.StylizeStep`).
        snapshot_dir: folder for snapshots (created when needed).
        record_dir: folder for recordings started with ``r``.
        recording_sink_factory: ``(path, fps) -> Sink`` for recordings; the
            default is a wallclock-timed ``VideoFileSink``.
        background_loading: load a style not yet used on a worker thread (the
            picture keeps running and switches when it is ready) instead of
            on the spot.
        clock: the time source for crossfades (tests inject one).
        log: called with a line for things worth telling the user
            (snapshot saved, recording written, a style that failed to load).

    Attributes:
        step: the processing step (network, crossfade, smoother) the controller runs.
        stats: frames through :meth:`process`, their rate and latency (:attr:`fps`,
            :attr:`latency_ms`).
    """

    def __init__(
        self,
        styles: Sequence[StyleSpec],
        *,
        start: int = 0,
        stylizer_factory: NetworkFactory | None = None,
        device: str = "auto",
        size: tuple[int, int] | int | str | None = None,
        scale: float | None = None,
        threads: int | None = None,
        precision: str = "auto",
        network: str = "auto",
        crossfade: float = 0.5,
        strength: float = 1.0,
        keep_colors: bool = False,
        split: bool = False,
        mirror: bool = False,
        smoother: Any = None,
        overlap: bool | None = None,
        snapshot_dir: str | os.PathLike = "snapshots",
        record_dir: str | os.PathLike = "recordings",
        recording_sink_factory: SinkFactory | None = None,
        background_loading: bool = False,
        clock: Callable[[], float] = time.perf_counter,
        log: Callable[[str], None] | None = None,
    ) -> None:
        if not styles:
            raise ModelError("no styles to show", "install a style, or give one with --style")
        if not 0 <= start < len(styles):
            raise InputError(f"start style {start} out of range", f"choose 0..{len(styles) - 1}")
        self.log = log
        factory = stylizer_factory or self._engine_factory(device, size, scale, threads, precision, network)
        self.shelf = StyleShelf(styles, factory)
        self.step = StylizeStep(None, smoother, overlap, clock=clock)
        self.crossfade = max(0.0, float(crossfade))
        self.strength = clamp_strength(strength)
        self.keep_colors = bool(keep_colors)
        self.split = bool(split)
        self.mirror = bool(mirror)
        self.snapshot_dir = Path(snapshot_dir)
        self.recorder = Recordings(record_dir, self._say, recording_sink_factory)
        self.background_loading = background_loading
        self.paused = False
        self.show_help = False
        self.fullscreen = False
        self.quit_requested = False
        self.on_quit: Callable[[], None] | None = None
        self.on_fullscreen: Callable[[bool], None] | None = None
        self.snapshots: list[Path] = []
        self.status: str | None = None  # a source problem (camera lost), shown big until it clears
        self.current = start
        self.stats = RunStats()
        self._pending: int | None = None  # style being loaded in the background, switched to when ready
        self._fade_from: int | None = None
        self._last_output: np.ndarray | None = None
        self._stream_fps = 30.0
        self._message = ""
        self._message_until = 0.0

    # ------------------------------------------------------------------ styles

    def _engine_factory(self, device, size, scale, threads, precision, network) -> NetworkFactory:
        options = {"device": device, "size": size, "scale": scale, "threads": threads, "precision": precision}

        def make(spec: StyleSpec) -> Network:
            from ..engine import live_stylizer

            return live_stylizer(spec, network, log=self._log_line, **options)

        return make

    def _log_line(self, text: str) -> None:
        if self.log is not None:
            self.log(text)

    @property
    def styles(self) -> list[StyleSpec]:
        """The styles the keys cycle through."""
        return self.shelf.styles

    @property
    def smoother(self) -> Any:
        """The temporal smoother (``None``: none)."""
        return self.step.smoother

    def style_name(self, index: int | None = None) -> str:
        """The display name of style ``index`` (default: the current one)."""
        return self.shelf.name(self.current if index is None else index)

    @property
    def device(self) -> str:
        """Where the current style runs (``'cpu'``, ``'cuda'``, ``'tensorrt'``), once loaded."""
        return str(getattr(self.shelf.loaded(self.current), "device", "") or "")

    @property
    def precision(self) -> str:
        """The current style's precision (``'fp32'``, ``'int8'``, ``'fp16'``), once loaded."""
        return str(getattr(self.shelf.loaded(self.current), "precision", "") or "")

    @property
    def processing_size(self) -> tuple[int, int] | None:
        """(width, height) the network last ran at (``--size auto`` may pick less than the frame size)."""
        return self.step.processing_size

    @property
    def fading(self) -> bool:
        """Whether a crossfade from the previous style is running."""
        return self.step.fading

    def stylizer(self, index: int | None = None) -> Network:
        """The network of style ``index`` (default: the current one), created now if needed.

        Raises:
            ModelError, DeviceError: the style cannot be loaded.
        """
        return self.shelf.get(self.current if index is None else index)

    def select_style(self, index: int) -> None:
        """Keys 1–9: switch to style ``index`` (crossfading when ``crossfade > 0``); out of range is
        ignored, with a message."""
        if not 0 <= index < len(self.shelf):
            self._say(f"no style {index + 1} (there are {len(self.shelf)})")
            return
        if index == self.current and self._pending is None:
            return
        if self.shelf.loaded(index) is None and self.background_loading:
            self.shelf.start_loading(index)
            self._pending = index
            self._say(f"loading {self.style_name(index)} ...")
            return
        self._load_and_switch(index)

    def _load_and_switch(self, index: int) -> None:
        self._pending = None
        try:
            net = self.shelf.get(index)
        except StylecamError as exc:
            self._say(f"cannot load {self.style_name(index)}: {exc.message}", log=True)
            return
        self._fade_from, self.current = self.current, index
        self.step.switch(net, fade_s=self.crossfade if self._last_output is not None else 0.0)
        self._say(f"{index + 1}: {self.style_name(index)}")

    def _check_pending(self) -> None:
        if self._pending is not None and self.shelf.ready(self._pending):
            self._load_and_switch(self._pending)

    def next_style(self) -> None:
        """Key n / Right."""
        base = self._pending if self._pending is not None else self.current
        self.select_style((base + 1) % len(self.shelf))

    def previous_style(self) -> None:
        """Key p / Left."""
        base = self._pending if self._pending is not None else self.current
        self.select_style((base - 1) % len(self.shelf))

    # ------------------------------------------------------------------ toggles

    def set_strength(self, value: float) -> None:
        """Blend of the stylized picture over the original: 0 shows the input, 1 the style alone."""
        before = self.strength
        self.strength = clamp_strength(value)
        if before == 0.0 and self.strength > 0.0:
            self.step.reset()  # the smoother's past is from before the style was off
        self._say(f"strength {round(100 * self.strength)}%")

    def strength_up(self) -> None:
        """Key + / Up: strength +0.1."""
        self.set_strength(self.strength + STRENGTH_STEP)

    def strength_down(self) -> None:
        """Key - / Down: strength -0.1."""
        self.set_strength(self.strength - STRENGTH_STEP)

    def toggle_keep_colors(self) -> None:
        """Key c: keep the original colours (stylized luminance, original chroma)."""
        self.keep_colors = not self.keep_colors
        self._say("original colours" if self.keep_colors else "style colours")

    def toggle_split(self) -> None:
        """Key v: split view, original left and stylized right."""
        self.split = not self.split
        self._say("split view" if self.split else "full view")

    def toggle_mirror(self) -> None:
        """Key m: mirror the input."""
        self.mirror = not self.mirror
        self.step.reset()
        self._say("mirror on" if self.mirror else "mirror off")

    def toggle_pause(self) -> None:
        """Space: freeze the picture (the last output stays; recording and virtual camera keep it)."""
        self.paused = not self.paused
        if not self.paused:
            self.step.reset()
        self._say("paused" if self.paused else "running")

    def toggle_help(self) -> None:
        """Key h: show or hide the key list."""
        self.show_help = not self.show_help

    def toggle_fullscreen(self) -> None:
        """Key f: the window goes fullscreen (the window applies it)."""
        self.fullscreen = not self.fullscreen
        if self.on_fullscreen is not None:
            self.on_fullscreen(self.fullscreen)

    def quit(self) -> None:
        """Key q / Esc: end the session."""
        self.quit_requested = True
        if self.on_quit is not None:
            self.on_quit()

    # ------------------------------------------------------------------ snapshot and recording

    def snapshot(self) -> Path | None:
        """Key s: save the current picture (without overlays) as a PNG in ``snapshot_dir``.

        Returns the file written, or ``None`` (no picture yet, or it could not
        be written — the reason is shown as a message).
        """
        image = self._last_output
        if image is None:
            self._say("nothing to save yet")
            return None
        try:
            path = save_png(self.snapshot_dir, f"stylecam-{self.style_name()}-{timestamp()}", image)
        except OSError as exc:
            self._say(f"snapshot failed: {exc.strerror or exc}", log=True)
            return None
        self.snapshots.append(path)
        self._say(f"saved {path}", log=True)
        return path

    @property
    def recordings(self) -> list[Path]:
        """Every recording opened, in order."""
        return self.recorder.paths

    @property
    def recording(self) -> bool:
        """``True`` from :meth:`start_recording` until :meth:`stop_recording`."""
        return self.recorder.active

    def start_recording(self, path: str | os.PathLike | None = None) -> Path:
        """Start recording the clean output to an mp4 (opened with the next frame).

        Args:
            path: the file; default ``record_dir/stylecam-<time>.mp4``.
        """
        return self.recorder.start(path)

    def stop_recording(self, wait: bool = True) -> Path | None:
        """Stop recording; with ``wait``, return once the file is complete. Returns the file, if any."""
        return self.recorder.stop(wait)

    def toggle_recording(self) -> None:
        """Key r: start or stop recording."""
        if self.recording:
            self.stop_recording(wait=False)
        else:
            path = self.start_recording()
            self._say(f"recording to {path}")

    # ------------------------------------------------------------------ keys

    def handle_key(self, key: int | None) -> str | None:
        """Run the action bound to a ``cv2.waitKeyEx`` key code (:mod:`stylecam.live.keys`); returns its
        name (``"select_style(2)"`` for key 3; ``None``: unbound)."""
        found = lookup(key)
        if found is None:
            return None
        action, args = found
        getattr(self, action)(*args)
        return f"{action}({', '.join(map(str, args))})" if args else action

    # ------------------------------------------------------------------ the Stage protocol

    def open(self, info: StreamInfo) -> None:
        """A stream starts: its nominal frame rate is used for recordings; the smoother starts afresh."""
        if info.fps and info.fps > 0:
            self._stream_fps = float(info.fps)
        self.step.open(info)

    def __call__(self, frame: Frame) -> np.ndarray:
        return self.process(frame)

    def process(self, frame: Frame) -> np.ndarray:
        """The pipeline's processing step: one frame in, the clean output picture out.

        Order: mirror → style (or crossfade of two) → smoother → keep colours →
        strength → split view. While paused the last output is returned; a
        *stale* frame (:attr:`~stylecam.frames.Frame.stale`: the camera is lost) returns
        the last output and shows :attr:`~stylecam.frames.Frame.status`.
        """
        self.recorder.poll()
        if frame.stale:
            self.status = frame.status or "no signal"
            last = self._last_output
            return frame.image if last is None or last.shape != frame.image.shape else last
        self.status = None
        image = cv2.flip(frame.image, 1) if self.mirror else frame.image
        last = self._last_output
        if self.paused and last is not None and last.shape == image.shape:
            out = last
        else:
            self._check_pending()
            out = self._compose(image)
            self._last_output = out
        self.recorder.write(frame, out, self._stream_fps)
        self.stats.count_output(frame)
        return out

    def _compose(self, image: np.ndarray) -> np.ndarray:
        styled = None
        if self.strength > 0.0:
            if self.step.stylizer is None:
                self.step.switch(self.stylizer(self.current))
            styled = self.step.stylize(image)
        return compose(image, styled, strength=self.strength, colors=self.keep_colors, split=self.split)

    @property
    def frames(self) -> int:
        """Pictures returned by :meth:`process` (stale ones not counted)."""
        return self.stats.frames_out

    @property
    def fps(self) -> float:
        """Frames per second through :meth:`process`, over the recent frames."""
        return self.stats.recent_fps

    @property
    def latency_ms(self) -> float:
        """Capture-to-output latency in milliseconds (the median of the recent frames)."""
        return self.stats.latency_ms

    # ------------------------------------------------------------------ overlays

    def _say(self, text: str, seconds: float = 2.5, log: bool = False) -> None:
        self._message = text
        self._message_until = time.perf_counter() + seconds
        if log and self.log is not None:
            self.log(text)

    @property
    def message(self) -> str:
        """The transient message shown at the bottom (empty when it has expired)."""
        return self._message if time.perf_counter() < self._message_until else ""

    def stats_line(self) -> str:
        """``starry-night | cuda fp16 | 29.8 fps | 41 ms`` and the active modes."""
        parts = [f"{self.current + 1}: {self.style_name()}"]
        if self.fading and self._fade_from is not None:
            parts[0] = f"{self.style_name(self._fade_from)} > {parts[0]}"
        device = self.device or "-"
        if self.precision and self.precision != "fp32":
            device += f" {self.precision}"
        if self.processing_size and self._last_output is not None:
            w, h = self.processing_size
            if (h, w) != self._last_output.shape[:2]:
                device += f" @{w}x{h}"
        parts += [device, f"{self.fps:.1f} fps", f"{self.latency_ms:.0f} ms"]
        modes = []
        if self.strength < 1.0:
            modes.append(f"strength {round(100 * self.strength)}%")
        if self.keep_colors:
            modes.append("colours")
        if self.split:
            modes.append("split")
        if self.mirror:
            modes.append("mirror")
        if self.smoother is not None and getattr(self.smoother, "mode", "none") != "none":
            modes.append(f"smooth {self.smoother.mode}")
        return " | ".join(parts + modes)

    def overlay(self, frame: Frame, image: np.ndarray) -> np.ndarray:
        """The window's picture: ``image`` with the stats line, badges, messages and help drawn on a copy
        (enlarged to :data:`~stylecam.live.overlay.DISPLAY_MIN_HEIGHT` when lower)."""
        names = None
        if self.show_help:
            names = [
                f"{i + 1}  {self.style_name(i)}" + ("  <" if i == self.current else "")
                for i in range(min(9, len(self.shelf)))
            ]
        return draw_overlay(
            image,
            stats=self.stats_line(),
            recording=self.recording,
            paused=self.paused,
            split=self.split,
            message=self.message,
            status=self.status,
            help_styles=names,
        )

    # ------------------------------------------------------------------ end

    def close(self, timeout: float = 60.0) -> None:
        """Finish any recording (waits until the files are complete), stop loading styles and the step's
        helper thread; safe to call twice."""
        self.recorder.close(timeout)
        self.shelf.close()
        self.step.close()
