"""Clips and a model for the batch tests: short videos with sound and a keyframe every few frames."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
from conftest import AUDIO_RATE, clip_image


def make_gop_clip(
    path: Path, n_frames: int, size: tuple[int, int] = (96, 64), fps: int = 25, gop: int = 12
) -> Path:
    """A clip of moving coded stripes with a 440 Hz tone (AAC) and a keyframe every ``gop`` frames."""
    import av

    width, height = size
    rate = Fraction(fps)
    with av.open(str(path), "w", options={"movflags": "+faststart"}) as container:
        video = container.add_stream("libx264", rate=rate)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"crf": "12", "preset": "ultrafast", "g": str(gop), "keyint_min": str(gop)}
        audio = container.add_stream("aac", rate=AUDIO_RATE, layout="mono")
        for i in range(n_frames):
            frame = av.VideoFrame.from_ndarray(clip_image(i, width, height), format="bgr24")
            frame.pts, frame.time_base = i, 1 / rate
            container.mux(video.encode(frame))
        t = np.arange(round(n_frames / fps * AUDIO_RATE)) / AUDIO_RATE
        samples = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
        for k in range(0, len(samples), 1024):
            frame = av.AudioFrame.from_ndarray(samples[None, k : k + 1024], format="flt", layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = AUDIO_RATE, k, Fraction(1, AUDIO_RATE)
            container.mux(audio.encode(frame))
        container.mux(audio.encode(None))
        container.mux(video.encode(None))
    return path
