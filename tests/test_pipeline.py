"""Pipeline: ordering, drop policy, errors from any stage, Ctrl-C, stop requests."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from stylecam.frames import Frame, StreamInfo
from stylecam.pipeline import Pipeline


class ListSource:
    """Frames from a list; ``live`` and a delay between frames to act like a camera."""

    def __init__(self, n, live=False, delay=0.0, fail_at=None, size=(8, 6)):
        self.n, self.live, self.delay, self.fail_at, self.size = n, live, delay, fail_at, size
        self.i = 0
        self.closed = 0

    def open(self):
        w, h = self.size
        return StreamInfo(
            width=w, height=h, fps=30.0, frame_count=None if self.live else self.n, live=self.live
        )

    def read(self):
        if self.delay:
            time.sleep(self.delay)
        if self.fail_at is not None and self.i == self.fail_at:
            raise OSError("disk gone")
        if self.i >= self.n:
            return None
        w, h = self.size
        img = np.full((h, w, 3), self.i % 256, np.uint8)
        f = Frame(index=self.i, image=img, time=time.perf_counter())
        self.i += 1
        return f

    def close(self):
        self.closed += 1


class ListSink:
    def __init__(self, inline=False, delay=0.0, fail_at=None, stop_at=None):
        self.inline, self.delay, self.fail_at, self.stop_at = inline, delay, fail_at, stop_at
        self.indices: list[int] = []
        self.opened = self.closed = 0
        self._stopped = False

    def open(self, info):
        self.opened += 1

    def write(self, frame, image):
        if self.delay:
            time.sleep(self.delay)
        if self.fail_at is not None and len(self.indices) == self.fail_at:
            raise RuntimeError("encoder exploded")
        self.indices.append(frame.index)
        if self.stop_at is not None and len(self.indices) >= self.stop_at:
            self._stopped = True

    def close(self):
        self.closed += 1

    @property
    def stopped(self):
        return self._stopped


def identity(frame):
    return frame.image


def test_file_source_loses_nothing_and_keeps_order():
    sink = ListSink(delay=0.002)

    def slow(frame):
        time.sleep(0.003)
        return frame.image

    stats = Pipeline(ListSource(60), slow, [sink], queue_size=2).run()
    assert sink.indices == list(range(60))
    assert stats.frames_in == stats.frames_out == 60 and stats.dropped == 0
    assert sink.opened == sink.closed == 1


def test_live_source_drops_stale_frames_and_shows_the_newest():
    sink = ListSink(inline=True)
    seen_lag = []

    def slow(frame):
        seen_lag.append(src.i - 1 - frame.index)  # frames captured since this one, when work starts on it
        time.sleep(0.03)  # the processing is 10x slower than the camera
        return frame.image

    src = ListSource(200, live=True, delay=0.003)
    stats = Pipeline(src, slow, [sink]).run()
    assert stats.dropped > 0
    assert len(sink.indices) < 200
    assert sink.indices == sorted(sink.indices)
    # the frame being processed is never more than a couple of frames behind the camera
    assert np.median(seen_lag) <= 3


@pytest.mark.parametrize("stage", ["source", "process", "inline", "writer"])
def test_an_error_in_any_stage_ends_the_run_within_2s_with_that_error(stage):
    src = ListSource(10_000, fail_at=50 if stage == "source" else None)
    sinks = [ListSink(inline=True, fail_at=30 if stage == "inline" else None)]
    writer = ListSink(fail_at=40 if stage == "writer" else None, delay=0.0)
    sinks.append(writer)

    def process(frame):
        if stage == "process" and frame.index == 20:
            raise ValueError("network failed")
        return frame.image

    expected = {"source": OSError, "process": ValueError, "inline": RuntimeError, "writer": RuntimeError}[
        stage
    ]
    t0 = time.perf_counter()
    with pytest.raises(expected):
        Pipeline(src, process, sinks, queue_size=2).run()
    assert time.perf_counter() - t0 < 2.0
    assert src.closed >= 1
    assert all(s.closed == 1 for s in sinks)


def test_error_while_reader_blocks_on_a_full_queue():
    # the reader is far ahead and blocked on a full queue when processing fails: run() must still return
    src = ListSource(10_000)

    def process(frame):
        time.sleep(0.05)
        if frame.index == 3:
            raise ValueError("boom")
        return frame.image

    t0 = time.perf_counter()
    with pytest.raises(ValueError, match="boom"):
        Pipeline(src, process, [ListSink(delay=0.5)], queue_size=1).run()
    assert time.perf_counter() - t0 < 2.0


def test_ctrl_c_keeps_what_was_processed():
    sink = ListSink(delay=0.01)
    main = threading.main_thread()
    assert threading.current_thread() is main

    def process(frame):
        if frame.index == 25:
            raise KeyboardInterrupt
        return frame.image

    with pytest.raises(KeyboardInterrupt):
        Pipeline(ListSource(1000), process, [sink], queue_size=8).run()
    assert sink.indices == list(range(25))  # every processed frame was written, in order
    assert sink.closed == 1


def test_a_sink_can_end_the_run():
    sink = ListSink(inline=True, stop_at=7)
    stats = Pipeline(ListSource(1000, live=True, delay=0.001), identity, [sink]).run()
    assert len(sink.indices) == 7
    assert "stopped" in stats.stop_reason


def test_stop_from_another_thread_and_max_frames():
    sink = ListSink()
    pipe = Pipeline(ListSource(10**6, live=True, delay=0.001), identity, [sink])
    threading.Timer(0.2, pipe.stop).start()
    t0 = time.perf_counter()
    pipe.run()
    assert time.perf_counter() - t0 < 1.5
    sink2 = ListSink()
    stats = Pipeline(ListSource(100), identity, [sink2], max_frames=10).run()
    assert sink2.indices == list(range(10)) and stats.frames_out == 10


def test_progress_is_reported():
    calls = []
    Pipeline(ListSource(20), identity, [ListSink()], progress=calls.append, progress_interval=0).run()
    assert calls and calls[-1].frames_in == 20
