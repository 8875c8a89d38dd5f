"""stylecam: live video into moving paintings.

The runtime (this package, minus :mod:`stylecam.training`) needs numpy, OpenCV,
ONNX Runtime and PyAV, and never imports torch.

Example:
    >>> import stylecam  # doctest: +SKIP
    >>> stylize = stylecam.Stylizer("starry-night")  # doctest: +SKIP
    >>> painted = stylize(frame)  # uint8 BGR in, uint8 BGR out  # doctest: +SKIP
"""

from __future__ import annotations

from .engine import Stylizer
from .errors import DeviceError, InputError, ModelError, OutputError, StylecamError
from .models import ModelInfo, find_model, list_models

__version__ = "0.1.0"

__all__ = [
    "DeviceError",
    "InputError",
    "ModelError",
    "ModelInfo",
    "OutputError",
    "StylecamError",
    "Stylizer",
    "__version__",
    "find_model",
    "list_models",
]
