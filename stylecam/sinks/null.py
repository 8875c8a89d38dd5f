"""A sink that discards frames and counts them (benchmarks, ``-o -``)."""

from __future__ import annotations

import numpy as np

from ..frames import Frame, StreamInfo

__all__ = ["NullSink"]


class NullSink:
    """Discards frames (for benchmarks); counts them."""

    inline = False

    def __init__(self) -> None:
        self.count = 0

    def open(self, info: StreamInfo) -> None:
        self.count = 0

    def write(self, frame: Frame, image: np.ndarray) -> None:
        self.count += 1

    def close(self) -> None:
        pass

    @property
    def stopped(self) -> bool:
        return False
