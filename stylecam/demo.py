"""The built-in demo clip: a procedurally drawn landscape with a moving camera and a tune.

``stylecam demo`` needs no camera and no file of the user's: it renders this
clip (once, cached), stylizes it with the default style, writes
``stylecam-demo.mp4`` and plays it when a display exists.
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

DEMO_SIZE = (640, 360)
DEMO_FPS = 25
DEMO_SECONDS = 6
_VERSION = 1


def demo_cache_dir() -> Path:
    """The folder for the demo clip: the user cache folder (:func:`stylecam.paths.user_cache_dir`),
    created if needed, or the temporary folder where it cannot be created."""
    from .paths import user_cache_dir

    path = user_cache_dir()
    try:
        path.mkdir(parents=True, exist_ok=True)
        return path
    except OSError:
        return Path(tempfile.gettempdir())


def render_demo_frame(t: float, width: int = DEMO_SIZE[0], height: int = DEMO_SIZE[1]) -> np.ndarray:
    """One BGR frame of the demo scene at time ``t`` seconds (pure function of ``t``)."""
    pan = 40.0 * t  # the camera pans right
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    # sky: warm at the horizon, deep blue above
    k = 1.0 - yy / height
    sky = np.stack([200 - 90 * k, 150 + 40 * k, 90 + 140 * k], axis=-1)[..., ::-1]  # RGB → BGR
    img = sky.copy()
    # sun
    sx, sy = width * 0.72 - pan * 0.1, height * 0.28
    d = np.hypot(xx - sx, yy - sy)
    glow = np.clip(1.2 - d / 60.0, 0, 1)[..., None]
    img = img * (1 - glow) + np.array([90, 220, 255], np.float32) * glow
    # three layers of hills with parallax
    layers = [
        (0.55, 28, 0.011, 0.25, (70, 120, 60)),
        (0.66, 22, 0.017, 0.55, (40, 140, 70)),
        (0.80, 16, 0.023, 1.00, (30, 95, 45)),
    ]
    for base, amp, freq, speed, color in layers:
        x = xx[0] + pan * speed
        ridge = height * base + amp * np.sin(x * freq) + amp * 0.5 * np.sin(x * freq * 2.7 + 1.3)
        mask = (yy > ridge[None, :]).astype(np.float32)[..., None]
        shade = 1.0 - 0.35 * np.clip((yy - ridge[None, :]) / (height * 0.4), 0, 1)[..., None]
        img = img * (1 - mask) + np.array(color, np.float32) * shade * mask
    img = img.astype(np.uint8)
    # trees and a house on the near hill
    for i in range(-2, 9):
        tx = int(i * 110 - (pan % 110)) + 40
        base_y = int(height * 0.80 + 16 * math.sin((tx + pan) * 0.023)) + 4
        cv2.rectangle(img, (tx - 4, base_y - 30), (tx + 4, base_y + 5), (30, 50, 80), -1)
        cv2.circle(img, (tx, base_y - 42), 22, (40, 110 + 10 * (i % 3), 50), -1, cv2.LINE_AA)
    hx = int(width * 0.35 - pan * 1.0 + 400) % (width + 300) - 150
    hy = int(height * 0.80) - 10
    cv2.rectangle(img, (hx, hy - 50), (hx + 80, hy + 10), (170, 200, 235), -1)
    cv2.fillConvexPoly(
        img, np.array([[hx - 10, hy - 50], [hx + 40, hy - 90], [hx + 90, hy - 50]]), (40, 40, 160)
    )
    cv2.rectangle(img, (hx + 30, hy - 20), (hx + 50, hy + 10), (40, 60, 90), -1)
    # a red balloon rising and drifting, and a bird crossing
    bx = int(width * 0.2 + 60 * math.sin(t * 1.3))
    by = int(height * 0.9 - 45 * t)
    cv2.line(img, (bx, by + 28), (bx + 5, by + 70), (60, 60, 60), 1, cv2.LINE_AA)
    cv2.ellipse(img, (bx, by), (20, 26), 0, 0, 360, (40, 40, 220), -1, cv2.LINE_AA)
    cv2.circle(img, (bx - 7, by - 9), 5, (160, 160, 255), -1, cv2.LINE_AA)
    wx, wy = int(-60 + 150 * t), int(height * 0.2 + 10 * math.sin(t * 4))
    wing = int(10 * math.sin(t * 12))
    cv2.polylines(
        img,
        [np.array([[wx - 16, wy - wing], [wx, wy], [wx + 16, wy - wing]])],
        False,
        (30, 30, 30),
        3,
        cv2.LINE_AA,
    )
    cv2.putText(
        img, "stylecam", (24, height - 24), cv2.FONT_HERSHEY_DUPLEX, 1.1, (250, 250, 250), 2, cv2.LINE_AA
    )
    return img


def _tune(seconds: float, rate: int = 44100) -> np.ndarray:
    """A short arpeggio (float32 mono, -1..1) so the demo shows that sound is kept."""
    notes = [261.6, 329.6, 392.0, 523.3, 392.0, 329.6]
    n = int(seconds * rate)
    t = np.arange(n) / rate
    step = 0.5
    idx = (t // step).astype(int) % len(notes)
    freq = np.array(notes)[idx]
    phase = 2 * np.pi * np.cumsum(freq) / rate
    env = np.exp(-3.0 * (t % step))
    return (0.25 * env * np.sin(phase)).astype(np.float32)


def make_demo_clip(folder: Path | None = None) -> Path:
    """Render the demo clip (H.264 + AAC) once and return its path."""
    import av

    folder = folder or demo_cache_dir()
    path = folder / f"stylecam-demo-source-v{_VERSION}.mp4"
    if path.exists() and path.stat().st_size > 10_000:
        return path
    tmp = path.with_name(path.name + f".{os.getpid()}.part.mp4")
    width, height = DEMO_SIZE
    n = DEMO_FPS * DEMO_SECONDS
    rate = 44100
    audio = _tune(DEMO_SECONDS, rate)
    with av.open(str(tmp), "w") as out:
        vs = out.add_stream("libx264", rate=DEMO_FPS)
        vs.width, vs.height, vs.pix_fmt = width, height, "yuv420p"
        vs.options = {"crf": "18", "preset": "veryfast"}
        aus = out.add_stream("aac", rate=rate)
        aus.layout = "mono"
        chunk = 1024
        a_pos = 0
        for i in range(n):
            frame = av.VideoFrame.from_ndarray(render_demo_frame(i / DEMO_FPS), format="bgr24")
            frame.pts = i
            frame.time_base = Fraction(1, DEMO_FPS)
            for packet in vs.encode(frame):
                out.mux(packet)
            while a_pos < min(len(audio), int((i + 1) / DEMO_FPS * rate)):
                samples = audio[a_pos : a_pos + chunk]
                af = av.AudioFrame.from_ndarray(samples[None, :], format="flt", layout="mono")
                af.sample_rate = rate
                af.pts = a_pos
                af.time_base = Fraction(1, rate)
                for packet in aus.encode(af):
                    out.mux(packet)
                a_pos += len(samples)
        for packet in vs.encode():
            out.mux(packet)
        for packet in aus.encode():
            out.mux(packet)
    os.replace(tmp, path)
    return path


def play(path: Path, title: str = "stylecam demo") -> bool:
    """Play a video in an OpenCV window when a display exists (q or Esc stops). Returns whether it played."""
    from .window import has_display

    if not has_display():
        print(f"stylecam: no display here — open {path} in a video player", file=sys.stderr)
        return False
    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS) or 25
    delay = max(1, int(1000 / fps))
    try:
        cv2.namedWindow(title, cv2.WINDOW_NORMAL)
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            cv2.imshow(title, frame)
            key = cv2.waitKey(delay) & 0xFF
            if key in (ord("q"), 27) or cv2.getWindowProperty(title, cv2.WND_PROP_VISIBLE) < 1:
                break
    finally:
        cap.release()
        cv2.destroyAllWindows()
    return True
