"""A virtual X server for window tests: start Xvfb, read its screen, send keys, close windows.

Qt (OpenCV's window toolkit) keeps its X connection for the life of a process and may end the
process when that server goes away, so window code runs in a child process
(:func:`run_child`) against an :class:`Xvfb` owned by the test; screenshots come from the
framebuffer file Xvfb keeps (``-fbdir``), read with numpy.

Needs the ``Xvfb`` binary (Debian: ``xvfb``); keys and window lookup need ``xdotool``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent

_XWD_FIELDS = [
    "header_size",
    "file_version",
    "pixmap_format",
    "pixmap_depth",
    "pixmap_width",
    "pixmap_height",
    "xoffset",
    "byte_order",
    "bitmap_unit",
    "bitmap_bit_order",
    "bitmap_pad",
    "bits_per_pixel",
    "bytes_per_line",
    "visual_class",
    "red_mask",
    "green_mask",
    "blue_mask",
    "bits_per_rgb",
    "colormap_entries",
    "ncolors",
    "window_width",
    "window_height",
    "window_x",
    "window_y",
    "window_bdrwidth",
]


def have_xvfb() -> bool:
    return shutil.which("Xvfb") is not None


def have_xdotool() -> bool:
    return shutil.which("xdotool") is not None


def read_xwd(path: str | os.PathLike) -> np.ndarray:
    """An XWD screen dump (24/32-bit TrueColor, as Xvfb writes it) as a ``uint8`` BGR array."""
    data = Path(path).read_bytes()
    header = dict(zip(_XWD_FIELDS, np.frombuffer(data[:100], ">u4").tolist(), strict=True))
    if header["bits_per_pixel"] != 32:
        raise ValueError(f"unsupported XWD: {header['bits_per_pixel']} bits per pixel")
    offset = header["header_size"] + 12 * header["ncolors"]
    h, stride = header["pixmap_height"], header["bytes_per_line"]
    pixels = np.frombuffer(data[offset : offset + h * stride], np.uint8).reshape(h, stride // 4, 4)
    pixels = pixels[:, : header["pixmap_width"]]
    if header["byte_order"] == 1:  # MSBFirst: X R G B
        return np.ascontiguousarray(pixels[..., 1:][..., ::-1])
    return np.ascontiguousarray(pixels[..., :3])  # LSBFirst: B G R X


class Xvfb:
    """A private X server on a free display number, with its screen readable as an image."""

    def __init__(self, width: int = 1280, height: int = 720) -> None:
        self.width, self.height = width, height
        self.dir = Path(tempfile.mkdtemp(prefix="stylecam-xvfb-"))
        self.number = self._free_number()
        self.display = f":{self.number}"
        self.proc = subprocess.Popen(
            [
                "Xvfb", self.display, "-screen", "0", f"{width}x{height}x24",
                "-fbdir", str(self.dir), "-nolisten", "tcp", "-noreset",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        socket_path = Path(f"/tmp/.X11-unix/X{self.number}")
        deadline = time.monotonic() + 10
        while not (socket_path.exists() and (self.dir / "Xvfb_screen0").exists()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"Xvfb {self.display} did not start")
            time.sleep(0.02)

    @staticmethod
    def _free_number() -> int:
        for n in range(170, 400):
            if not Path(f"/tmp/.X{n}-lock").exists() and not Path(f"/tmp/.X11-unix/X{n}").exists():
                return n
        raise RuntimeError("no free X display number")

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY",)}
        env["DISPLAY"] = self.display
        env["PYTHONPATH"] = os.pathsep.join([str(TESTS), str(REPO), env.get("PYTHONPATH", "")])
        env["STYLECAM_XVFB_FB"] = str(self.dir / "Xvfb_screen0")
        return env

    def screenshot(self) -> np.ndarray:
        return read_xwd(self.dir / "Xvfb_screen0")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Xvfb:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_child(code: str, xvfb: Xvfb, timeout: float = 60.0) -> dict:
    """Run ``code`` in a fresh Python on the virtual display; it prints one JSON object as its last line."""
    result = subprocess.run(
        [sys.executable, "-c", code], env=xvfb.env(), capture_output=True, text=True, timeout=timeout
    )
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith("{")]
    if result.returncode != 0 or not lines:
        raise AssertionError(
            f"child failed (rc {result.returncode}):\n{result.stdout}\n{result.stderr[-3000:]}"
        )
    out = json.loads(lines[-1])
    out["stderr"] = result.stderr
    return out


# ----------------------------------------------------------------------------- used inside the child


def screen() -> np.ndarray:
    """The virtual screen, from inside a child started by :func:`run_child`."""
    return read_xwd(os.environ["STYLECAM_XVFB_FB"])


def find_window(title: str, timeout: float = 10.0) -> int:
    """The X id of the top-level window called ``title`` (via xdotool)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = subprocess.run(
            ["xdotool", "search", "--name", f"^{title}$"], capture_output=True, text=True, timeout=5
        ).stdout.split()
        if out:
            return int(out[-1])
        time.sleep(0.05)
    raise RuntimeError(f"no window named {title!r}")


def send_key(window: int, key: str) -> None:
    """Press and release ``key`` (an xdotool key name: 'q', 'h', 'Escape', 'Right') in ``window``."""
    subprocess.run(
        ["xdotool", "key", "--window", str(window), key], check=True, timeout=5, capture_output=True
    )


class _ClientMessage(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("window", ctypes.c_ulong),
        ("message_type", ctypes.c_ulong),
        ("format", ctypes.c_int),
        ("data", ctypes.c_long * 5),
    ]


class _XEvent(ctypes.Union):
    _fields_ = [("xclient", _ClientMessage), ("pad", ctypes.c_long * 24)]


def close_window(window: int) -> None:
    """Ask ``window`` to close the way a window manager's close button does (WM_DELETE_WINDOW)."""
    x11 = ctypes.CDLL(ctypes.util.find_library("X11"))
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XInternAtom.restype = ctypes.c_ulong
    x11.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    x11.XSendEvent.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_long, ctypes.c_void_p]
    x11.XFlush.argtypes = [ctypes.c_void_p]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    dpy = x11.XOpenDisplay(os.environ["DISPLAY"].encode())
    if not dpy:
        raise RuntimeError("cannot open the X display")
    event = _XEvent()
    event.xclient.type = 33  # ClientMessage
    event.xclient.window = window
    event.xclient.message_type = x11.XInternAtom(dpy, b"WM_PROTOCOLS", 0)
    event.xclient.format = 32
    event.xclient.data[0] = x11.XInternAtom(dpy, b"WM_DELETE_WINDOW", 0)
    x11.XSendEvent(dpy, window, 0, 0, ctypes.byref(event))
    x11.XFlush(dpy)
    x11.XCloseDisplay(dpy)
