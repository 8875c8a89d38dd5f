"""stylecam.formats: one list of image (and video) suffixes for the sources, the sinks, batch and training."""

import pytest

from stylecam.errors import OutputError
from stylecam.formats import (
    FOLDER_IMAGE_FORMATS,
    IMAGE_SUFFIXES,
    JPEG_SUFFIXES,
    TRAINING_IMAGE_SUFFIXES,
    VIDEO_SUFFIXES,
    WRITABLE_IMAGE_SUFFIXES,
)
from stylecam.sinks import ImageSink


def test_what_is_written_is_read_and_training_reads_the_writable_ones():
    assert set(WRITABLE_IMAGE_SUFFIXES) <= IMAGE_SUFFIXES
    assert set(WRITABLE_IMAGE_SUFFIXES) == TRAINING_IMAGE_SUFFIXES
    assert all(s.startswith(".") and s == s.lower() for s in IMAGE_SUFFIXES)


def test_the_image_sink_names_the_writable_suffixes(tmp_path):
    with pytest.raises(OutputError) as e:
        ImageSink(tmp_path / "out.exr", single=True)
    assert e.value.hint == "end -o with .png, .jpg, .jpeg, .bmp, .webp, .tif or .tiff"


def test_folder_formats_jpeg_and_video_suffixes_fit_the_image_lists():
    assert FOLDER_IMAGE_FORMATS == (".png", ".jpg") and set(FOLDER_IMAGE_FORMATS) <= set(
        WRITABLE_IMAGE_SUFFIXES
    )
    assert JPEG_SUFFIXES.issubset(WRITABLE_IMAGE_SUFFIXES)
    assert ".mp4" in VIDEO_SUFFIXES and not VIDEO_SUFFIXES & IMAGE_SUFFIXES
