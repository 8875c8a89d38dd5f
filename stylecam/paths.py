"""The per-user folders stylecam writes to, on Linux, macOS and Windows, in one place.

============  ==========================================  ===================================
              :func:`user_data_dir` (models)              :func:`user_cache_dir` (demo clip,
                                                          TensorRT engines)
============  ==========================================  ===================================
Linux, BSD    ``$XDG_DATA_HOME/stylecam``                 ``$XDG_CACHE_HOME/stylecam``
              (``~/.local/share/stylecam``)               (``~/.cache/stylecam``)
macOS         ``~/Library/Application Support/stylecam``  ``~/Library/Caches/stylecam``
Windows       ``%APPDATA%\\stylecam``                       ``%LOCALAPPDATA%\\stylecam``
============  ==========================================  ===================================

As the XDG base-directory specification asks, an ``XDG_*`` variable that is empty or not an
absolute path is ignored. Nothing here creates a folder.

Example:
    >>> from stylecam.paths import user_cache_dir
    >>> user_cache_dir().name
    'stylecam'
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "stylecam"


def _env_dir(name: str, *, absolute: bool) -> Path | None:
    value = os.environ.get(name, "")
    if not value or (absolute and not os.path.isabs(value)):
        return None
    return Path(value)


def user_data_dir() -> Path:
    """Where stylecam keeps what the user made (trained models go in ``models/`` below it)."""
    if sys.platform.startswith("win"):
        base = _env_dir("APPDATA", absolute=False) or Path.home() / "AppData" / "Roaming"
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = _env_dir("XDG_DATA_HOME", absolute=True) or Path.home() / ".local" / "share"
    return base / APP_NAME


def user_cache_dir() -> Path:
    """Where stylecam keeps what it can make again (the demo clip, TensorRT engine caches)."""
    if sys.platform.startswith("win"):
        base = _env_dir("LOCALAPPDATA", absolute=False) or Path.home() / "AppData" / "Local"
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = _env_dir("XDG_CACHE_HOME", absolute=True) or Path.home() / ".cache"
    return base / APP_NAME
