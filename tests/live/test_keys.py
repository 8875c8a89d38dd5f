"""The live tool's one key table: bindings and help text from the same lines, q and Esc included."""

from __future__ import annotations

import numpy as np
import pytest

from stylecam.frames import Frame, StreamInfo
from stylecam.live import HELP, KEYMAP, LiveController
from stylecam.live.keys import BINDINGS, KEY_ESC, lookup


def test_every_binding_is_on_the_help_panel_and_every_help_line_is_bound() -> None:
    assert [(b.keys, b.what) for b in BINDINGS] == HELP
    assert len({b.action for b in BINDINGS}) == len(BINDINGS)
    for b in BINDINGS:
        assert b.codes and all(KEYMAP[code] == b.action for code in b.codes)
        assert callable(getattr(LiveController, b.action))
    codes = [code for b in BINDINGS for code in b.codes]
    assert len(codes) == len(set(codes))  # no key bound twice


def test_lookup_numbers_and_modifier_bits() -> None:
    assert lookup(ord("1")) == ("select_style", (0,))
    assert lookup(ord("9")) == ("select_style", (8,))
    assert lookup(ord("q")) == lookup(KEY_ESC) == ("quit", ())
    assert lookup(0x10000 | ord("n")) == ("next_style", ())  # a back end's modifier bits
    assert lookup(ord("x")) is None and lookup(-1) is None and lookup(None) is None


class _FakeWindow:
    """cv2's window calls as a window with one key waiting."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, key: int) -> None:
        import stylecam.window as window

        self.keys = [key]
        monkeypatch.setattr(window, "display_problem", lambda probe=True: None)
        for name in ("namedWindow", "resizeWindow", "imshow", "setWindowProperty", "destroyWindow"):
            monkeypatch.setattr(window.cv2, name, lambda *a, **k: None)
        monkeypatch.setattr(window.cv2, "waitKeyEx", lambda ms: self.keys.pop() if self.keys else -1)
        monkeypatch.setattr(window.cv2, "getWindowProperty", lambda *a: 1.0)


@pytest.mark.parametrize("key", [ord("q"), KEY_ESC])
def test_q_and_esc_reach_the_key_table_and_its_quit_ends_the_window(monkeypatch, key) -> None:
    from stylecam.window import WindowSink

    _FakeWindow(monkeypatch, key)
    seen: list[int] = []

    def on_key(code: int) -> None:
        seen.append(code)
        if lookup(code) == ("quit", ()):
            sink.stop("key")

    sink = WindowSink("t", on_key=on_key, quit_keys=())
    sink.open(StreamInfo(8, 8, 30.0, live=True))
    image = np.zeros((8, 8, 3), np.uint8)
    sink.write(Frame(0, image, 0.0), image)
    assert seen == [key] and sink.stopped and sink.stop_reason == "key"


def test_a_window_without_a_key_table_still_quits_on_q_after_passing_it_on(monkeypatch) -> None:
    from stylecam.window import WindowSink

    _FakeWindow(monkeypatch, ord("q"))
    seen: list[int] = []
    sink = WindowSink("t", on_key=seen.append)
    sink.open(StreamInfo(8, 8, 30.0, live=True))
    image = np.zeros((8, 8, 3), np.uint8)
    sink.write(Frame(0, image, 0.0), image)
    assert seen == [ord("q")] and sink.stopped and sink.stop_reason == "key"
