"""stylecam.paths: the per-user folders on Linux, macOS and Windows, with a faked platform."""

import sys
from pathlib import Path

import pytest

from stylecam import paths


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("USERPROFILE", str(tmp_path))
    for name in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "APPDATA", "LOCALAPPDATA"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_linux_follows_xdg_and_ignores_empty_or_relative_values(home, monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    assert paths.user_data_dir() == home / ".local" / "share" / "stylecam"
    assert paths.user_cache_dir() == home / ".cache" / "stylecam"
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    assert paths.user_data_dir() == home / "data" / "stylecam"
    assert paths.user_cache_dir() == home / "cache" / "stylecam"
    monkeypatch.setenv("XDG_DATA_HOME", "")
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    assert paths.user_data_dir() == home / ".local" / "share" / "stylecam"
    assert paths.user_cache_dir() == home / ".cache" / "stylecam"


def test_macos_uses_library(home, monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "ignored"))
    assert paths.user_data_dir() == home / "Library" / "Application Support" / "stylecam"
    assert paths.user_cache_dir() == home / "Library" / "Caches" / "stylecam"


def test_windows_uses_appdata_and_localappdata(home, monkeypatch):
    monkeypatch.setattr(sys, "platform", "win32")
    assert paths.user_data_dir() == home / "AppData" / "Roaming" / "stylecam"
    assert paths.user_cache_dir() == home / "AppData" / "Local" / "stylecam"
    monkeypatch.setenv("APPDATA", str(home / "roam"))
    monkeypatch.setenv("LOCALAPPDATA", str(home / "local"))
    assert paths.user_data_dir() == home / "roam" / "stylecam"
    assert paths.user_cache_dir() == home / "local" / "stylecam"


@pytest.mark.parametrize("platform", ["linux", "darwin", "win32"])
def test_models_demo_and_tensorrt_folders_come_from_paths(home, monkeypatch, platform):
    from stylecam import demo, models, providers

    monkeypatch.setattr(sys, "platform", platform)
    assert models.user_models_dir() == paths.user_data_dir() / "models"
    assert providers.trt_cache_dir() == paths.user_cache_dir() / "tensorrt"
    assert demo.demo_cache_dir() == paths.user_cache_dir()
    assert Path(demo.demo_cache_dir()).is_dir()
