"""The processing stage: the Stage protocol as the pipeline drives it, and StylizeStep's crossfade."""

from __future__ import annotations

import numpy as np
import pytest
from test_pipeline import ListSink, ListSource

from stylecam.frames import Frame, StreamInfo
from stylecam.pipeline import Pipeline
from stylecam.stage import StylizeStep, WholeFrameNetwork, as_network
from stylecam.streams import Stage


class RecordingStage:
    """A stage that notes what the pipeline does with it."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.events: list[str] = []
        self.info: StreamInfo | None = None
        self.fail_at = fail_at
        self.calls = 0

    def open(self, info: StreamInfo) -> None:
        self.events.append("open")
        self.info = info

    def __call__(self, frame: Frame) -> np.ndarray:
        if self.fail_at is not None and self.calls == self.fail_at:
            raise RuntimeError("network exploded")
        self.calls += 1
        return frame.image

    def close(self) -> None:
        self.events.append("close")


def test_the_pipeline_opens_the_stage_with_the_streams_info_and_closes_it() -> None:
    stage = RecordingStage()
    assert isinstance(stage, Stage)
    sink = ListSink()
    Pipeline(ListSource(5, size=(8, 6)), stage, [sink]).run()
    assert stage.events == ["open", "close"] and (stage.info.width, stage.info.height) == (8, 6)
    assert stage.calls == 5 and sink.indices == list(range(5))


def test_a_stage_that_raises_is_still_closed_and_the_error_comes_back() -> None:
    stage = RecordingStage(fail_at=2)
    sink = ListSink()
    with pytest.raises(RuntimeError, match="network exploded"):
        Pipeline(ListSource(10), stage, [sink]).run()
    assert stage.events == ["open", "close"] and sink.closed == 1


def test_a_plain_function_is_still_a_stage() -> None:
    sink = ListSink()
    stats = Pipeline(ListSource(3), lambda frame: frame.image, [sink]).run()
    assert stats.frames_out == 3 and sink.indices == [0, 1, 2]


def constant(value: int, device: str = "cpu"):
    def paint(image: np.ndarray) -> np.ndarray:
        return np.full_like(image, value)

    paint.device = device  # type: ignore[attr-defined]
    return paint


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_switch_crossfades_over_the_given_seconds_then_runs_the_new_network_alone() -> None:
    clock = Clock()
    step = StylizeStep(as_network(constant(0)), None, clock=clock)
    image = np.full((4, 6, 3), 50, np.uint8)
    assert (step.stylize(image) == 0).all()
    step.switch(as_network(constant(200)), fade_s=1.0)
    assert step.fading and (step.stylize(image) == 0).all()  # t = 0: all the old network
    clock.t = 0.25
    assert (step.stylize(image) == 50).all()  # a quarter of the way
    clock.t = 1.0
    assert (step.stylize(image) == 200).all() and not step.fading
    step.switch(as_network(constant(100)))  # no fade: at once
    assert (step.stylize(image) == 100).all() and not step.fading
    step.close()
    step.close()


def test_switch_resets_the_smoother() -> None:
    class Smoother:
        resets = 0

        def update(self, frame, stylized):
            return stylized

        def reset(self) -> None:
            self.resets += 1

    smoother = Smoother()
    step = StylizeStep(as_network(constant(0)), smoother)
    step.open(StreamInfo(6, 4, 30.0))
    step.switch(as_network(constant(9)))
    assert smoother.resets == 2


def test_the_flow_smoother_follows_the_network_that_runs() -> None:
    from types import SimpleNamespace

    from stylecam.smoothing import make_smoother

    def network(arch: str):
        net = as_network(constant(0))
        net.info = SimpleNamespace(arch=arch)  # type: ignore[attr-defined]
        return net

    smoother = make_smoother("flow")
    step = StylizeStep(network("paint"), smoother)
    assert smoother.detail == "fine"  # the painting network's texture needs the finer flow
    step.switch(network("fast"), fade_s=0.5)
    assert smoother.detail == "fast"  # the live network keeps the cheap one
    step.switch(as_network(constant(3)))  # a plain function: nothing known, the cheap one
    assert smoother.detail == "fast"
    step.switch(network("quality"))
    assert smoother.detail == "fine"
    step.close()


def test_a_plain_function_runs_at_the_frame_size_and_keeps_its_device() -> None:
    net = as_network(constant(7, device="cuda"))
    assert isinstance(net, WholeFrameNetwork) and net.device == "cuda"
    assert as_network(net) is net  # a network already
    step = StylizeStep(net, None)
    out = step(Frame(index=0, image=np.zeros((5, 9, 3), np.uint8), time=0.0))
    assert out.shape == (5, 9, 3) and (out == 7).all() and step.processing_size == (9, 5)
