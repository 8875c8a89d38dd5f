"""One open function for every kind of source (stylecam.sources.open_source)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from conftest import make_clip

from stylecam.camera import CameraSource
from stylecam.errors import InputError
from stylecam.sources import SOURCES, ImageSource, VideoFileSource, open_source, source_kind


def test_each_spec_opens_its_kind(tmp_path):
    clip = make_clip(tmp_path / "clip.mp4", 3, (32, 24), 25, audio=False)
    photo = tmp_path / "photo.png"
    cv2.imwrite(str(photo), np.zeros((8, 8, 3), np.uint8))
    assert set(SOURCES) == {"camera", "video", "images"}
    video = open_source(clip)
    assert isinstance(video, VideoFileSource) and not video.live
    paced = open_source(str(clip), live=True, loop=True)
    assert isinstance(paced, VideoFileSource) and paced.live and paced.loop
    for spec in (photo, tmp_path, [photo, photo]):
        assert isinstance(open_source(spec), ImageSource)
    cam = open_source(3, camera_size=(640, 480), camera_fps=15)
    assert isinstance(cam, CameraSource)
    assert source_kind("/dev/video9") == "camera" and source_kind(photo, live=True) == "video"


def test_live_refuses_a_missing_file_a_folder_and_a_bad_camera_rate(tmp_path):
    with pytest.raises(InputError, match="file not found") as err:
        open_source(str(tmp_path / "nope.mp4"), live=True)
    assert err.value.hint == "give a camera index (0, 1, ...) or a video file"
    with pytest.raises(InputError, match="is a folder") as err:
        open_source(str(tmp_path), live=True)
    assert "for images use 'stylecam image'" in err.value.hint
    with pytest.raises(InputError, match="bad --camera-fps 0"):
        open_source(0, live=True, camera_fps=0)
