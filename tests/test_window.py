"""The window: a real OpenCV window on a private Xvfb server, checked from the X framebuffer.

Window code runs in child processes (see ``xvfb_util``): Qt keeps its X connection for the life of a
process, and without a display it aborts the process — which is exactly what ``display_problem`` must
prevent, and is tested here too. Skipped where Xvfb (or xdotool, for keys) is not installed.
"""

from __future__ import annotations

import os
import subprocess
import sys

import cv2
import numpy as np
import pytest
from xvfb_util import REPO, Xvfb, have_xdotool, have_xvfb, run_child

from stylecam.errors import DeviceError
from stylecam.frames import StreamInfo
from stylecam.live import KEY_RIGHT
from stylecam.window import NO_DISPLAY_HINT, WindowSink, display_problem, has_display

needs_xvfb = pytest.mark.skipif(not have_xvfb(), reason="Xvfb is not installed (apt-get install xvfb)")
needs_xdotool = pytest.mark.skipif(not have_xdotool(), reason="xdotool is not installed")


def quadrants(w: int = 320, h: int = 240) -> np.ndarray:
    img = np.zeros((h, w, 3), np.uint8)
    img[: h // 2, : w // 2] = (0, 0, 255)
    img[: h // 2, w // 2 :] = (0, 255, 0)
    img[h // 2 :, : w // 2] = (255, 0, 0)
    img[h // 2 :, w // 2 :] = (0, 255, 255)
    return img


@pytest.fixture(scope="module")
def xvfb():
    if not have_xvfb():
        pytest.skip("Xvfb is not installed (apt-get install xvfb)")
    server = Xvfb(1280, 720)
    yield server
    server.stop()


# ----------------------------------------------------------------------------- no display


def test_no_display_variables_is_a_reason_not_a_crash(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    if not sys.platform.startswith("linux"):
        pytest.skip("Windows and macOS always have a display")
    assert display_problem() == "neither DISPLAY nor WAYLAND_DISPLAY is set"
    assert not has_display()
    with pytest.raises(DeviceError) as err:
        WindowSink().open(StreamInfo(64, 48, 30.0))
    assert err.value.hint == NO_DISPLAY_HINT
    assert "no display" in err.value.message and err.value.exit_code == 3


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 check")
def test_a_display_that_does_not_answer_is_detected(monkeypatch, tmp_path):
    monkeypatch.setenv("DISPLAY", ":399")
    assert "cannot connect to the X server on DISPLAY=:399" in display_problem()
    monkeypatch.setenv("DISPLAY", "nonsense")
    assert "not a valid X display name" in display_problem()
    monkeypatch.delenv("DISPLAY")
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-9")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    assert "does not exist" in display_problem()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 check")
def test_the_check_prevents_the_abort_that_imshow_causes_without_a_display():
    env = {**os.environ, "DISPLAY": ":398", "PYTHONPATH": str(REPO)}
    env.pop("WAYLAND_DISPLAY", None)
    raw = "import cv2, numpy as np; cv2.imshow('x', np.zeros((8, 8, 3), np.uint8)); cv2.waitKey(1)"
    crashed = subprocess.run([sys.executable, "-c", raw], env=env, capture_output=True, timeout=60)
    if crashed.returncode == 0:
        pytest.skip("this OpenCV build does not abort without a display")
    assert crashed.returncode != 0  # SIGABRT (-6) with the Qt build: no exception to catch
    safe = (
        "from stylecam.window import WindowSink\nfrom stylecam.frames import StreamInfo\n"
        "from stylecam.errors import DeviceError\n"
        "try:\n    WindowSink().open(StreamInfo(8, 8, 30.0))\nexcept DeviceError as e:\n    print(e.one_line())\n"
    )
    ok = subprocess.run([sys.executable, "-c", safe], env=env, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("no display: cannot connect to the X server on DISPLAY=:398")


# ----------------------------------------------------------------------------- a real window on Xvfb


@needs_xvfb
def test_display_check_passes_on_a_working_x_server(xvfb, monkeypatch):
    monkeypatch.setenv("DISPLAY", xvfb.display)
    assert display_problem() is None  # socket check, then a test window in a child process


SHOW_AND_KEYS = r"""
import json, time, cv2, numpy as np
from xvfb_util import screen, find_window, send_key
from stylecam.frames import Frame, StreamInfo
from stylecam.window import WindowSink
from test_window import quadrants

keys = []
def overlay(frame, image):
    out = image.copy()
    cv2.rectangle(out, (0, 0), (19, 19), (255, 255, 255), -1)
    return out
sink = WindowSink("stylecam-test", on_key=keys.append, overlay=overlay)
img = quadrants()
sink.open(StreamInfo(320, 240, 30.0, live=True))
i = 0
def show_until(cond, timeout=5.0):
    global i
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sink.write(Frame(i, img, time.perf_counter()), img)
        i += 1
        time.sleep(0.01)
        if cond():
            return True
    return False
show_until(lambda: i >= 15)
cv2.imwrite(OUT + "/window.png", screen())
rect = cv2.getWindowImageRect("stylecam-test")
wid = find_window("stylecam-test")
send_key(wid, "h")  # one key per frame: OpenCV keeps only the last key pressed between two polls
show_until(lambda: len(keys) >= 1)
send_key(wid, "Right")
show_until(lambda: len(keys) >= 2)
before_q = sink.stopped
send_key(wid, "q")
show_until(lambda: sink.stopped)
sink.close()
sink.close()
print(json.dumps(dict(keys=keys, stopped=sink.stopped, reason=sink.stop_reason, rect=list(rect),
                      before_q=before_q, shown=sink.frames_shown)))
"""


@needs_xvfb
@needs_xdotool
def test_window_shows_frames_passes_keys_and_quits_on_q(xvfb, tmp_path):
    result = run_child(f"OUT = {str(tmp_path)!r}\n" + SHOW_AND_KEYS, xvfb)
    x, y, w, h = result["rect"]
    assert (w, h) == (320, 240)
    shot = cv2.imread(str(tmp_path / "window.png"))
    shown = shot[y : y + h, x : x + w].astype(int)
    expected = quadrants().astype(int)
    expected[:20, :20] = 255  # the overlay is drawn on what is shown
    assert np.abs(shown - expected).max() <= 2
    assert result["keys"][0] == ord("h") and result["keys"][1] in KEY_RIGHT
    assert not result["before_q"] and result["stopped"] and result["reason"] == "key"
    assert "QFontDatabase" not in result["stderr"]  # Qt's font warnings are silenced


CLOSE = r"""
import json, time, numpy as np
from xvfb_util import find_window, close_window
from stylecam.frames import Frame, StreamInfo
from stylecam.window import WindowSink

sink = WindowSink("stylecam-close", fullscreen=FULL)
img = np.full((48, 64, 3), 90, np.uint8)
sink.open(StreamInfo(64, 48, 30.0, live=True))
for i in range(10):
    sink.write(Frame(i, img, time.perf_counter()), img)
    time.sleep(0.01)
import cv2
full = [cv2.getWindowProperty("stylecam-close", cv2.WND_PROP_FULLSCREEN)]
sink.fullscreen = not sink.fullscreen
sink.write(Frame(10, img, time.perf_counter()), img)
full.append(cv2.getWindowProperty("stylecam-close", cv2.WND_PROP_FULLSCREEN))
close_window(find_window("stylecam-close"))
deadline = time.monotonic() + 5
n = 0
while not sink.stopped and time.monotonic() < deadline:
    sink.write(Frame(n, img, time.perf_counter()), img)
    n += 1
    time.sleep(0.01)
sink.close()
print(json.dumps(dict(stopped=sink.stopped, reason=sink.stop_reason, full=full)))
"""


@needs_xvfb
@needs_xdotool
def test_fullscreen_toggles_and_closing_the_window_stops_the_sink(xvfb):
    # Without a window manager Xvfb cannot resize the window, but Qt reports the state it was asked for.
    result = run_child("FULL = True\n" + CLOSE, xvfb)
    assert result["full"] == [1.0, 0.0]  # opened fullscreen, then toggled back
    result = run_child("FULL = False\n" + CLOSE, xvfb)
    assert result["full"] == [0.0, 1.0]
    assert result["stopped"] and result["reason"] == "closed"
