"""Temporal smoothing: remove the flicker of per-frame stylization without ghost trails.

A feed-forward style network stylizes each frame on its own, so sensor noise,
compression and small motions change its brush strokes from one frame to the
next: the video flickers. A smoother sits after the network and sees, for each
frame, the input (content) frame and the network's output::

    sm = make_smoother("flow")
    for frame in frames:
        out = sm.update(frame, stylizer(frame))

Three modes (``--smooth``):

``none``
    :class:`PassThroughSmoother`: the network output as it is.
``ema``
    :class:`EmaSmoother`: blend each output with the previous one, the
    method of other tools, kept as a baseline. Everything that moves leaves a
    ghost trail.
``flow``
    :class:`FlowSmoother`: estimate the dense optical flow between
    consecutive input frames (OpenCV's DIS at a small fixed resolution, so it
    costs about the same at any frame size), warp the previous *smoothed*
    output onto the current frame, and blend it with the current network
    output only where the warp can be trusted. Trust comes from two checks:
    the previous input frame, warped the same way, must look like the current
    one (photometric error), and the forward and backward flows must agree
    (Ruder et al., 2016). Disoccluded and badly tracked pixels take the fresh
    frame, so nothing trails behind moving objects; a scene cut, or a jump
    after dropped frames that the flow cannot follow, starts afresh.

All smoothers keep their state in the object (one per stream), take ``uint8``
BGR ``(H, W, 3)`` arrays of any size, reset themselves when the size changes,
and use numpy and OpenCV only.

Example:
    >>> import numpy as np
    >>> sm = make_smoother("ema", strength=0.5)
    >>> a = np.zeros((4, 6, 3), np.uint8)
    >>> b = np.full((4, 6, 3), 200, np.uint8)
    >>> int(sm.update(a, a)[0, 0, 0]), int(sm.update(b, b)[0, 0, 0])
    (0, 100)
"""

from __future__ import annotations

import math
from typing import Protocol, runtime_checkable

import cv2
import numpy as np

from .errors import InputError

#: The modes ``--smooth`` accepts, in the order shown in help texts.
SMOOTH_MODES: tuple[str, ...] = ("none", "ema", "flow")

#: The mode used for video and live input when ``--smooth`` is not given.
DEFAULT_MODE = "flow"

#: ``--smooth-strength`` when it is not given: the weight of the previous output
#: where it is fully trusted (``ema`` trusts it everywhere).
DEFAULT_STRENGTH = 0.8


@runtime_checkable
class Smoother(Protocol):
    """A stateful temporal filter for one stream of stylized frames."""

    mode: str
    strength: float

    def update(self, frame: np.ndarray, stylized: np.ndarray) -> np.ndarray:
        """Smooth one frame.

        Args:
            frame: the input (content) frame, ``uint8`` BGR ``(h, w, 3)``.
            stylized: the network output for ``frame``, ``uint8`` BGR ``(H, W, 3)``;
                normally the same size as ``frame``.

        Returns:
            The smoothed output, ``uint8`` BGR, the shape of ``stylized``.
        """
        ...

    def reset(self) -> None:
        """Forget the past: the next output is the network output unchanged."""
        ...


class SmoothingOptionError(InputError, ValueError):
    """A bad ``--smooth`` or ``--smooth-strength``: a :class:`ValueError` the CLI prints as one line."""


def make_smoother(mode: str = DEFAULT_MODE, strength: float | None = None) -> Smoother:
    """Create the smoother for a ``--smooth`` mode.

    Args:
        mode: one of :data:`SMOOTH_MODES`.
        strength: weight of the previous output, in ``[0, 1]``; ``None`` for
            :data:`DEFAULT_STRENGTH`. Ignored by ``none``.

    Raises:
        SmoothingOptionError: an unknown mode, or a strength outside ``[0, 1]``; it is both a
            :class:`ValueError` and an :class:`~stylecam.errors.InputError`.
    """
    key = str(mode).strip().lower()
    if key not in SMOOTH_MODES:
        raise SmoothingOptionError(f"unknown smoothing mode {mode!r}", f"use one of {', '.join(SMOOTH_MODES)}")
    value = DEFAULT_STRENGTH if strength is None else _check_strength(strength)
    if key == "none":
        return PassThroughSmoother()
    if key == "ema":
        return EmaSmoother(value)
    return FlowSmoother(value)


def _check_strength(strength: float) -> float:
    try:
        value = float(strength)
    except (TypeError, ValueError):
        value = float("nan")
    if not 0.0 <= value <= 1.0:  # also rejects NaN
        raise SmoothingOptionError(
            f"bad smoothing strength {strength!r}", "use a number from 0 (no smoothing) to 1 (keep the past)"
        )
    return value


