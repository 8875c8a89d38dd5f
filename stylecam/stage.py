"""The processing stage of every run: to the processing size, the network(s), the smoother, back.

One :class:`StylizeStep` serves ``stylecam video``, ``stylecam image``, the library API and ``stylecam
live``: it owns the network that runs (and, during a crossfade, the one faded from), the temporal
smoother, the crossfade itself and, on a GPU, the overlap of the motion estimate with inference.
The pipeline drives it through the :class:`~stylecam.streams.Stage` protocol: ``open(info)`` when the
stream starts, one call per frame, ``close()`` at the end.

Example:
    >>> step = StylizeStep(Stylizer("udnie"), make_smoother("flow"))  # doctest: +SKIP
    >>> step.open(info)  # doctest: +SKIP
    >>> painted = step(frame)  # a Frame in, the stylized uint8 BGR image out  # doctest: +SKIP
    >>> step.switch(Stylizer("the-scream"), fade_s=0.5)  # doctest: +SKIP
    >>> step.close()  # doctest: +SKIP
"""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import cv2
import numpy as np

from .frames import Frame, StreamInfo


class Network(Protocol):
    """What the step needs of a network (a :class:`~stylecam.engine.Stylizer`): ``__call__`` in steps."""

    device: str

    def to_processing_size(self, frame: np.ndarray) -> np.ndarray: ...

    def stylize_resized(self, x: np.ndarray) -> np.ndarray: ...

    def to_frame_size(self, y: np.ndarray, width: int, height: int) -> np.ndarray: ...


class WholeFrameNetwork:
    """A plain ``image -> image`` function as a :class:`Network` that runs at the frame's size.

    ``device``, ``name`` and ``precision`` are read from the function when it has them.
    """

    def __init__(self, fn: Callable[[np.ndarray], np.ndarray]) -> None:
        self.fn = fn
        self.device = str(getattr(fn, "device", "cpu") or "cpu")
        self.name = getattr(fn, "name", None)
        self.precision = getattr(fn, "precision", "")

    def to_processing_size(self, frame: np.ndarray) -> np.ndarray:
        return frame

    def stylize_resized(self, x: np.ndarray) -> np.ndarray:
        return self.fn(x)

    def to_frame_size(self, y: np.ndarray, width: int, height: int) -> np.ndarray:
        if (y.shape[1], y.shape[0]) == (width, height):
            return y
        return cv2.resize(y, (width, height), interpolation=cv2.INTER_LINEAR)


def as_network(net: Any) -> Network:
    """``net`` itself when it runs in the three steps of a :class:`Network` (a
    :class:`~stylecam.engine.Stylizer`), else the ``image -> image`` function as a
    :class:`WholeFrameNetwork`."""
    if all(hasattr(net, m) for m in ("to_processing_size", "stylize_resized", "to_frame_size")):
        return net
    return WholeFrameNetwork(net)


def blend(a: np.ndarray, b: np.ndarray, weight_b: float) -> np.ndarray:
    """``(1 - w) * a + w * b``, rounded; ``w`` is clamped to ``[0, 1]`` and the ends return ``a`` or ``b``."""
    w = min(1.0, max(0.0, float(weight_b)))
    if w <= 0.0:
        return a
    if w >= 1.0:
        return b
    return cv2.addWeighted(b, w, a, 1.0 - w, 0.0)


def flow_detail(net: object) -> str:
    """The flow smoother's detail for a network (:data:`~stylecam.smoothing.FLOW_DETAILS`): ``fine``
    for a painting network, ``fast`` for a live (``fast``) network or a plain function."""
    arch = getattr(getattr(net, "info", None), "arch", None)
    return "fine" if arch and arch != "fast" else "fast"


def one_network(a: object, b: object) -> bool:
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


