"""An OpenCV window as a sink, and a safe check that a window can be opened at all.

``cv2.imshow`` with no display does not raise: Qt aborts the whole process
(SIGABRT). :func:`display_problem` finds out first — on Linux by connecting to
the X server's socket and then opening a window in a short-lived child
process, so a missing display, a refused X connection or missing Qt/xcb
libraries all become one line of text instead of a crash.
:class:`WindowSink` refuses to open (a :class:`~stylecam.errors.DeviceError`)
when that check fails.

Example:
    >>> if has_display():  # doctest: +SKIP
    ...     sink = WindowSink("stylecam", overlay=lambda frame, image: image)
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from .errors import DeviceError
from .frames import Frame, StreamInfo

#: The one-line advice given when no window can be opened.
NO_DISPLAY_HINT = "use --no-window with --virtual-cam or --record, or `stylecam video`"

#: Keys that close a window by default: q and Esc (the live tool has its own key table instead).
QUIT_KEYS = frozenset({ord("q"), ord("Q"), 27})

_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/TTF", "/usr/share/fonts")

_PROBE = (
    "import cv2, numpy as np\n"
    "cv2.namedWindow('stylecam-probe', cv2.WINDOW_NORMAL)\n"
    "cv2.imshow('stylecam-probe', np.zeros((8, 8, 3), np.uint8))\n"
    "cv2.waitKey(1)\n"
    "cv2.destroyAllWindows()\n"
    "print('ok')\n"
)


def _quiet_qt_env() -> None:
    """opencv-python's Qt ships no fonts and warns about it on every window; point it at the system fonts."""
    if sys.platform.startswith("linux") and "QT_QPA_FONTDIR" not in os.environ:
        for folder in _FONT_DIRS:
            if Path(folder).is_dir():
                os.environ["QT_QPA_FONTDIR"] = folder
                break


def _x_socket_reachable(display: str, timeout: float = 1.0) -> str | None:
    """``None`` when the X server named by ``display`` accepts a connection, otherwise why not."""
    host, _, rest = display.rpartition(":")
    number = rest.split(".")[0]
    if not number.isdigit():
        return f"DISPLAY={display!r} is not a valid X display name"
    if host in ("", "unix") or host.startswith("/"):
        candidates = [f"/tmp/.X11-unix/X{number}"]
        if sys.platform.startswith("linux"):
            candidates.insert(0, f"\0/tmp/.X11-unix/X{number}")  # the abstract socket
        if host.startswith("/"):  # macOS launchd-style paths
            candidates.insert(0, display)
        for path in candidates:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(timeout)
                try:
                    s.connect(path)
                    return None
                except OSError:
                    continue
        return f"cannot connect to the X server on DISPLAY={display}"
    try:
        with socket.create_connection((host, 6000 + int(number)), timeout=timeout):
            return None
    except OSError:
        return f"cannot connect to the X server on DISPLAY={display}"


