"""``stylecam live``: the live tool for performers and streamers.

A camera (or a video file played at its own rate, for rehearsals) goes through
a :class:`LiveController`, which holds everything the keys change — the style,
a crossfade between styles, the strength, keep-original-colours, split view,
mirror, pause, snapshots, recording — and into a window and/or a virtual camera.

Every key is also a method of the controller, so tests (and other front ends)
drive it without a window::

    ctl = LiveController(["starry-night", "the-scream"])
    out = ctl.process(frame)      # what the pipeline calls: Frame -> uint8 BGR image
    ctl.next_style()              # the same as pressing n
    shown = ctl.overlay(frame, out)  # the window's picture: stats line, help, messages

:meth:`LiveController.process` returns the *clean* picture: that is what the
virtual camera, recordings and snapshots get. The stats line, help panel and
messages are drawn only on the window's copy by :meth:`LiveController.overlay`.

The CLI calls :func:`run_live` with its parsed arguments.
"""

from __future__ import annotations

import argparse
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np

from .errors import DeviceError, InputError, ModelError, StylecamError
from .frames import Frame, StreamInfo
from .models import ModelInfo
from .sizes import parse_camera_size
from .status import StatusLine

# --------------------------------------------------------------------------- keys

# cv2.waitKeyEx codes of the arrow keys: Qt (opencv-python on Linux), GTK, Windows, macOS (Cocoa)
KEY_LEFT = frozenset({0x1000012, 65361, 2424832, 63234})
KEY_UP = frozenset({0x1000013, 65362, 2490368, 63232})
KEY_RIGHT = frozenset({0x1000014, 65363, 2555904, 63235})
KEY_DOWN = frozenset({0x1000015, 65364, 2621440, 63233})
KEY_ESC = 27


def _codes(chars: str) -> set[int]:
    return {ord(c) for c in chars}


#: key code -> action (a :class:`LiveController` method name)
KEYMAP: dict[int, str] = {}
for _codes_, _action in (
    (_codes("hH?"), "toggle_help"),
    (_codes("nN") | KEY_RIGHT, "next_style"),
    (_codes("pP") | KEY_LEFT, "previous_style"),
    (_codes("+=") | KEY_UP, "strength_up"),
    (_codes("-_") | KEY_DOWN, "strength_down"),
    (_codes("cC"), "toggle_keep_colors"),
    (_codes("vV"), "toggle_split"),
    (_codes("mM"), "toggle_mirror"),
    (_codes(" "), "toggle_pause"),
    (_codes("sS"), "snapshot"),
    (_codes("rR"), "toggle_recording"),
    (_codes("fF"), "toggle_fullscreen"),
    (_codes("qQ") | {KEY_ESC}, "quit"),
):
    for _code in _codes_:
        KEYMAP[_code] = _action

#: (keys, what they do) as listed on the help overlay
HELP: list[tuple[str, str]] = [
    ("n / Right", "next style"),
    ("p / Left", "previous style"),
    ("1 - 9", "style 1 to 9"),
    ("+ / Up", "strength up"),
    ("- / Down", "strength down"),
    ("c", "keep original colours"),
    ("v", "split view"),
    ("m", "mirror"),
    ("Space", "pause"),
    ("s", "snapshot (PNG)"),
    ("r", "record start / stop"),
    ("f", "fullscreen"),
    ("h", "this help"),
    ("q / Esc", "quit"),
]

STRENGTH_STEP = 0.1

#: Pictures lower than this are enlarged for the window (overlays need the room).
DISPLAY_MIN_HEIGHT = 360


# --------------------------------------------------------------------------- image operations


def blend(a: np.ndarray, b: np.ndarray, weight_b: float) -> np.ndarray:
    """``(1 - w) * a + w * b``, rounded; ``w`` is clamped to ``[0, 1]`` and the ends return ``a`` or ``b``."""
    w = min(1.0, max(0.0, float(weight_b)))
    if w <= 0.0:
        return a
    if w >= 1.0:
        return b
    return cv2.addWeighted(b, w, a, 1.0 - w, 0.0)


def keep_colors(original: np.ndarray, stylized: np.ndarray) -> np.ndarray:
    """The stylized luminance with the original chroma (in YCrCb): a style's brushwork in the scene's colours."""
    y = cv2.cvtColor(stylized, cv2.COLOR_BGR2YCrCb)
    ycc = cv2.cvtColor(original, cv2.COLOR_BGR2YCrCb)
    ycc[..., 0] = y[..., 0]
    return cv2.cvtColor(ycc, cv2.COLOR_YCrCb2BGR)


