"""BackgroundSink: any sink fed from a thread of its own, in order; drops when behind; errors kept."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from test_pipeline import ListSink

from stylecam.background import BackgroundSink
from stylecam.frames import Frame, StreamInfo

INFO = StreamInfo(width=4, height=3, fps=30.0, live=True)


def frames(n: int) -> list[Frame]:
    return [Frame(index=i, image=np.zeros((3, 4, 3), np.uint8), time=0.0) for i in range(n)]


def test_writes_reach_the_sink_in_order_and_close_waits_for_them() -> None:
    inner = ListSink()
    sink = BackgroundSink(inner)
    sink.open(INFO)
    for f in frames(20):
        sink.write(f, f.image)
    sink.close()
    assert inner.indices == list(range(20)) and inner.opened == inner.closed == 1
    assert sink.frames == 20 and sink.dropped == 0 and sink.done
    sink.close()  # twice is fine


def test_a_slow_sink_drops_new_pictures_and_counts_them() -> None:
    gate = threading.Event()

    class Slow(ListSink):
        def write(self, frame, image):
            gate.wait(5)
            super().write(frame, image)

    inner = Slow()
    sink = BackgroundSink(inner, max_queue=2)
    sink.open(INFO)
    for f in frames(10):
        sink.write(f, f.image)  # never blocks
    gate.set()
    sink.close()
    assert sink.dropped > 0 and sink.frames + sink.dropped == 10
    assert inner.indices == sorted(inner.indices)


def test_the_sinks_error_is_kept_and_raised_once_by_close() -> None:
    inner = ListSink(fail_at=3)
    sink = BackgroundSink(inner)
    sink.open(INFO)
    for f in frames(8):
        sink.write(f, f.image)
    assert sink.finish(wait=True)
    assert isinstance(sink.error, RuntimeError) and inner.closed == 1
    with pytest.raises(RuntimeError, match="encoder exploded"):
        sink.close()
    sink.close()  # reported once