class StylizeStep:
    """The processing stage: the network (or a crossfade of two), then the temporal smoother.

    ``stylizer`` is a :class:`~stylecam.engine.Stylizer` (its three steps: to the processing size,
    stylize, back to the frame size; the smoother works between the last two, on the small picture).
    It may be ``None`` until :meth:`switch` gives the first one (the live tool loads styles later).

    When the network runs on a GPU, a smoother with ``prepare``/``apply`` (the flow smoother) computes
    the motion of frame *t* on a helper thread while the network stylizes frame *t* (both release the
    GIL), and only the blend stays on the critical path. On the CPU the network already keeps every core
    busy and the overlap does not pay: measured on the 2-core build machine, +3 % at 640x360 and -9 % at
    1280x720, so there it runs in sequence (``overlap`` forces either way). The choice follows the device
    of the network that runs.

    :meth:`switch` changes the network; with ``fade_s`` the old one fades out over that many seconds of
    ``clock`` (two styles of one multi-style network fade by their weights in one run; otherwise both
    networks run during the fade).

    A flow smoother follows the network: the painting network's finer texture gets the finer flow
    (``detail="fine"``), a live network the cheap one (:func:`flow_detail`).
    """

    def __init__(
        self,
        stylizer: Network | None,
        smoother: Any = None,
        overlap: bool | None = None,
        *,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.stylizer = stylizer
        self.smoother = smoother
        self._match_smoother()
        self.overlap = overlap
        self.clock = clock
        self.smooth_s = 0.0
        self.info: StreamInfo | None = None
        #: the network a crossfade comes from (``None``: no crossfade running)
        self.fade_from: Network | None = None
        self.fade_s = 0.0
        self._fade_start = 0.0
        #: (width, height) the network last ran at (``size="auto"`` may pick less than the frame size)
        self.processing_size: tuple[int, int] | None = None
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        if self.overlaps:  # its thread starts with the first frame
            self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="stylecam-motion")

    # ------------------------------------------------------------------ the Stage protocol

    def open(self, info: StreamInfo) -> None:
        """A new stream starts: the smoother forgets the last one."""
        self.info = info
        self.reset()

    def __call__(self, frame: Frame) -> np.ndarray:
        """The stylized picture of one frame (see :meth:`stylize`)."""
        return self.stylize(frame.image)

    def close(self) -> None:
        """Stop the helper thread; safe to call twice."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    # ------------------------------------------------------------------ control

    @property
    def overlaps(self) -> bool:
        """Whether the motion of the next frame is computed on a helper thread during inference."""
        sm = self.smoother
        if sm is None or not (hasattr(sm, "prepare") and hasattr(sm, "apply")):
            return False
        if self.overlap is not None:
            return self.overlap
        return getattr(self.stylizer, "device", "cpu") != "cpu"

    @property
    def fading(self) -> bool:
        """Whether a crossfade from the previous network is running."""
        return self.fade_from is not None

    def reset(self) -> None:
        """Let the smoother forget the past (a cut: a new style, a mirrored or resumed picture)."""
        if self.smoother is not None:
            self.smoother.reset()

    def switch(self, stylizer: Network, fade_s: float = 0.0) -> None:
        """Run ``stylizer`` from the next frame on, fading from the current one over ``fade_s`` seconds."""
        previous, self.stylizer = self.stylizer, stylizer
        if fade_s > 0 and previous is not None and previous is not stylizer:
            self.fade_from, self.fade_s, self._fade_start = previous, float(fade_s), self.clock()
        else:
            self.fade_from = None
        self._match_smoother()
        self.reset()

    def _match_smoother(self) -> None:
        """Give the flow smoother the detail the running network needs (:func:`flow_detail`)."""
        if self.stylizer is not None and hasattr(self.smoother, "detail"):
            self.smoother.detail = flow_detail(self.stylizer)

    # ------------------------------------------------------------------ the work

    def _fade_weight(self) -> float:
        """The weight of the new network in the running crossfade (1: done, and the fade ends)."""
        if self.fade_from is None:
            return 1.0
        w = (self.clock() - self._fade_start) / self.fade_s if self.fade_s > 0 else 1.0
        if w >= 1.0:
            self.fade_from = None
            return 1.0
        return w

    def _networks(self, small: np.ndarray) -> np.ndarray:
        """The network's picture of ``small`` (a crossfade of two during a fade), at the processing size."""
        current = self.stylizer
        assert current is not None, "StylizeStep has no network yet: call switch() first"
        w = self._fade_weight()
        previous = self.fade_from
        if previous is None:
            return current.stylize_resized(small)
        if one_network(previous, current):
            # two styles of one multi-style network: the crossfade is a blend of their weights, one run
            own: Sequence[float] = current.info.style_weights  # type: ignore[attr-defined]
            old = previous.info.style_weights  # type: ignore[attr-defined]
            current.set_style_weights([(1.0 - w) * a + w * b for a, b in zip(old, own, strict=True)])  # type: ignore[attr-defined]
            try:
                return current.stylize_resized(small)
            finally:
                current.set_style_weights(own)  # type: ignore[attr-defined]
        out = current.stylize_resized(small)
        return blend(previous.stylize_resized(small), out, w)

    def _prepare(self, image: np.ndarray) -> tuple[Any, float]:
        t0 = time.perf_counter()
        motion = self.smoother.prepare(image)
        return motion, time.perf_counter() - t0

    def stylize(self, image: np.ndarray) -> np.ndarray:
        """One ``uint8`` BGR picture in, its stylized and smoothed picture at the same size out."""
        st = self.stylizer
        assert st is not None, "StylizeStep has no network yet: call switch() first"
        # smooth at the processing size, then scale up once: with --size 640x360 on a 1080p file the
        # warp and blend touch a ninth of the pixels
        small = st.to_processing_size(image)
        self.processing_size = (small.shape[1], small.shape[0])
        pending = None
        if self.overlaps:
            if self._pool is None:
                self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="stylecam-motion")
            pending = self._pool.submit(self._prepare, small)
        try:
            out = self._networks(small)
        except BaseException:
            if pending is not None:
                concurrent.futures.wait([pending])  # never leave it running past this frame
            raise
        if self.smoother is not None:
            t0 = time.perf_counter()
            if pending is None:
                out = self.smoother.update(small, out)
            else:
                motion, prep_s = pending.result()
                out = self.smoother.apply(motion, out)
                self.smooth_s += prep_s
            self.smooth_s += time.perf_counter() - t0
        return st.to_frame_size(out, image.shape[1], image.shape[0])

    def stage_ms(self) -> dict[str, float]:
        """Milliseconds per frame in each part of the step (pre-processing, inference, ...)."""
        t = self.stylizer.timings  # type: ignore[union-attr]
        n = max(1, t["frames"])
        return {
            "preprocess": round(1000 * t["pre"] / n, 2),
            "inference": round(1000 * t["infer"] / n, 2),
            "postprocess": round(1000 * t["post"] / n, 2),
            "smoothing": round(1000 * self.smooth_s / n, 2),
        }