def _check_image(name: str, image: np.ndarray, gray_ok: bool = False) -> None:
    if not isinstance(image, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise TypeError(f"{name} must be uint8, got {image.dtype}")
    ok = (image.ndim == 3 and image.shape[2] == 3) or (gray_ok and image.ndim == 2)
    if not ok or image.shape[0] < 1 or image.shape[1] < 1:
        expected = "(H, W, 3) or (H, W)" if gray_ok else "(H, W, 3)"
        raise ValueError(f"{name} must have shape {expected}, got {image.shape}")


class PassThroughSmoother:
    """``--smooth none``: returns the network output unchanged."""

    mode = "none"
    strength = 0.0

    def update(self, frame: np.ndarray, stylized: np.ndarray) -> np.ndarray:
        """Return ``stylized`` itself (checked, not copied)."""
        _check_image("stylized", stylized)
        return stylized

    def reset(self) -> None:
        """Nothing to forget."""


class EmaSmoother:
    """``--smooth ema``: ``out_t = (1 - s) * stylized_t + s * out_{t-1}``.

    The baseline other tools use. It removes flicker where nothing moves and
    leaves a trail of past frames behind everything that does.

    Args:
        strength: ``s``, the weight of the previous output, in ``[0, 1]``.
    """

    mode = "ema"

    def __init__(self, strength: float = DEFAULT_STRENGTH) -> None:
        self.strength = _check_strength(strength)
        self._prev: np.ndarray | None = None

    def update(self, frame: np.ndarray, stylized: np.ndarray) -> np.ndarray:
        """Blend ``stylized`` with the previous output (see the class docstring)."""
        _check_image("stylized", stylized)
        prev = self._prev
        if prev is None or prev.shape != stylized.shape or self.strength == 0.0:
            out = np.ascontiguousarray(stylized).copy()
        else:
            out = cv2.addWeighted(stylized, 1.0 - self.strength, prev, self.strength, 0.0)
        self._prev = out
        return out

    def reset(self) -> None:
        """Forget the previous output."""
        self._prev = None


class FlowSmoother:
    """``--smooth flow``: motion-compensated blending with the previous output.

    Per frame, at a small working resolution (about ``flow_area`` pixels,
    whatever the frame size, so 1280x720 costs little more than 640x360):

    1. the grey input, and OpenCV's DIS optical flow from the current to the
       previous input frame;
    2. trust per pixel: the previous input warped by the flow must match the
       current input (photometric error over 3x3 pixels, after removing a
       global brightness change such as film flicker), and the source pixel
       must lie inside the frame; optionally (``fb_check``) the flow back must
       agree (Ruder et al.'s forward-backward test). The trust map is eroded
       so that the edges of moving objects take the fresh frame;
    3. a scene cut, or a jump the flow cannot follow (frames dropped in live
       mode), when less than ``cut_fraction`` of the frame matches: the output
       is the network output and the past is dropped.

    Then at full resolution the previous *smoothed* output is warped with the
    upscaled flow and blended with the network output with the weight
    ``strength * trust``. Using the smoothed output as the state makes the
    result consistent over many frames, not only from one frame to the next;
    disoccluded and badly tracked pixels take the fresh frame, so nothing
    trails behind moving objects.

    Args:
        strength: weight of the warped previous output where it is fully
            trusted, in ``[0, 1]``.
        flow_area: pixels of the working resolution (``160 * 90`` by default);
            never more than the frame's own.
        photo_low, photo_high: photometric error (grey levels, 0..255) below
            which the warp is fully trusted and above which it is not at all.
        fb_check: also require the forward-backward test (one more flow per
            frame; off by default: it costs about 0.5 ms and, with a flow this
            coarse, rejects more good pixels than bad ones).
        cut_fraction: a frame where less than this fraction matches is a cut.

    Attributes:
        confidence: the fraction of the last frame that matched the previous
            one (0 after a reset or a cut).
        cuts: how many scene cuts were detected since the object was made.
    """

    mode = "flow"

    #: the smallest working side; DIS needs a few patches per side
    MIN_SIDE = 32

    def __init__(
        self,
        strength: float = DEFAULT_STRENGTH,
        *,
        flow_area: int = 160 * 90,
        photo_low: float = 10.0,
        photo_high: float = 30.0,
        fb_check: bool = False,
        cut_fraction: float = 0.3,
    ) -> None:
        self.strength = _check_strength(strength)
        self.flow_area = max(1, int(flow_area))
        self.photo_low = float(photo_low)
        self.photo_high = float(max(photo_high, photo_low + 1e-3))
        self.fb_check = bool(fb_check)
        self.cut_fraction = float(cut_fraction)
        self.confidence = 0.0
        self.cuts = 0
        self._dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)
        self._kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))
        self._shape: tuple[int, ...] | None = None
        self._small: tuple[int, int] = (0, 0)
        self._grid_small = np.zeros((0, 0, 2), np.float32)
        self._grid_full = np.zeros((0, 0, 2), np.float32)
        self._prev_gray: np.ndarray | None = None
        self._prev_out: np.ndarray | None = None

    def reset(self) -> None:
        """Forget the previous frame; the next output is the network output."""
        self._prev_gray = None
        self._prev_out = None
        self.confidence = 0.0

    def _configure(self, shape: tuple[int, ...]) -> None:
        """Choose the working resolution and the sampling grids for a new frame size."""
        height, width = shape[:2]
        scale = min(1.0, (self.flow_area / float(width * height)) ** 0.5)
        ws = max(self.MIN_SIDE, round(width * scale))
        hs = max(self.MIN_SIDE, round(height * scale))
        self._shape = shape
        self._small = (ws, hs)
        self._grid_small = _grid(ws, hs)
        self._grid_full = _grid(width, height)
        # DIS matches patches from pyramid level ``finest`` up: level 0 (full working resolution)
        # at the default 160x90, coarser levels when a larger working size is asked for
        finest = round(math.log(max(1.0, ws * hs / (160 * 90)), 4))
        self._dis.setFinestScale(min(2, finest))
        self.reset()

    def update(self, frame: np.ndarray, stylized: np.ndarray) -> np.ndarray:
        """Smooth one frame (see the class docstring).

        Raises:
            TypeError, ValueError: an input that is not a ``uint8`` image.
        """
        _check_image("frame", frame, gray_ok=True)
        _check_image("stylized", stylized)
        if stylized.shape != self._shape:
            self._configure(stylized.shape)
        ws, hs = self._small
        small = cv2.resize(frame, (ws, hs), interpolation=cv2.INTER_AREA)
        gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
        prev_gray, prev_out = self._prev_gray, self._prev_out
        self._prev_gray = gray
        if prev_gray is None or prev_out is None or self.strength == 0.0:
            return self._restart(stylized)

        trust, back = self._trust(gray, prev_gray)
        if self.confidence < self.cut_fraction:
            self.cuts += 1
            return self._restart(stylized)

        height, width = stylized.shape[:2]
        back *= np.float32(width / ws), np.float32(height / hs)
        flow = cv2.resize(back, (width, height), interpolation=cv2.INTER_LINEAR)
        coords = cv2.add(flow, self._grid_full)
        warped = cv2.remap(prev_out, coords, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        trust *= np.float32(self.strength)
        weight = cv2.resize(trust, (width, height), interpolation=cv2.INTER_LINEAR)
        out = cv2.blendLinear(warped, stylized, weight, cv2.subtract(1.0, weight))
        self._prev_out = out
        return out

    def _restart(self, stylized: np.ndarray) -> np.ndarray:
        out = np.ascontiguousarray(stylized).copy()
        self._prev_out = out
        self.confidence = 0.0
        return out

    def _trust(self, gray: np.ndarray, prev_gray: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The trust map (float32, 0..1) and the flow current → previous, at the working size.

        Sets :attr:`confidence`, the matched fraction used to detect cuts.
        """
        back = self._dis.calc(gray, prev_gray, None)
        coords = cv2.add(back, self._grid_small)
        warped = cv2.remap(prev_gray, coords, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        shift = np.float32(cv2.mean(gray)[0] - cv2.mean(prev_gray)[0])
        err = _photo_error(gray, warped, shift)
        trust = (np.float32(self.photo_high) - err) * np.float32(1.0 / (self.photo_high - self.photo_low))
        np.clip(trust, 0.0, 1.0, out=trust)
        hs, ws = gray.shape
        x, y = coords[..., 0], coords[..., 1]
        valid = (x >= -0.5) & (x <= ws - 0.5) & (y >= -0.5) & (y <= hs - 0.5)
        trust *= valid
        self.confidence = float(trust.mean())
        if self.fb_check:
            fwd = self._dis.calc(prev_gray, gray, None)
            fwd_at = cv2.remap(fwd, coords, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            total = cv2.add(back, fwd_at)
            lhs = (total * total).sum(-1)
            rhs = 0.01 * ((back * back).sum(-1) + (fwd_at * fwd_at).sum(-1)) + 0.5
            trust *= lhs <= rhs
        k = cv2.getStructuringElement(cv2.MORPH_RECT, (_MODE['erode'], _MODE['erode']))
        return cv2.erode(trust, k), back


_MODE = {'err': 'blur', 'erode': 3}


def _photo_error(gray: np.ndarray, other: np.ndarray, shift: np.float32) -> np.ndarray:
    """Local mean absolute grey difference ``|gray - other - shift|`` over 3x3, float32."""
    diff = cv2.subtract(gray, other, dtype=cv2.CV_32F)
    diff -= shift
    err = cv2.absdiff(diff, 0.0)
    if _MODE['err'] == 'blur':
        return cv2.blur(err, (3, 3))
    if _MODE['err'] == 'max':
        return cv2.dilate(err, None)
    if _MODE['err'] == 'blurmax':
        return cv2.dilate(cv2.blur(err, (3, 3)), None)
    return err


def _grid(width: int, height: int) -> np.ndarray:
    """Pixel coordinates ``(H, W, 2)`` float32, ``[..., 0] = x`` and ``[..., 1] = y``."""
    xs = np.arange(width, dtype=np.float32)
    ys = np.arange(height, dtype=np.float32)
    grid = np.empty((height, width, 2), np.float32)
    grid[..., 0] = xs[None, :]
    grid[..., 1] = ys[:, None]
    return grid
