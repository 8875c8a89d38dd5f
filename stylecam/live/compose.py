"""What the live tool does to the stylized picture after the network: colours, strength, split view."""

from __future__ import annotations

import cv2
import numpy as np

from ..stage import blend


def keep_colors(original: np.ndarray, stylized: np.ndarray) -> np.ndarray:
    """The stylized luminance with the original chroma (in YCrCb): a style's brushwork in the scene's colours."""
    y = cv2.cvtColor(stylized, cv2.COLOR_BGR2YCrCb)
    ycc = cv2.cvtColor(original, cv2.COLOR_BGR2YCrCb)
    ycc[..., 0] = y[..., 0]
    return cv2.cvtColor(ycc, cv2.COLOR_YCrCb2BGR)


def divider_columns(width: int) -> tuple[int, int]:
    """The columns ``[start, stop)`` of the split-view divider line for an image ``width`` wide."""
    thickness = max(2, width // 320)
    start = width // 2 - thickness // 2
    return start, start + thickness


def split_view(original: np.ndarray, stylized: np.ndarray) -> np.ndarray:
    """Left half the original, right half the stylized picture, a white line between them."""
    out = stylized.copy()
    mid = original.shape[1] // 2
    out[:, :mid] = original[:, :mid]
    start, stop = divider_columns(original.shape[1])
    out[:, start:stop] = 255
    return out


def compose(
    original: np.ndarray,
    stylized: np.ndarray | None,
    *,
    strength: float = 1.0,
    colors: bool = False,
    split: bool = False,
) -> np.ndarray:
    """The live picture: the stylized one (with the original's colours when ``colors``) blended over the
    original by ``strength`` (``stylized`` may be ``None`` at strength 0), then the split view."""
    if strength <= 0.0 or stylized is None:
        out = original
    else:
        if colors:
            stylized = keep_colors(original, stylized)
        out = blend(original, stylized, strength)
    if split:
        out = split_view(original, out)
    return out


__all__ = ["compose", "divider_columns", "keep_colors", "split_view"]
