"""The processing stage of image and video runs: to the processing size, the network, the smoother, back.

Example:
    >>> step = StylizeStep(Stylizer("udnie"), make_smoother("flow"))  # doctest: +SKIP
    >>> painted = step(frame)  # a Frame in, the stylized uint8 BGR image out  # doctest: +SKIP
    >>> step.close()  # doctest: +SKIP
"""

from __future__ import annotations

import concurrent.futures
import time

import numpy as np

from .frames import Frame


class StylizeStep:
    """The processing stage of image and video runs: the network, then the temporal smoother.

    ``stylizer`` is a :class:`~stylecam.engine.Stylizer` (its three steps: to the processing size,
    stylize, back to the frame size; the smoother works between the last two).

    When the network runs on a GPU, a smoother with ``prepare``/``apply`` (the flow smoother) computes
    the motion of frame *t* on a helper thread while the network stylizes frame *t* (both release the
    GIL), and only the blend stays on the critical path. On the CPU the network already keeps every core
    busy and the overlap does not pay: measured on the 2-core build machine, +3 % at 640x360 and -9 % at
    1280x720, so there it runs in sequence (``overlap`` forces either way).
    """

    def __init__(self, stylizer, smoother, overlap: bool | None = None) -> None:
        self.stylizer = stylizer
        self.smoother = smoother
        self.smooth_s = 0.0
        self._pool = None
        if overlap is None:
            overlap = getattr(stylizer, "device", "cpu") != "cpu"
        if overlap and smoother is not None and hasattr(smoother, "prepare") and hasattr(smoother, "apply"):
            self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="stylecam-motion")

    def _prepare(self, image: np.ndarray):
        t0 = time.perf_counter()
        motion = self.smoother.prepare(image)
        return motion, time.perf_counter() - t0

    def __call__(self, frame: Frame) -> np.ndarray:
        image, st = frame.image, self.stylizer
        if self.smoother is None:
            return st(image)
        # smooth at the processing size, then scale up once: with --size 640x360 on a 1080p file the
        # warp and blend touch a ninth of the pixels
        small = st.to_processing_size(image)
        pending = self._pool.submit(self._prepare, small) if self._pool is not None else None
        try:
            out = st.stylize_resized(small)
        except BaseException:
            if pending is not None:
                concurrent.futures.wait([pending])  # never leave it running past this frame
            raise
        t0 = time.perf_counter()
        if pending is None:
            out = self.smoother.update(small, out)
        else:
            motion, prep_s = pending.result()
            out = self.smoother.apply(motion, out)
            self.smooth_s += prep_s
        self.smooth_s += time.perf_counter() - t0
        return st.to_frame_size(out, image.shape[1], image.shape[0])

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def stage_ms(self) -> dict[str, float]:
        t = self.stylizer.timings
        n = max(1, t["frames"])
        return {
            "preprocess": round(1000 * t["pre"] / n, 2),
            "inference": round(1000 * t["infer"] / n, 2),
            "postprocess": round(1000 * t["post"] / n, 2),
            "smoothing": round(1000 * self.smooth_s / n, 2),
        }