def divider_columns(width: int) -> tuple[int, int]:
    """The columns ``[start, stop)`` of the split-view divider line for an image ``width`` wide."""
    thickness = max(2, width // 320)
    start = width // 2 - thickness // 2
    return start, start + thickness


def split_view(original: np.ndarray, stylized: np.ndarray) -> np.ndarray:
    """Left half the original, right half the stylized picture, a white line between them."""
    out = stylized.copy()
    mid = original.shape[1] // 2
    out[:, :mid] = original[:, :mid]
    start, stop = divider_columns(original.shape[1])
    out[:, start:stop] = 255
    return out


# --------------------------------------------------------------------------- recording


class Recorder:
    """Feeds a video-file sink from its own thread, so encoding never stalls the live picture.

    Args:
        sink: a :class:`~stylecam.streams.Sink` (normally a
            ``VideoFileSink(path, timing="wallclock")``), opened by the recorder.
        info: the stream description handed to ``sink.open``.
        max_queue: frames waiting to be encoded; beyond that new frames are
            dropped (the wallclock timing keeps the recording in real time).
    """

    def __init__(self, sink, info: StreamInfo, max_queue: int = 32) -> None:
        self.sink = sink
        self.info = info
        self.frames = 0
        self.dropped = 0
        self.error: BaseException | None = None
        self._queue: queue.Queue = queue.Queue(maxsize=max_queue)
        self._done = threading.Event()
        sink.open(info)
        self._thread = threading.Thread(target=self._run, name="stylecam-recorder", daemon=True)
        self._thread.start()

    def write(self, frame: Frame, image: np.ndarray) -> None:
        """Queue one picture for the file (dropped, and counted, when the encoder is behind)."""
        if self.error is not None or self._done.is_set():
            return
        try:
            self._queue.put_nowait((frame, image))
        except queue.Full:
            self.dropped += 1

    def _run(self) -> None:
        try:
            while True:
                item = self._queue.get()
                if item is None:
                    break
                if self.error is None:
                    self.sink.write(*item)
                    self.frames += 1
        except BaseException as exc:  # reported through .error and the controller's message
            self.error = exc
        finally:
            try:
                self.sink.close()
            except BaseException as exc:
                self.error = self.error or exc
            self._done.set()

    def stop(self, wait: bool = True, timeout: float = 60.0) -> bool:
        """Finish the file; with ``wait``, block until it is written (``True`` when done in time)."""
        while True:
            try:
                self._queue.put(None, timeout=0.5)
                break
            except queue.Full:
                if not self._thread.is_alive():
                    break
        if wait:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return self._done.is_set()

    @property
    def done(self) -> bool:
        """``True`` once the file is complete (or failed: see :attr:`error`)."""
        return self._done.is_set()


def _default_recording_sink(path: Path, fps: float):
    from .media import VideoFileSink

    return VideoFileSink(path, fps=fps, timing="wallclock")


# --------------------------------------------------------------------------- the controller


def _style_label(spec: str | os.PathLike | ModelInfo) -> str:
    if isinstance(spec, ModelInfo):
        return spec.name
    text = str(spec)
    return Path(text).stem if text.endswith(".onnx") or os.sep in text or "/" in text else text


class LiveController:
    """The state of a live session and the actions that change it.

    Args:
        styles: the styles the keys cycle through (names, ``.onnx`` paths or
            :class:`~stylecam.models.ModelInfo`); keys 1–9 pick the first nine.
        start: index of the first style shown.
        stylizer_factory: ``spec -> callable(image) -> image`` with a
            ``device`` attribute; the default builds a
            :class:`~stylecam.engine.Stylizer` with ``device``, ``size``,
            ``scale`` and ``threads``. Stylizers are created when first needed
            and kept.
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
    """

    def __init__(
        self,
        styles: Sequence[str | os.PathLike | ModelInfo],
        *,
        start: int = 0,
        stylizer_factory: Callable[[str | os.PathLike | ModelInfo], Callable[[np.ndarray], np.ndarray]]
        | None = None,
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
        smoother=None,
        snapshot_dir: str | os.PathLike = "snapshots",
        record_dir: str | os.PathLike = "recordings",
        recording_sink_factory: Callable[[Path, float], object] | None = None,
        background_loading: bool = False,
        clock: Callable[[], float] = time.perf_counter,
        log: Callable[[str], None] | None = None,
    ) -> None:
        if not styles:
            raise ModelError("no styles to show", "install a style, or give one with --style")
        self.styles = list(styles)
        if not 0 <= start < len(self.styles):
            raise InputError(f"start style {start} out of range", f"choose 0..{len(self.styles) - 1}")
        self.log = log
        self._factory = stylizer_factory or self._engine_factory(
            device, size, scale, threads, precision, network
        )
        self.crossfade = max(0.0, float(crossfade))
        self.strength = self._clamp_strength(strength)
        self.keep_colors = bool(keep_colors)
        self.split = bool(split)
        self.mirror = bool(mirror)
        self.smoother = smoother
        self.snapshot_dir = Path(snapshot_dir)
        self.record_dir = Path(record_dir)
        self._recording_sink_factory = recording_sink_factory or _default_recording_sink
        self.background_loading = background_loading
        self.clock = clock
        self.paused = False
        self.show_help = False
        self.fullscreen = False
        self.quit_requested = False
        self.on_quit: Callable[[], None] | None = None
        self.on_fullscreen: Callable[[bool], None] | None = None
        self.snapshots: list[Path] = []
        self.recordings: list[Path] = []
        self.status: str | None = None  # a source problem (camera lost), shown big until it clears
        self.current = start
        self._stylizers: dict[int, Callable[[np.ndarray], np.ndarray]] = {}
        self._loading: dict[int, Future] = {}
        self._executor: ThreadPoolExecutor | None = None
        self._pending: int | None = None  # style being loaded in the background, switched to when ready
        self._fade_from: int | None = None
        self._fade_start = 0.0
        self._last_output: np.ndarray | None = None
        self._recorder: Recorder | None = None
        self._record_path: Path | None = None  # recording asked for, opened with the next frame
        self._finishing: list[tuple[Recorder, Path]] = []
        self._message = ""
        self._message_until = 0.0
        self._fps = 0.0
        self._last_tick: float | None = None
        self._latency_ms = 0.0
        self._stream_fps = 30.0
        self._smoother_stale = False
        self._overlay_used = False
        #: (width, height) the network last ran at (``--size auto`` may pick less than the frame size)
        self.processing_size: tuple[int, int] | None = None
        self.frames = 0

    # ------------------------------------------------------------------ styles

    def _engine_factory(self, device, size, scale, threads, precision="auto", network="auto"):
        def make(spec):
            from .engine import live_stylizer

            return live_stylizer(
                spec,
                network,
                log=self._log_line,
                device=device,
                size=size,
                scale=scale,
                threads=threads,
                precision=precision,
            )

        return make

    def _log_line(self, text: str) -> None:
        if self.log is not None:
            self.log(text)

    def style_name(self, index: int | None = None) -> str:
        """The display name of style ``index`` (default: the current one)."""
        index = self.current if index is None else index
        st = self._stylizers.get(index)
        name = getattr(st, "name", None)
        return name if isinstance(name, str) and name else _style_label(self.styles[index])

    @property
    def device(self) -> str:
        """Where the current style runs (``'cpu'``, ``'cuda'``, ``'tensorrt'``), once loaded."""
        return str(getattr(self._stylizers.get(self.current), "device", "") or "")

    @property
    def precision(self) -> str:
        """The current style's precision (``'fp32'``, ``'int8'``, ``'fp16'``), once loaded."""
        return str(getattr(self._stylizers.get(self.current), "precision", "") or "")

    @property
    def fading(self) -> bool:
        return self._fade_from is not None

    def stylizer(self, index: int | None = None) -> Callable[[np.ndarray], np.ndarray]:
        """The stylizer of style ``index`` (default: the current one), created now if needed.

        Raises:
            ModelError, DeviceError: the style cannot be loaded.
        """
        index = self.current if index is None else index
        st = self._stylizers.get(index)
        if st is not None:
            return st
        future = self._loading.pop(index, None)
        st = future.result() if future is not None else self._factory(self.styles[index])
        self._stylizers[index] = st
        return st

    def _start_loading(self, index: int) -> None:
        if index in self._stylizers or index in self._loading:
            return
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stylecam-load")
        self._loading[index] = self._executor.submit(self._factory, self.styles[index])

    def select_style(self, index: int) -> None:
        """Switch to style ``index`` (crossfading when ``crossfade > 0``); out of range is ignored."""
        if not 0 <= index < len(self.styles):
            self._say(f"no style {index + 1} (there are {len(self.styles)})")
            return
        if index == self.current and self._pending is None:
            return
        if index not in self._stylizers and self.background_loading:
            self._start_loading(index)
            self._pending = index
            self._say(f"loading {self.style_name(index)} ...")
            return
        self._load_and_switch(index)

    def _load_and_switch(self, index: int) -> None:
        self._pending = None
        try:
            self.stylizer(index)
        except StylecamError as exc:
            self._say(f"cannot load {self.style_name(index)}: {exc.message}", log=True)
            return
        self._switch_to(index)

    def _switch_to(self, index: int) -> None:
        previous = self.current
        self.current = index
        if self.crossfade > 0 and previous != index and self._last_output is not None:
            self._fade_from = previous
            self._fade_start = self.clock()
        else:
            self._fade_from = None
        if self.smoother is not None:
            self.smoother.reset()
        self._say(f"{index + 1}: {self.style_name(index)}")

    def _check_pending(self) -> None:
        index = self._pending
        if index is None:
            return
        future = self._loading.get(index)
        if future is not None and not future.done():
            return
        self._load_and_switch(index)

    def next_style(self) -> None:
        """Key n / Right."""
        base = self._pending if self._pending is not None else self.current
        self.select_style((base + 1) % len(self.styles))

    def previous_style(self) -> None:
        """Key p / Left."""
        base = self._pending if self._pending is not None else self.current
        self.select_style((base - 1) % len(self.styles))

    # ------------------------------------------------------------------ toggles

    @staticmethod
    def _clamp_strength(value: float) -> float:
        return round(min(1.0, max(0.0, float(value))), 3)

    def set_strength(self, value: float) -> None:
        """Blend of the stylized picture over the original: 0 shows the input, 1 the style alone."""
        before = self.strength
        self.strength = self._clamp_strength(value)
        if before == 0.0 and self.strength > 0.0:
            self._smoother_stale = True
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
        if self.smoother is not None:
            self.smoother.reset()
        self._say("mirror on" if self.mirror else "mirror off")

    def toggle_pause(self) -> None:
        """Space: freeze the picture (the last output stays; recording and virtual camera keep it)."""
        self.paused = not self.paused
        if not self.paused and self.smoother is not None:
            self.smoother.reset()
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

    def _stamp(self) -> str:
        return datetime.now().strftime("%Y%m%d-%H%M%S-%f")[:-3]

    def _unique(self, folder: Path, stem: str, suffix: str) -> Path:
        path = folder / f"{stem}{suffix}"
        n = 1
        while path.exists():
            path = folder / f"{stem}-{n}{suffix}"
            n += 1
        return path

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
            self.snapshot_dir.mkdir(parents=True, exist_ok=True)
            path = self._unique(self.snapshot_dir, f"stylecam-{self.style_name()}-{self._stamp()}", ".png")
            ok, data = cv2.imencode(".png", image)
            if not ok:
                raise OSError("PNG encoding failed")
            path.write_bytes(data.tobytes())
        except OSError as exc:
            self._say(f"snapshot failed: {exc.strerror or exc}", log=True)
            return None
        self.snapshots.append(path)
        self._say(f"saved {path}", log=True)
        return path

    @property
    def recording(self) -> bool:
        """``True`` from :meth:`start_recording` until :meth:`stop_recording`."""
        return self._recorder is not None or self._record_path is not None

    def start_recording(self, path: str | os.PathLike | None = None) -> Path:
        """Start recording the clean output to an mp4 (opened with the next frame).

        Args:
            path: the file; default ``record_dir/stylecam-<time>.mp4``.
        """
        if self.recording:
            self.stop_recording(wait=False)
        if path is None:
            target = self._unique(self.record_dir, f"stylecam-{self._stamp()}", ".mp4")
        else:
            target = Path(path)
        self._record_path = target
        return target

    def stop_recording(self, wait: bool = True) -> Path | None:
        """Stop recording; with ``wait``, return once the file is complete. Returns the file, if any."""
        self._record_path = None
        recorder, self._recorder = self._recorder, None
        if recorder is None:
            return None
        path = self.recordings[-1]
        self._say(f"finishing {path.name} ...")
        if wait:
            recorder.stop(wait=True)
            self._report_recording(recorder, path)
        else:
            recorder.stop(wait=False)
            self._finishing.append((recorder, path))
        return path

    def toggle_recording(self) -> None:
        """Key r: start or stop recording."""
        if self.recording:
            self.stop_recording(wait=False)
        else:
            path = self.start_recording()
            self._say(f"recording to {path}")

    def _open_recorder(self, image: np.ndarray) -> None:
        path, self._record_path = self._record_path, None
        if path is None:
            return
        h, w = image.shape[:2]
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            sink = self._recording_sink_factory(path, self._stream_fps)
            info = StreamInfo(width=w, height=h, fps=self._stream_fps, live=True, source="stylecam live")
            self._recorder = Recorder(sink, info)
        except (OSError, StylecamError) as exc:
            text = exc.message if isinstance(exc, StylecamError) else (exc.strerror or str(exc))
            self._say(f"cannot record to {path}: {text}", log=True)
            return
        self.recordings.append(path)

    def _report_recording(self, recorder: Recorder, path: Path) -> None:
        if recorder.error is not None:
            err = recorder.error
            text = err.message if isinstance(err, StylecamError) else str(err)
            self._say(f"recording {path} failed: {text}", log=True)
        else:
            extra = f", {recorder.dropped} dropped" if recorder.dropped else ""
            self._say(f"recorded {path} ({recorder.frames} frames{extra})", log=True)

    def _poll_recordings(self) -> None:
        if self._recorder is not None and self._recorder.error is not None:
            recorder, self._recorder = self._recorder, None
            recorder.stop(wait=False)
            self._finishing.append((recorder, self.recordings[-1]))
        for item in list(self._finishing):
            recorder, path = item
            if recorder.done:
                self._finishing.remove(item)
                self._report_recording(recorder, path)

    # ------------------------------------------------------------------ keys

    def handle_key(self, key: int) -> str | None:
        """Run the action bound to a ``cv2.waitKeyEx`` key code; returns its name (``None``: unbound)."""
        if key is None or key < 0:
            return None
        if ord("1") <= key <= ord("9"):
            self.select_style(key - ord("1"))
            return f"select_style({key - ord('1')})"
        action = KEYMAP.get(key)
        if action is None and 0 < (key & 0xFF) < 128 and key > 0xFFFF:
            action = KEYMAP.get(key & 0xFF)  # some back ends add modifier bits
        if action is None:
            return None
        getattr(self, action)()
        return action

    # ------------------------------------------------------------------ processing

    def set_stream_info(self, info: StreamInfo) -> None:
        """Tell the controller the stream's nominal frame rate (used for recordings)."""
        if info.fps and info.fps > 0:
            self._stream_fps = float(info.fps)

    def process(self, frame: Frame) -> np.ndarray:
        """The pipeline's processing step: one frame in, the clean output picture out.

        Order: mirror → style (or crossfade of two) → smoother → keep colours →
        strength → split view. While paused the last output is returned; a
        *stale* frame (``frame.extra["stale"]``: the camera is lost) returns
        the last output and shows ``frame.extra["status"]``.
        """
        now = time.perf_counter()
        self._tick(now)
        self._poll_recordings()
        if frame.extra.get("stale"):
            self.status = str(frame.extra.get("status") or "no signal")
            last = self._last_output
            if last is None or last.shape != frame.image.shape:
                last = frame.image
            return last
        self.status = None
        image = frame.image
        if self.mirror:
            image = cv2.flip(image, 1)
        if self.paused and self._last_output is not None and self._last_output.shape == image.shape:
            out = self._last_output
        else:
            self._check_pending()
            out = self._compose(image)
            self._last_output = out
        if self._record_path is not None:
            self._open_recorder(out)
        if self._recorder is not None:
            self._recorder.write(frame, out)
        self.frames += 1
        if not self._overlay_used:  # no window: capture-to-output latency
            self._note_latency(frame)
        return out

    def _stylize(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(input, stylized)`` at the processing size (the crossfade too), not yet scaled to the frame.

        Smoothing then works on the small pictures, and only its result is scaled up: with
        ``--size 640x360`` on a 720p camera the warp and blend touch a quarter of the pixels.
        """
        current = self.stylizer(self.current)
        previous = None
        if self._fade_from is not None:
            w = (self.clock() - self._fade_start) / self.crossfade if self.crossfade > 0 else 1.0
            if w >= 1.0:
                self._fade_from = None
            else:
                previous = self.stylizer(self._fade_from)
        # a Stylizer runs in steps (the smoother works on the small picture); a plain callable from a
        # stylizer_factory stylizes at the frame's size
        staged = all(hasattr(n, "stylize_resized") for n in (current, previous) if n is not None)
        small = current.to_processing_size(image) if staged else image
        run = (lambda net: net.stylize_resized(small)) if staged else (lambda net: net(image))
        if previous is not None and _one_network(previous, current):
            # two styles of one multi-style network: the crossfade is a blend of their weights, one run
            own = current.info.style_weights
            mix = [(1.0 - w) * a + w * b for a, b in zip(previous.info.style_weights, own, strict=True)]
            current.set_style_weights(mix)
            try:
                out = run(current)
            finally:
                current.set_style_weights(own)
        else:
            out = run(current)
            if previous is not None:
                out = blend(run(previous), out, w)
        self.processing_size = (small.shape[1], small.shape[0])
        return small, out

    def _compose(self, image: np.ndarray) -> np.ndarray:
        if self.strength <= 0.0:
            out = image
        else:
            small, styled = self._stylize(image)
            if self.smoother is not None:
                if self._smoother_stale:
                    self.smoother.reset()
                    self._smoother_stale = False
                styled = self.smoother.update(small, styled)
            if styled.shape != image.shape:  # only a Stylizer's small picture
                styled = self.stylizer(self.current).to_frame_size(styled, image.shape[1], image.shape[0])
            if self.keep_colors:
                styled = keep_colors(image, styled)
            out = blend(image, styled, self.strength)
        if self.split:
            out = split_view(image, out)
        return out

    def _tick(self, now: float) -> None:
        if self._last_tick is not None:
            dt = now - self._last_tick
            if dt > 0:
                inst = 1.0 / dt
                self._fps = inst if self._fps == 0 else 0.9 * self._fps + 0.1 * inst
        self._last_tick = now

    def _note_latency(self, frame: Frame) -> None:
        latency = 1000.0 * (time.perf_counter() - frame.time)
        if not frame.extra.get("stale") and latency >= 0:
            self._latency_ms = latency if self._latency_ms == 0 else 0.8 * self._latency_ms + 0.2 * latency

    @property
    def fps(self) -> float:
        """Frames per second through :meth:`process` (smoothed)."""
        return self._fps

    @property
    def latency_ms(self) -> float:
        """Capture-to-display latency in milliseconds (smoothed), measured by :meth:`overlay`."""
        return self._latency_ms

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
        if self.fading:
            parts[0] = f"{self.style_name(self._fade_from)} > {parts[0]}"
        device = self.device or "-"
        if self.precision and self.precision != "fp32":
            device += f" {self.precision}"
        if self.processing_size and self._last_output is not None:
            w, h = self.processing_size
            if (h, w) != self._last_output.shape[:2]:
                device += f" @{w}x{h}"
        parts += [device, f"{self._fps:.1f} fps", f"{self._latency_ms:.0f} ms"]
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
        (enlarged to :data:`DISPLAY_MIN_HEIGHT` when lower).

        Also measures the capture-to-display latency (call it just before showing).
        """
        self._overlay_used = True
        self._note_latency(frame)
        if image.shape[0] < DISPLAY_MIN_HEIGHT:  # small sources are shown enlarged, so the text stays legible
            f = DISPLAY_MIN_HEIGHT / image.shape[0]
            out = cv2.resize(
                image, (round(image.shape[1] * f), DISPLAY_MIN_HEIGHT), interpolation=cv2.INTER_LINEAR
            )
        else:
            out = image.copy()
        h, w = out.shape[:2]
        scale = _font_scale(h)
        _label(out, self.stats_line(), (8, 8), scale)
        badges = []
        if self.recording:
            badges.append(("REC", (40, 40, 230)))
        if self.paused:
            badges.append(("PAUSED", (40, 160, 230)))
        x = w - 8
        for text, color in badges:
            (tw, _th), _ = cv2.getTextSize(text, _FONT, scale, _thick(scale))
            x -= tw + 16
            _label(out, text, (x, 8), scale, bg=color, fg=(255, 255, 255))
            x -= 6
        if self.split:
            half = w // 2
            _label(out, "original", (8, h - 8), scale * 0.8, anchor="bottom")
            (tw, _), _ = cv2.getTextSize("stylized", _FONT, scale * 0.8, _thick(scale * 0.8))
            _label(out, "stylized", (max(half + 8, w - tw - 24), h - 8), scale * 0.8, anchor="bottom")
        message = "" if self.show_help else self.message
        if message:
            (tw, _), _ = cv2.getTextSize(message, _FONT, scale, _thick(scale))
            bottom = h - 8 - (int(40 * scale) if self.split else 0)
            _label(out, message, (max(8, (w - tw) // 2 - 8), bottom), scale, anchor="bottom")
        if self.status:
            _centered_panel(
                out, [self.status, "waiting for the camera to come back ..."], scale * 1.2, bg=(30, 30, 120)
            )
        if self.show_help:
            self._draw_help(out, scale)
        return out

    def _draw_help(self, out: np.ndarray, scale: float) -> None:
        rows = [(keys, what) for keys, what in HELP]
        names = [
            f"{i + 1}  {self.style_name(i)}" + ("  <" if i == self.current else "")
            for i in range(min(9, len(self.styles)))
        ]
        _help_panel(out, "stylecam live - keys", rows, names, scale)

    # ------------------------------------------------------------------ end

    def close(self, timeout: float = 60.0) -> None:
        """Finish any recording (waits until the files are complete) and stop loading styles."""
        if self._recorder is not None:
            self.stop_recording(wait=True)
        self._record_path = None
        deadline = time.perf_counter() + timeout
        for recorder, path in list(self._finishing):
            recorder.stop(wait=True, timeout=max(0.1, deadline - time.perf_counter()))
            self._report_recording(recorder, path)
        self._finishing.clear()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


# --------------------------------------------------------------------------- drawing helpers

_FONT = cv2.FONT_HERSHEY_SIMPLEX


def _one_network(a: object, b: object) -> bool:
    """Whether two stylizers run styles of the same multi-style network file (blendable by weights)."""
    ia, ib = getattr(a, "info", None), getattr(b, "info", None)
    return (
        ia is not None
        and ib is not None
        and getattr(ia, "style_weights", None) is not None
        and getattr(ib, "style_weights", None) is not None
        and ia.path == ib.path
        and hasattr(b, "set_style_weights")
    )


def _font_scale(height: int) -> float:
    return max(0.4, min(1.2, height / 720 * 0.75))


def _thick(scale: float) -> int:
    return 2 if scale >= 0.9 else 1


def _label(
    img: np.ndarray,
    text: str,
    org: tuple[int, int],
    scale: float,
    *,
    fg: tuple[int, int, int] = (255, 255, 255),
    bg: tuple[int, int, int] | None = None,
    anchor: str = "top",
) -> None:
    """Text on a darkened (or coloured) box; ``org`` is the box's top-left (or bottom-left) corner."""
    thick = _thick(scale)
    (tw, th), base = cv2.getTextSize(text, _FONT, scale, thick)
    pad = max(3, int(6 * scale))
    x0 = int(org[0])
    y0 = int(org[1]) if anchor == "top" else int(org[1]) - th - base - 2 * pad
    x1, y1 = x0 + tw + 2 * pad, y0 + th + base + 2 * pad
    h, w = img.shape[:2]
    cx0, cy0, cx1, cy1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if cx1 > cx0 and cy1 > cy0:
        region = img[cy0:cy1, cx0:cx1]
        if bg is None:
            region[:] = (region * 0.35).astype(np.uint8)
        else:
            region[:] = bg
    cv2.putText(img, text, (x0 + pad, y0 + pad + th), _FONT, scale, fg, thick, cv2.LINE_AA)


def _darken(
    img: np.ndarray,
    x0: int,
    y0: int,
    x1: int,
    y1: int,
    amount: float = 0.25,
    tint: tuple[int, int, int] | None = None,
) -> None:
    h, w = img.shape[:2]
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 <= x0 or y1 <= y0:
        return
    region = img[y0:y1, x0:x1].astype(np.float32) * amount
    if tint is not None:
        region += np.array(tint, np.float32) * (1 - amount)
    img[y0:y1, x0:x1] = np.clip(region, 0, 255).astype(np.uint8)


def _centered_panel(img: np.ndarray, lines: list[str], scale: float, bg=(40, 40, 40)) -> None:
    h, w = img.shape[:2]
    while scale > 0.35:
        sizes = [cv2.getTextSize(t, _FONT, scale, _thick(scale))[0] for t in lines]
        if max(s[0] for s in sizes) + 40 <= w:
            break
        scale *= 0.9
    thick = _thick(scale)
    line_h = int(max(s[1] for s in sizes) * 1.9)
    box_w = max(s[0] for s in sizes) + 40
    box_h = line_h * len(lines) + 24
    x0, y0 = (w - box_w) // 2, (h - box_h) // 2
    _darken(img, x0, y0, x0 + box_w, y0 + box_h, 0.3, tint=bg)
    for i, (text, (tw, th)) in enumerate(zip(lines, sizes, strict=True)):
        y = y0 + 12 + line_h * i + (line_h + th) // 2
        cv2.putText(img, text, ((w - tw) // 2, y), _FONT, scale, (255, 255, 255), thick, cv2.LINE_AA)


def _help_panel(
    img: np.ndarray, title: str, rows: list[tuple[str, str]], styles: list[str], scale: float
) -> None:
    """A dark panel in the middle: the keys on the left, the first nine styles on the right."""
    h, w = img.shape[:2]
    while True:
        thick = _thick(scale)
        key_w = max(cv2.getTextSize(k, _FONT, scale, thick)[0][0] for k, _ in rows)
        what_w = max(cv2.getTextSize(d, _FONT, scale, thick)[0][0] for _, d in rows)
        style_w = max((cv2.getTextSize(s, _FONT, scale, thick)[0][0] for s in styles), default=0)
        th = cv2.getTextSize("Ag", _FONT, scale, thick)[0][1]
        line_h = int(th * 1.8) + 2
        gap = int(24 * scale) + 6
        box_w = key_w + what_w + (style_w + gap if styles else 0) + 2 * gap + gap // 2
        box_h = line_h * (len(rows) + 2) + gap
        if (box_w <= w - 8 and box_h <= h - 8) or scale < 0.3:
            break
        scale *= 0.9
    x0, y0 = max(0, (w - box_w) // 2), max(0, (h - box_h) // 2)
    _darken(img, x0, y0, x0 + box_w, y0 + box_h, 0.22)
    cv2.rectangle(img, (x0, y0), (x0 + box_w - 1, y0 + box_h - 1), (200, 200, 200), 1)
    x = x0 + gap
    y = y0 + gap // 2 + line_h
    cv2.putText(img, title, (x, y), _FONT, scale, (120, 220, 255), thick, cv2.LINE_AA)
    y += line_h // 2
    for i, (keys, what) in enumerate(rows):
        yy = y + line_h * (i + 1)
        cv2.putText(img, keys, (x, yy), _FONT, scale, (120, 220, 255), thick, cv2.LINE_AA)
        cv2.putText(img, what, (x + key_w + gap // 2, yy), _FONT, scale, (255, 255, 255), thick, cv2.LINE_AA)
    if styles:
        sx = x + key_w + gap // 2 + what_w + gap
        cv2.putText(img, "styles", (sx, y + line_h), _FONT, scale, (120, 220, 255), thick, cv2.LINE_AA)
        for i, name in enumerate(styles):
            cv2.putText(
                img, name, (sx, y + line_h * (i + 2)), _FONT, scale, (255, 255, 255), thick, cv2.LINE_AA
            )


# --------------------------------------------------------------------------- sources and the run


def open_live_source(
    source: str | int,
    *,
    loop: bool = False,
    camera_size: tuple[int, int] | None = None,
    camera_fps: float | None = None,
):
    """A live source for ``stylecam live SOURCE``: a camera (index or ``/dev/video*``) or a video file
    played at its own frame rate (``loop`` to rehearse with it over and over).

    Raises:
        InputError: a file that does not exist, or a bad ``camera_fps``.
    """
    from .camera import CameraSource, looks_like_camera

    if camera_fps is not None and not 0 < camera_fps <= 1000:
        raise InputError(f"bad --camera-fps {camera_fps:g}", "use a frame rate such as 30")
    if looks_like_camera(source):
        return CameraSource(source, size=camera_size, fps=camera_fps)
    path = Path(str(source)).expanduser()
    if not path.exists():
        raise InputError(f"file not found: {source}", "give a camera index (0, 1, ...) or a video file")
    if path.is_dir():
        raise InputError(
            f"{source} is a folder",
            "live mode plays a camera or a video file; for images use 'stylecam image'",
        )
    from .media import VideoFileSource

    return VideoFileSource(path, loop=loop, realtime=True)


def _styles_and_start(style: str | None) -> tuple[list, int]:
    """All installed styles (the keys cycle through them) and the index of ``style`` among them."""
    from .models import default_model, find_model, list_models

    models: list = list(list_models())
    chosen = find_model(style) if style is not None else default_model()
    for i, m in enumerate(models):
        if m.path.resolve() == chosen.path.resolve() or (chosen.origin != "path" and m.name == chosen.name):
            return models, i
    return [chosen, *models], 0


def _arg(args, name: str, default=None):
    value = getattr(args, name, default)
    return default if value is None else value


def _stderr(text: str) -> None:
    print(f"stylecam: {text}", file=sys.stderr, flush=True)


def run_live(args: argparse.Namespace) -> int:
    """Run ``stylecam live`` with the CLI's parsed arguments; returns the exit code.

    Arguments read (missing ones take their defaults): ``source`` ('0'),
    ``style``, ``device`` ('auto'), ``size``, ``scale``, ``threads``, ``precision``,
    ``camera_size``, ``camera_fps``, ``loop``, ``record``, ``virtual_cam``,
    ``virtual_cam_device``, ``virtual_cam_backend``, ``no_window``,
    ``fullscreen``, ``mirror``, ``split``, ``keep_colors``, ``crossfade`` (0.5),
    ``strength`` (1.0), ``smooth`` ('flow'), ``smooth_strength``, ``snapshots``
    ('snapshots'), ``recordings`` ('recordings'), ``max_frames``, ``json``.

    Raises:
        StylecamError: bad input, no display, no camera, no virtual camera, a
            camera lost for good — each one line for the CLI.
    """
    from .pipeline import Pipeline
    from .sizes import parse_size
    from .window import NO_DISPLAY_HINT, WindowSink, display_problem

    window_on = not _arg(args, "no_window", False)
    virtual_cam = bool(_arg(args, "virtual_cam", False))
    record = _arg(args, "record")
    if not window_on and not virtual_cam and not record:
        raise InputError("--no-window shows nothing", "add --virtual-cam or --record FILE")
    if window_on:
        problem = display_problem()
        if problem is not None:
            raise DeviceError(f"no display ({problem})", NO_DISPLAY_HINT)
    overwrite = bool(_arg(args, "overwrite", False))
    if record:
        from .media import VideoFileSink  # refuses an existing file without -y, an unknown suffix

        VideoFileSink(Path(record), overwrite=overwrite)
    strength = float(_arg(args, "strength", 1.0))
    if not 0.0 <= strength <= 1.0:
        raise InputError(f"bad --strength {strength:g}", "use a value from 0 to 1")
    crossfade = float(_arg(args, "crossfade", 0.5))
    if crossfade < 0:
        raise InputError(f"bad --crossfade {crossfade:g}", "use seconds >= 0, such as 0.5")

    smooth = str(_arg(args, "smooth", "flow"))
    smoother = None
    if smooth != "none":
        from .smoothing import make_smoother

        try:
            smoother = make_smoother(smooth, _arg(args, "smooth_strength"))
        except ValueError as exc:
            raise InputError(str(exc), "see 'stylecam live --help'") from None

    source = open_live_source(  # a missing file is reported before any model loads
        _arg(args, "source", "0"),
        loop=bool(_arg(args, "loop", False)),
        camera_size=parse_camera_size(_arg(args, "camera_size")),
        camera_fps=_arg(args, "camera_fps"),
    )
    styles, start = _styles_and_start(_arg(args, "style"))
    want_json = bool(_arg(args, "json", False))
    log = None if want_json else _stderr
    controller = LiveController(
        styles,
        start=start,
        network=str(_arg(args, "network", "auto")),
        device=str(_arg(args, "device", "auto")),
        # live must keep up: unless --size says otherwise, a CPU stylizes large frames at the style's
        # recommended size (see Stylizer's size="auto")
        size=parse_size(_arg(args, "size") or ("auto" if _arg(args, "scale") is None else None)),
        scale=_arg(args, "scale"),
        threads=_arg(args, "threads"),
        precision=_arg(args, "precision") or "auto",
        crossfade=crossfade,
        strength=strength,
        keep_colors=bool(_arg(args, "keep_colors", False)),
        split=bool(_arg(args, "split", False)),
        mirror=bool(_arg(args, "mirror", False)),
        smoother=smoother,
        snapshot_dir=_arg(args, "snapshots", "snapshots"),
        record_dir=_arg(args, "recordings", "recordings"),
        recording_sink_factory=lambda path, fps: _recording_sink(path, fps, record, overwrite),
        background_loading=True,
        log=log,
    )
    first = controller.stylizer()  # a style or device that cannot work fails here, before the camera opens
    if log is not None:
        report = getattr(first, "report", None)
        summary = report.summary() if report is not None and hasattr(report, "summary") else first.device
        keys = "; press h in the window for the keys" if window_on else "; Ctrl-C ends"
        log(f"live: style '{controller.style_name()}' {summary}{keys}")

    sinks: list = []
    window = None
    if window_on:
        window = WindowSink(
            "stylecam",
            min_height=DISPLAY_MIN_HEIGHT,
            overlay=controller.overlay,
            on_key=controller.handle_key,
            fullscreen=bool(_arg(args, "fullscreen", False)),
        )
        controller.fullscreen = window.fullscreen
        controller.on_fullscreen = lambda on: setattr(window, "fullscreen", on)
        sinks.append(window)
    vcam = None
    if virtual_cam:
        from .virtualcam import VirtualCamSink

        vcam = VirtualCamSink(
            backend=_arg(args, "virtual_cam_backend"), device=_arg(args, "virtual_cam_device")
        )
        sinks.append(_InfoTap(controller, vcam))
    else:
        sinks.insert(0, _InfoTap(controller, None))
    if record:
        controller.start_recording(record)

    status = None
    if not window_on and log is not None and sys.stderr.isatty():
        status = _StatusLine(controller)
    pipeline = Pipeline(
        source,
        controller.process,
        sinks,
        queue_size=2,
        progress=status,
        progress_interval=1.0,
        max_frames=_arg(args, "max_frames"),
    )
    controller.on_quit = lambda: pipeline.stop("quit")
    from .interrupts import INTERRUPTS

    interrupted = False
    try:
        with INTERRUPTS.running(pipeline.stop, str(record) if record else "the recordings"):
            stats = pipeline.run()
        interrupted = stats.stop_reason == "interrupted"
    except KeyboardInterrupt:
        stats = pipeline.stats
        interrupted = True
    finally:
        if status is not None:
            status.finish()
        controller.close()
    if vcam is not None and log is not None and vcam.frames_sent:
        log(f"sent {vcam.frames_sent} frames to the virtual camera")
    if want_json:
        import json

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


def _recording_sink(path: Path, fps: float, record: str | None, overwrite: bool):
    """A recording's sink: ``--record FILE`` may replace FILE with ``-y``; key r makes new names."""
    from .media import VideoFileSink

    asked = record is not None and Path(path) == Path(record)
    return VideoFileSink(path, fps=fps, timing="wallclock", overwrite=overwrite and asked)


class _InfoTap:
    """Passes the stream description to the controller when the pipeline opens its sinks, and wraps
    an optional real sink (the virtual camera) so it keeps its own place on the writer thread."""

    def __init__(self, controller: LiveController, sink) -> None:
        self.controller = controller
        self.sink = sink
        self.inline = bool(getattr(sink, "inline", False)) if sink is not None else True

    def open(self, info: StreamInfo) -> None:
        self.controller.set_stream_info(info)
        if self.sink is not None:
            self.sink.open(info)

    def write(self, frame: Frame, image: np.ndarray) -> None:
        if self.sink is not None:
            self.sink.write(frame, image)

    def close(self) -> None:
        if self.sink is not None:
            self.sink.close()

    @property
    def stopped(self) -> bool:
        return bool(getattr(self.sink, "stopped", False))


class _StatusLine(StatusLine):
    """The live stats as a status line on stderr, for --no-window runs."""

    def __init__(self, controller: LiveController) -> None:
        super().__init__()
        self.controller = controller

    def __call__(self, stats) -> None:
        c = self.controller
        self.show((c.status or c.stats_line()) + (" | REC" if c.recording else ""))


__all__ = [
    "HELP",
    "KEYMAP",
    "LiveController",
    "Recorder",
    "blend",
    "keep_colors",
    "open_live_source",
    "parse_camera_size",
    "run_live",
    "split_view",
]
