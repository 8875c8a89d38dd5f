"""stylecam: live video into moving paintings.

The runtime (this package, minus :mod:`stylecam.training`) needs numpy, OpenCV,
ONNX Runtime and PyAV, and never imports torch.

Example:
    >>> import stylecam  # doctest: +SKIP
    >>> stylecam.stylize_video("in.mp4", "out.mp4", style="udnie").frames  # doctest: +SKIP
    240
    >>> stylize = stylecam.Stylizer("starry-night")  # doctest: +SKIP
    >>> painted = stylize(frame)  # uint8 BGR in, uint8 BGR out  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import DeviceError, InputError, ModelError, OutputError, StylecamError

if TYPE_CHECKING:
    from .api import ImageOptions, Result, VideoOptions, stylize_image, stylize_video
    from .engine import Stylizer
    from .models import ModelInfo, find_model, list_models

__version__ = "0.1.0"

#: imported on first use, so that ``import stylecam`` (and the command's start) stays light
_LAZY = {
    "ImageOptions": "api",
    "ModelInfo": "models",
    "Result": "api",
    "Stylizer": "engine",
    "VideoOptions": "api",
    "find_model": "models",
    "list_models": "models",
    "stylize_image": "api",
    "stylize_video": "api",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'stylecam' has no attribute {name!r}")


__all__ = [
    "DeviceError",
    "ImageOptions",
    "InputError",
    "ModelError",
    "ModelInfo",
    "OutputError",
    "Result",
    "StylecamError",
    "Stylizer",
    "VideoOptions",
    "__version__",
    "find_model",
    "list_models",
    "stylize_image",
    "stylize_video",
]
