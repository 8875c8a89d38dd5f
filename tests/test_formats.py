"""stylecam.formats: one list of image suffixes for the sources, the sinks and training."""

import pytest

from stylecam.errors import OutputError
from stylecam.formats import IMAGE_SUFFIXES, TRAINING_IMAGE_SUFFIXES, WRITABLE_IMAGE_SUFFIXES
from stylecam.sinks import ImageSink


def test_what_is_written_is_read_and_training_reads_the_writable_ones():
    assert set(WRITABLE_IMAGE_SUFFIXES) <= IMAGE_SUFFIXES
    assert set(WRITABLE_IMAGE_SUFFIXES) == TRAINING_IMAGE_SUFFIXES
    assert all(s.startswith(".") and s == s.lower() for s in IMAGE_SUFFIXES)


def test_the_image_sink_names_the_writable_suffixes(tmp_path):
    with pytest.raises(OutputError) as e:
        ImageSink(tmp_path / "out.exr", single=True)
    assert e.value.hint == "end -o with .png, .jpg, .jpeg, .bmp, .webp, .tif or .tiff"
