"""Registry: names, paths, search folders, metadata."""

from __future__ import annotations

import pytest
from conftest import make_model

from stylecam.errors import ModelError
from stylecam.models import find_model, list_models, read_metadata, user_models_dir


def test_find_by_name_path_and_stem(models_dir):
    by_name = find_model("invert")
    assert by_name.path == models_dir / "invert.onnx" and by_name.origin == "env"
    assert find_model(str(models_dir / "pool4.onnx")).name == "pool4"
    assert find_model(models_dir / "constant.onnx").meta["title"] == "Test constant"


def test_unknown_style_lists_known_ones(models_dir):
    with pytest.raises(ModelError) as err:
        find_model("no-such-style")
    text = err.value.one_line()
    assert "no-such-style" in text and "invert" in text and "identity" in text


def test_missing_path(models_dir, tmp_path):
    with pytest.raises(ModelError):
        find_model(str(tmp_path / "nope.onnx"))


def test_user_dir_and_metadata_name(models_dir, tmp_path):
    user = user_models_dir()
    assert str(user).startswith(str(tmp_path / "xdg"))
    make_model(user / "file-stem.onnx", "invert", name="pretty-name", extra_meta={"artist": "Someone"})
    info = find_model("pretty-name")
    assert info.origin == "user" and info.artist == "Someone"
    assert find_model("file-stem").name == "pretty-name"
    names = [m.name for m in list_models()]
    assert "pretty-name" in names and "invert" in names


def test_broken_file_in_folder_does_not_hide_others(models_dir):
    (models_dir / "broken.onnx").write_bytes(b"garbage")
    names = [m.name for m in list_models()]
    assert "invert" in names and "broken" not in names
    with pytest.raises(ModelError):
        read_metadata(models_dir / "broken.onnx")
