"""One registry for every kind of sink (stylecam.sinks.SINKS, open_sink)."""

from __future__ import annotations

import numpy as np
import pytest

from stylecam.frames import Frame, StreamInfo
from stylecam.sinks import SINKS, ImageSink, NullSink, VideoFileSink, open_sink, register_sink


def test_every_kind_is_registered_and_opened_with_its_own_arguments(tmp_path):
    assert list(SINKS) == ["window", "video", "images", "virtualcam", "null"]
    assert isinstance(open_sink("null"), NullSink)
    assert isinstance(open_sink("video", tmp_path / "out.mp4"), VideoFileSink)
    assert isinstance(open_sink("images", tmp_path / "one.png", single=True), ImageSink)
    cam = open_sink("virtualcam", backend="fake")
    assert type(cam).__name__ == "VirtualCamSink" and cam.backend == "fake"
    with pytest.raises(ValueError, match="unknown sink 'fax'; the sinks are: window, video, images"):
        open_sink("fax")


def test_a_registered_fake_sink_is_opened_like_the_others(monkeypatch):
    class Fake(NullSink):
        pass

    monkeypatch.setitem(SINKS, "fake", Fake)
    register_sink("fake", Fake)
    sink = open_sink("fake")
    sink.open(StreamInfo(width=4, height=2, fps=25.0))
    sink.write(Frame(index=0, image=np.zeros((2, 4, 3), np.uint8), time=0.0), np.zeros((2, 4, 3), np.uint8))
    assert isinstance(sink, Fake) and sink.count == 1