@lru_cache(maxsize=8)
def _probe_window(display: str, wayland: str) -> str | None:
    """Open a tiny window in a child process (where an abort cannot hurt); ``None`` when it worked."""
    _quiet_qt_env()
    try:
        result = subprocess.run(
            [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=15, env=os.environ.copy()
        )
    except subprocess.TimeoutExpired:
        return "opening a test window timed out"
    except OSError as exc:
        return f"cannot start a test window ({exc})"
    if result.returncode == 0 and "ok" in result.stdout:
        return None
    lines = [ln.strip() for ln in result.stderr.splitlines() if ln.strip() and "QFontDatabase" not in ln]
    useful = [
        ln for ln in lines if "could not" in ln.lower() or "cannot" in ln.lower() or "error" in ln.lower()
    ]
    detail = (useful or lines or [f"exit code {result.returncode}"])[0]
    return f"the window toolkit cannot start ({detail[:160]})"


def _gui_can_use_wayland() -> bool:
    """Whether this OpenCV build's GUI can talk to Wayland directly (opencv-python's Qt has only xcb)."""
    plugins = Path(cv2.__file__).resolve().parent / "qt" / "plugins" / "platforms"
    if plugins.is_dir():
        return any("wayland" in p.name for p in plugins.iterdir())
    return "GTK" in cv2.getBuildInformation().split("GUI:")[-1][:200]


def display_problem(probe: bool = True) -> str | None:
    """Why no window can be opened here, or ``None`` when one can.

    Args:
        probe: on Linux, also open a test window in a child process (about
            0.2 s, cached) to catch refused connections and missing Qt
            libraries; ``False`` checks only that the display server answers.
    """
    if not sys.platform.startswith("linux"):
        return None  # Windows and macOS always have a window system
    display = os.environ.get("DISPLAY", "").strip()
    wayland = os.environ.get("WAYLAND_DISPLAY", "").strip()
    if display:
        why = _x_socket_reachable(display)
        if why is not None:
            return why
    elif wayland:
        runtime = os.environ.get("XDG_RUNTIME_DIR", "")
        path = Path(wayland) if wayland.startswith("/") else Path(runtime) / wayland
        if not path.exists():
            return f"WAYLAND_DISPLAY={wayland} but {path} does not exist"
        if not _gui_can_use_wayland():
            return "Wayland without XWayland: DISPLAY is not set and this OpenCV build needs X11"
    else:
        return "neither DISPLAY nor WAYLAND_DISPLAY is set"
    if probe:
        return _probe_window(display, wayland)
    return None


def has_display(probe: bool = True) -> bool:
    """``True`` when an OpenCV window can be opened (see :func:`display_problem`)."""
    return display_problem(probe) is None


class WindowSink:
    """Show frames in an OpenCV window; an *inline* :class:`~stylecam.streams.Sink`.

    Each :meth:`write` shows the image (through ``overlay`` first, if given),
    polls the keyboard once and passes every key to ``on_key``. A key in
    ``quit_keys`` (``q``/Esc by default), :meth:`stop` or closing the window
    sets :attr:`stopped`.

    Args:
        title: the window title.
        overlay: ``(frame, image) -> image`` drawn on top before showing (the
            image handed to other sinks stays clean).
        on_key: called with each key code from ``cv2.waitKeyEx`` (arrows
            arrive as toolkit-specific codes; see :mod:`stylecam.live.keys`).
        quit_keys: the key codes that stop the sink (after ``on_key`` saw
            them); ``()`` when ``on_key`` decides, as the live tool's key table does.
        fullscreen: start in fullscreen.
        size: initial window size ``(w, h)``; ``None`` uses the frame size.
        min_height: open the window at least this high (keeping the aspect
            ratio); the picture is scaled to the window.

    Raises (from :meth:`open`):
        DeviceError: no display here (the message says why; the hint names
            the headless alternatives).
    """

    inline = True

    def __init__(
        self,
        title: str = "stylecam",
        *,
        overlay: Callable[[Frame, np.ndarray], np.ndarray] | None = None,
        on_key: Callable[[int], object] | None = None,
        quit_keys: Iterable[int] = QUIT_KEYS,
        fullscreen: bool = False,
        size: tuple[int, int] | None = None,
        min_height: int = 0,
    ) -> None:
        self.title = title
        self.min_height = int(min_height)
        self.overlay = overlay
        self.on_key = on_key
        self.quit_keys = frozenset(quit_keys)
        self.size = size
        self._fullscreen = bool(fullscreen)
        self._applied_fullscreen: bool | None = None
        self._open = False
        self._stopped = False
        self.frames_shown = 0
        self.last_key: int = -1
        self.stop_reason = ""

    @property
    def stopped(self) -> bool:
        return self._stopped

    @property
    def fullscreen(self) -> bool:
        return self._fullscreen

    @fullscreen.setter
    def fullscreen(self, value: bool) -> None:
        self._fullscreen = bool(value)
        if self._open:
            self._apply_fullscreen()

    def _apply_fullscreen(self) -> None:
        if self._applied_fullscreen == self._fullscreen:
            return
        mode = cv2.WINDOW_FULLSCREEN if self._fullscreen else cv2.WINDOW_NORMAL
        with contextlib.suppress(cv2.error):
            cv2.setWindowProperty(self.title, cv2.WND_PROP_FULLSCREEN, mode)
        self._applied_fullscreen = self._fullscreen

    def open(self, info: StreamInfo) -> None:
        """Open the window sized to the stream.

        Raises:
            DeviceError: there is no display to open a window on.
        """
        problem = display_problem()
        if problem is not None:
            raise DeviceError(f"no display: {problem}", NO_DISPLAY_HINT)
        _quiet_qt_env()
        flags = cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO | cv2.WINDOW_GUI_NORMAL
        try:
            cv2.namedWindow(self.title, flags)
            w, h = self.size or (info.width, info.height)
            if 0 < h < self.min_height:
                w, h = round(w * self.min_height / h), self.min_height
            cv2.resizeWindow(self.title, int(w), int(h))
        except cv2.error as exc:  # a build without GUI support (opencv-python-headless)
            raise DeviceError(
                f"cannot open a window: this OpenCV has no GUI support ({str(exc).strip().splitlines()[-1]})",
                "pip install opencv-python (not -headless), or " + NO_DISPLAY_HINT,
            ) from None
        self._open = True
        self._applied_fullscreen = None
        if self._fullscreen:
            self._apply_fullscreen()

    def write(self, frame: Frame, image: np.ndarray) -> None:
        """Show ``image``, poll one key, and notice a closed window."""
        if not self._open or self._stopped:
            return
        shown = self.overlay(frame, image) if self.overlay is not None else image
        cv2.imshow(self.title, shown)
        self.frames_shown += 1
        self.poll()

    def poll(self, wait_ms: int = 1) -> int:
        """Process window events for ``wait_ms`` and handle one key; returns the key code or -1."""
        if not self._open:
            return -1
        key = cv2.waitKeyEx(max(1, int(wait_ms)))
        if key != -1:
            self.last_key = key
            if self.on_key is not None:
                self.on_key(key)
            if key in self.quit_keys:
                self.stop("key")
        if self._open and not self._stopped and not self._visible():
            self.stop("closed")
        if self._open and not self._stopped:
            self._apply_fullscreen()
        return key

    def _visible(self) -> bool:
        try:
            return cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) >= 1
        except cv2.error:  # Qt raises once the user closed the window
            return False

    def stop(self, reason: str = "key") -> None:
        """End the run: :attr:`stopped` becomes ``True`` and :attr:`stop_reason` is ``reason``."""
        if not self._stopped:
            self._stopped = True
            self.stop_reason = reason

    def close(self) -> None:
        """Close the window; safe to call twice."""
        if not self._open:
            return
        self._open = False
        with contextlib.suppress(cv2.error):
            cv2.destroyWindow(self.title)
        with contextlib.suppress(cv2.error):
            deadline = time.perf_counter() + 0.05
            while time.perf_counter() < deadline:
                cv2.waitKey(1)
