import pytest

from stylecam.errors import InputError
from stylecam.sizes import parse_camera_size, parse_size, parse_sizes_list, parse_wh


def test_parse_wh_accepts_the_usual_spellings_and_nothing_else():
    assert parse_wh("640x360") == parse_wh(" 640 X 360 ") == parse_wh("640×360") == (640, 360)
    assert parse_wh("640*360") == (640, 360)
    for bad in (None, "", "720p", "640", "0x360", "640x0", "640x360x3", "-1x5", "axb"):
        assert parse_wh(bad) is None


def test_parse_size_forms_and_message():
    assert parse_size("1280x720") == (1280, 720)
    assert parse_size("1080P") == 1080 and parse_size("500p") == 500 and parse_size("480") == 480
    assert parse_size("") is None and parse_size("FULL") is None and parse_size("auto") == "auto"
    with pytest.raises(InputError) as e:
        parse_size("0x5")
    assert str(e.value).startswith("bad --size '0x5'")


def test_camera_size_and_bench_sizes():
    assert parse_camera_size(" 1280x720 ") == (1280, 720) and parse_camera_size("  ") is None
    with pytest.raises(InputError, match="bad --camera-size '720p'"):
        parse_camera_size("720p")
    assert parse_sizes_list("640x360,,1280x720") == [(640, 360), (1280, 720)]
    with pytest.raises(InputError, match="bad --sizes 'big'"):
        parse_sizes_list("640x360,big")


def test_the_model_reads_its_recommended_size_with_the_same_parser():
    from pathlib import Path

    from stylecam.models import ModelInfo

    def info(value: str) -> ModelInfo:
        return ModelInfo(path=Path("m.onnx"), name="m", origin="path", meta={"recommended_size": value})

    assert info("640x360").recommended_size == (640, 360)
    assert info("tiny").recommended_size is None and info("").recommended_size is None
