"""Video files in (stylecam.sources.video): decode in order, or paced as a live source and looped."""

from __future__ import annotations

import time
from fractions import Fraction

import av
import numpy as np
import pytest
from conftest import frame_code, make_clip

from stylecam.errors import InputError
from stylecam.sources.probe import probe
from stylecam.sources.video import VideoFileSource
from stylecam.streams import Source


def test_source_yields_every_frame_in_order(tmp_path):
    clip = make_clip(tmp_path / "a.mp4", 20, (96, 64), 25, audio=True)
    src = VideoFileSource(clip)
    assert isinstance(src, Source)
    info = src.open()
    assert not src.live and not info.live
    assert (info.width, info.height, info.fps, info.frame_count) == (96, 64, 25.0, 20)
    assert info.audio_path == str(clip) and info.time_base == Fraction(1, 25)
    frames = list(iter(src.read, None))
    assert [f.index for f in frames] == list(range(20))
    assert [frame_code(f.image) for f in frames] == list(range(20))
    assert [f.pts for f in frames] == pytest.approx([i / 25 for i in range(20)])
    image = frames[0].image
    assert image.dtype == np.uint8 and image.shape == (64, 96, 3) and image.flags.c_contiguous
    assert src.read() is None
    src.close()
    src.close()
    assert src.read() is None


def test_truncated_file_delivers_frames_then_raises(tmp_path):
    clip = make_clip(tmp_path / "full.mp4", 40, (96, 64), 25, audio=False)
    data = clip.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) * 6 // 10])
    pr = probe(cut)
    assert pr.truncated and 0 < pr.frame_count < 40 and pr.declared_frames == 40
    src = VideoFileSource(cut)
    src.open()
    codes = []
    with pytest.raises(
        InputError, match=r"cut\.mp4.*truncated: \d+ of its 40 frames could be decoded"
    ) as err:
        while (frame := src.read()) is not None:
            codes.append(frame_code(frame.image))
    # every frame the file holds is delivered, and the message gives that number
    assert len(codes) == pr.frame_count and codes == list(range(len(codes)))
    assert f"{len(codes)} of its 40" in str(err.value)
    assert src.read() is None
    src.close()


def test_unfinished_mp4_without_index_is_an_input_error(tmp_path):
    clip = make_clip(tmp_path / "full.mov", 10, (64, 48), 25, audio=False)
    plain = tmp_path / "plain.mp4"
    with av.open(str(clip)) as c_in, av.open(str(plain), "w") as c_out:  # index at the end
        stream = c_out.add_stream_from_template(c_in.streams.video[0])
        for packet in c_in.demux(c_in.streams.video[0]):
            if packet.size:
                packet.stream = stream
                c_out.mux(packet)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(plain.read_bytes()[: plain.stat().st_size // 2])  # the index (moov) is lost
    with pytest.raises(InputError, match="cannot read"):
        VideoFileSource(cut).open()


def test_realtime_source_paces_at_fps_and_loops(tmp_path):
    clip = make_clip(tmp_path / "a.mkv", 5, (64, 48), 50, audio=False)
    src = VideoFileSource(clip, realtime=True, loop=True)
    info = src.open()
    assert src.live and info.live and info.frame_count is None
    start = time.perf_counter()
    frames = [src.read() for _ in range(13)]
    elapsed = time.perf_counter() - start
    src.close()
    assert elapsed >= 12 / 50 * 0.9  # 12 frame periods after the first, never faster than the file
    assert [f.index for f in frames] == list(range(13))
    assert [frame_code(f.image) for f in frames] == [i % 5 for i in range(13)]
    assert [f.pts for f in frames] == pytest.approx([i / 50 for i in range(13)])
    assert src.read() is None


def test_loop_without_realtime_wraps_immediately(tmp_path):
    clip = make_clip(tmp_path / "a.mp4", 3, (64, 48), 25, audio=False)
    with VideoFileSource(clip, loop=True) as src:
        codes = [frame_code(src.read().image) for _ in range(7)]
    assert codes == [0, 1, 2, 0, 1, 2, 0]
