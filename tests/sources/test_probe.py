"""What a video file holds (stylecam.sources.probe): size, rotation, exact rate and count, and the reasons a file is not a video."""

from __future__ import annotations

from fractions import Fraction

import av
import cv2
import numpy as np
import pytest
from conftest import frame_code, make_clip

from stylecam.errors import InputError
from stylecam.sources.probe import probe
from stylecam.sources.video import VideoFileSource


def test_probe_reports_size_rate_count_and_audio(tmp_path):
    clip = make_clip(tmp_path / "a.mp4", 30, (96, 64), 25, audio=True)
    pr = probe(clip)
    assert (pr.width, pr.height, pr.rotation) == (96, 64, 0)
    assert pr.fps == 25.0 and pr.rate == 25
    assert pr.frame_count == 30
    assert pr.duration == pytest.approx(1.2, abs=0.01)
    assert pr.has_audio and pr.audio_codec == "aac" and pr.video_codec == "h264"


def test_probe_counts_packets_in_mkv_and_keeps_ntsc_rate_exact(tmp_path):
    clip = make_clip(tmp_path / "ntsc.mkv", 12, (96, 64), Fraction(30000, 1001), audio=False)
    pr = probe(clip)
    assert pr.frame_count == 12  # Matroska has no frame count: counted by demuxing
    assert pr.rate == Fraction(30000, 1001)
    assert not pr.has_audio and pr.audio_codec is None


def test_probe_and_source_apply_rotation(tmp_path):
    clip = make_clip(tmp_path / "rot.mp4", 4, (96, 64), 25, audio=False, rotation=90)
    pr = probe(clip)
    assert (pr.width, pr.height, pr.rotation) == (64, 96, 90)
    with VideoFileSource(clip) as src:
        assert (src.info.width, src.info.height, src.info.rotation) == (64, 96, 90)
        frame = src.read()
    assert frame.image.shape == (96, 64, 3)
    # Turned back counter-clockwise, the picture is the coded one again (code strip on top).
    assert frame_code(cv2.rotate(frame.image, cv2.ROTATE_90_COUNTERCLOCKWISE)) == 0


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("notes.txt", b"just some text\n", "text file"),
        ("notes.mp4", b"this is not a video at all\n" * 20, "text file"),
        ("empty.mp4", b"", "empty"),
        ("garbage.mp4", bytes(range(256)) * 64, "cannot read"),
    ],
)
def test_probe_rejects_files_that_are_not_videos(tmp_path, name, content, needle):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=needle) as err:
        probe(path)
    assert err.value.hint and "\n" not in str(err.value)


def test_probe_rejects_missing_file_image_audio_only_and_zero_frames(tmp_path):
    with pytest.raises(InputError, match="not found"):
        probe(tmp_path / "nope.mp4")
    image = tmp_path / "picture.jpg"
    cv2.imwrite(str(image), np.zeros((32, 32, 3), np.uint8))
    with pytest.raises(InputError, match="is an image"):
        probe(image)
    audio_only = tmp_path / "song.m4a"
    with av.open(str(audio_only), "w") as c:
        stream = c.add_stream("aac", rate=48000, layout="mono")
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="flt", layout="mono")
        frame.sample_rate, frame.pts = 48000, 0
        c.mux(stream.encode(frame))
        c.mux(stream.encode(None))
    with pytest.raises(InputError, match="no video stream"):
        probe(audio_only)
    zero = make_clip(tmp_path / "zero.mkv", 0, (64, 48), 25, audio=True, audio_seconds=0.5)
    with pytest.raises(InputError, match="no video frames"):
        probe(zero)
    with pytest.raises(InputError, match="folder"):
        VideoFileSource(tmp_path).open()
