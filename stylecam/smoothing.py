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
    costs the same at any frame size), warp the previous *smoothed* output
    onto the current frame, and blend it with the current network output only
    where the warp can be trusted: where the previous input frame, warped the
    same way, looks like the current one (checked at the flow's resolution and
    again at half the frame size, where the coarse flow smears across the
    edges of moving things). Disoccluded and badly tracked pixels take the
    fresh frame, so nothing trails behind moving objects; a scene cut, or a
    jump after dropped frames that the flow cannot follow, starts afresh.

Measurements (warping error, fidelity, cost) are in ``docs/temporal.md``,
made with ``scripts/eval_temporal.py``.

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

from dataclasses import dataclass
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

#: The flow smoother's working resolution (pixels, whatever the frame size) for each ``detail``:
#: ``fast`` for the live networks, whose 10 ms a frame leave little time for the flow; ``fine`` for
#: the painting network, whose finer brush texture the coarse flow drags: its flicker measured
#: 0.36-0.46 of ``none`` with ``fine`` against 0.51-0.63 with ``fast`` (docs/temporal.md).
FLOW_DETAILS: dict[str, int] = {"fast": 128 * 72, "fine": 320 * 180}


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


def make_smoother(mode: str = DEFAULT_MODE, strength: float | None = None, detail: str = "fast") -> Smoother:
    """Create the smoother for a ``--smooth`` mode.

    Args:
        mode: one of :data:`SMOOTH_MODES`.
        strength: weight of the previous output, in ``[0, 1]``; ``None`` for
            :data:`DEFAULT_STRENGTH`. Ignored by ``none``.
        detail: the flow smoother's working resolution, a key of :data:`FLOW_DETAILS`
            (:class:`~stylecam.stage.StylizeStep` sets it from the network that runs).

    Raises:
        SmoothingOptionError: an unknown mode, or a strength outside ``[0, 1]``; it is both a
            :class:`ValueError` and an :class:`~stylecam.errors.InputError`.
    """
    key = str(mode).strip().lower()
    if key not in SMOOTH_MODES:
        raise SmoothingOptionError(
            f"unknown smoothing mode {mode!r}", f"use one of {', '.join(SMOOTH_MODES)}"
        )
    value = DEFAULT_STRENGTH if strength is None else _check_strength(strength)
    if key == "none":
        return PassThroughSmoother()
    if key == "ema":
        return EmaSmoother(value)
    return FlowSmoother(value, detail=detail)


def _check_detail(detail: str) -> str:
    if detail not in FLOW_DETAILS:
        raise SmoothingOptionError(f"unknown flow detail {detail!r}", f"use one of {', '.join(FLOW_DETAILS)}")
    return detail


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
        return out.copy()  # the caller may draw on what it gets; the state must not change

    def reset(self) -> None:
        """Forget the previous output."""
        self._prev = None


@dataclass
class Motion:
    """What :meth:`FlowSmoother.prepare` found between the previous input frame and this one: the warp
    (fixed-point remap maps) and the blend weights of the warped previous output and of the new one,
    or ``restart`` (first frame, a cut, strength 0). The arrays are the smoother's scratch buffers,
    valid until its next ``prepare``."""

    shape: tuple[int, ...]
    restart: bool
    map1: np.ndarray | None = None
    map2: np.ndarray | None = None
    weight: np.ndarray | None = None
    weight_new: np.ndarray | None = None


class FlowSmoother:
    """``--smooth flow``: motion-compensated blending with the previous output.

    Per frame, at a small working resolution (about ``flow_area`` pixels
    whatever the frame size, so the flow costs the same at 640x360 and 1280x720):

    1. OpenCV's DIS optical flow (ULTRAFAST preset, from the finest pyramid
       level) from the current to the previous grey input frame;
    2. trust per pixel: the previous input warped by the flow must match the
       current input (photometric error over 3x3 pixels, after removing a
       global brightness change such as film flicker) and the source pixel
       must lie inside the frame; optionally the flow back must agree too
       (``fb_check``, Ruder et al.'s forward-backward test). The trust map is
       eroded so that the edges of moving objects take the fresh frame;
    3. a scene cut, or a jump the flow cannot follow (frames dropped in live
       mode, a whip pan), when less than ``cut_fraction`` of the textured
       pixels match (flat areas such as black bars match across a cut): the
       output is the network output and the past is dropped;
    4. the same check once more at half the frame size (the full size for
       small frames), with the upscaled flow: the flow of the working
       resolution is smeared across the edges of moving things, and without
       this check the background next to them would take some of the moving
       thing's strokes (or the reverse) and show a faint trail.

    Then at full resolution the previous *smoothed* output is warped with the
    upscaled flow and blended with the network output with the weight
    ``strength * trust``. Using the smoothed output as the state makes the
    result consistent over many frames, not only from one frame to the next;
    disoccluded and badly tracked pixels take the fresh frame, so nothing
    trails behind moving objects.

    Args:
        strength: weight of the warped previous output where it is fully
            trusted, in ``[0, 1]``.
        detail: ``"fast"`` (``128 * 72`` working pixels, 1/5 of 640x360 in each
            direction, about 2-4 ms a frame on two cores) or ``"fine"`` (``320 * 180``,
            about 8 ms): :data:`FLOW_DETAILS`. Settable
            between frames; a change starts afresh.
        flow_area: pixels of the working resolution, in place of ``detail``'s; never
            more than the frame's own.
        photo_low, photo_high: photometric error at the working resolution
            (grey levels, 0..255) below which the warp is fully trusted and
            above which it is not at all.
        fb_check: also require the forward-backward test (one more flow per
            frame). Off by default: at this working resolution it rejects many
            good pixels and finds few bad ones that step 4 misses.
        cut_fraction: a frame where less than this share of the textured
            pixels matches (photometric error below ``photo_low``) is a cut.
        edge_check: step 4 (about 0.5 ms at 640x360).

    Attributes:
        confidence: the share of the last frame's textured pixels that the
            warped previous frame matched (0 after a reset or a cut).
        cuts: how many scene cuts were detected since the object was made.
    """

    mode = "flow"

    #: the smallest working side; DIS needs a few patches per side
    MIN_SIDE = 32
    #: DIS patch stride and gradient-descent iterations (ULTRAFAST has 4 and 12; these cost 40 % less,
    #: at the same accuracy on the Sintel pairs)
    PATCH_STRIDE = 5
    DESCENT_ITERATIONS = 8
    #: step 4's photometric error (grey levels) below which the warp is trusted, and above which not
    EDGE_LOW = 6.0
    EDGE_HIGH = 18.0
    #: ``fb_check``: ``|w + ŵ|² <= FB_REL (|w|² + |ŵ|²) + FB_ABS`` in working pixels, Ruder et al.'s
    #: test with a tolerance for a flow this coarse (theirs is 0.01 and 0.5); the flow back is
    #: estimated one pyramid level coarser, with ULTRAFAST's own patch settings
    FB_REL = 0.1
    FB_ABS = 2.0

    def __init__(
        self,
        strength: float = DEFAULT_STRENGTH,
        *,
        detail: str = "fast",
        flow_area: int | None = None,
        photo_low: float = 10.0,
        photo_high: float = 30.0,
        fb_check: bool = False,
        cut_fraction: float = 0.3,
        edge_check: bool = True,
    ) -> None:
        self.edge_check = bool(edge_check)
        self.strength = _check_strength(strength)
        self._detail = _check_detail(detail)
        self.flow_area = max(1, int(FLOW_DETAILS[self._detail] if flow_area is None else flow_area))
        self.photo_low = float(photo_low)
        self.photo_high = float(max(photo_high, photo_low + 1e-3))
        self.fb_check = bool(fb_check)
        self.cut_fraction = float(cut_fraction)
        self.confidence = 0.0
        self.cuts = 0
        self._dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)
        self._dis.setPatchStride(self.PATCH_STRIDE)
        self._dis.setGradientDescentIterations(self.DESCENT_ITERATIONS)
        self._dis_back = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)
        self._kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))
        self._shape: tuple[int, ...] | None = None
        self._small: tuple[int, int] = (0, 0)
        self._grid_small = np.zeros((0, 0, 2), np.float32)
        self._grid_full = np.zeros((0, 0, 2), np.float32)
        self._prev_gray: np.ndarray | None = None
        self._prev_check: np.ndarray | None = None
        self._prev_out: np.ndarray | None = None
        self._shift = 0.0
        # step 4's trust (0..255) by photometric error
        levels = np.arange(256, dtype=np.float32)
        ramp = (self.EDGE_HIGH - levels) / (self.EDGE_HIGH - self.EDGE_LOW)
        self._ramp = (np.clip(ramp, 0.0, 1.0) * 255 + 0.5).astype(np.uint8)

    @property
    def detail(self) -> str:
        """The working resolution's name (:data:`FLOW_DETAILS`); setting it starts afresh."""
        return self._detail

    @detail.setter
    def detail(self, value: str) -> None:
        value = _check_detail(value)
        if value != self._detail:
            self._detail = value
            self.flow_area = FLOW_DETAILS[value]
            self._shape = None  # the next frame chooses the working size again (and resets)

    @property
    def working_size(self) -> tuple[int, int]:
        """``(width, height)`` the flow is estimated at (``(0, 0)`` before the first frame)."""
        return self._small

    def reset(self) -> None:
        """Forget the previous frame; the next output is the network output."""
        self._prev_gray = None
        self._prev_check = None
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
        # full-size scratch buffers, reused every frame: fresh ones would cost page faults
        self._flow_full = np.empty((height, width, 2), np.float32)
        self._coords_full = np.empty((height, width, 2), np.float32)
        self._warped = np.empty((height, width, 3), np.uint8)
        self._weight = np.empty((height, width), np.float32)
        self._weight_new = np.empty((height, width), np.float32)
        # step 4 runs at half size on large frames (a quarter of the cost), at full size on small ones
        half = width * height >= 16 * ws * hs
        wc, hc = (max(1, round(width / 2)), max(1, round(height / 2))) if half else (width, height)
        self._check = (wc, hc)
        self._grid_check = _grid(wc, hc)
        self._coords_check = np.empty((hc, wc, 2), np.float32)
        self._warped_gray = np.empty((hc, wc), np.uint8)
        self._err_check = np.empty((hc, wc), np.uint8)
        self._weight_check = np.empty((hc, wc), np.float32)
        # DIS matches patches from the working resolution itself (pyramid level 0) at every size:
        # starting a larger working size from a coarser level loses what the size buys (measured on
        # the Chaplin clip: 256x144 from level 1, 0.54 of none; from level 0, 0.42)
        self._dis.setFinestScale(0)
        self._dis_back.setFinestScale(1)
        self.reset()

    def update(self, frame: np.ndarray, stylized: np.ndarray) -> np.ndarray:
        """Smooth one frame (see the class docstring): :meth:`prepare` then :meth:`apply`.

        Raises:
            TypeError, ValueError: an input that is not a ``uint8`` image.
        """
        _check_image("stylized", stylized)
        return self.apply(self.prepare(frame, stylized.shape[:2]), stylized)

    def prepare(self, frame: np.ndarray, size: tuple[int, int] | None = None) -> Motion:
        """The part that needs only the input frame: flow, trust, cut detection (steps 1-4).

        It may run on another thread while the network stylizes the same frame (ONNX Runtime and
        OpenCV release the GIL), which takes the smoothing off the critical path; :meth:`apply` then
        blends. Calls must alternate, one ``prepare`` then its ``apply``, in frame order.

        Args:
            frame: the input frame (BGR or grey ``uint8``).
            size: ``(height, width)`` of the stylized frame, when it differs from ``frame``'s.
        """
        _check_image("frame", frame, gray_ok=True)
        height, width = size or frame.shape[:2]
        if self._shape != (height, width, 3):
            self._configure((height, width, 3))
        ws, hs = self._small
        wc, hc = self._check
        frame_gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
        if frame_gray.shape == (hc, wc):
            check_gray = frame_gray if frame.ndim == 3 else frame.copy()  # never keep the caller's array
        else:
            check_gray = cv2.resize(frame_gray, (wc, hc), interpolation=cv2.INTER_AREA)
        gray = cv2.resize(check_gray, (ws, hs), interpolation=cv2.INTER_AREA)
        prev_gray, prev_check = self._prev_gray, self._prev_check
        self._prev_gray, self._prev_check = gray, check_gray
        if prev_gray is None or self._prev_out is None or self.strength == 0.0:
            return Motion(self._shape, restart=True)

        trust, back = self._trust(gray, prev_gray)
        if self.confidence < self.cut_fraction:
            self.cuts += 1
            return Motion(self._shape, restart=True)

        trust *= np.float32(self.strength)
        if self.edge_check and prev_check is not None:
            # step 4: the upscaled flow is smeared across the edges of moving things by a working
            # pixel or two; check the warp again on the input at (half) the size where it is used
            cv2.resize(trust, (wc, hc), dst=self._weight_check, interpolation=cv2.INTER_LINEAR)
            flow = cv2.resize(back * np.float32([wc / ws, hc / hs]), (wc, hc), interpolation=cv2.INTER_LINEAR)
            cv2.add(flow, self._grid_check, dst=self._coords_check)
            map1, map2 = cv2.convertMaps(self._coords_check, None, cv2.CV_16SC2)
            warped = self._warped_gray
            cv2.remap(prev_check, map1, map2, cv2.INTER_LINEAR, dst=warped, borderMode=cv2.BORDER_REPLICATE)
            if self._shift:
                cv2.add(warped, self._shift, dst=warped)
            cv2.absdiff(check_gray, warped, dst=self._err_check)
            cv2.blur(self._err_check, (3, 3), dst=self._err_check)
            cv2.LUT(self._err_check, self._ramp, dst=self._err_check)
            cv2.multiply(
                self._weight_check, self._err_check, dst=self._weight_check, scale=1 / 255, dtype=cv2.CV_32F
            )
            cv2.resize(self._weight_check, (width, height), dst=self._weight, interpolation=cv2.INTER_LINEAR)
        else:
            cv2.resize(trust, (width, height), dst=self._weight, interpolation=cv2.INTER_LINEAR)
        back *= np.float32(width / ws), np.float32(height / hs)
        cv2.resize(back, (width, height), dst=self._flow_full, interpolation=cv2.INTER_LINEAR)
        cv2.add(self._flow_full, self._grid_full, dst=self._coords_full)
        # fixed-point maps (1/32 pixel) make the remap a third faster, conversion included
        map1, map2 = cv2.convertMaps(self._coords_full, None, cv2.CV_16SC2)
        cv2.subtract(1.0, self._weight, dst=self._weight_new)
        return Motion(self._shape, False, map1, map2, self._weight, self._weight_new)

    def apply(self, motion: Motion, stylized: np.ndarray) -> np.ndarray:
        """Blend the network output with the previous output warped by ``motion`` (from :meth:`prepare`)."""
        _check_image("stylized", stylized)
        if motion.restart or stylized.shape != motion.shape or self._prev_out is None:
            return self._restart(stylized)
        cv2.remap(
            self._prev_out,
            motion.map1,
            motion.map2,
            cv2.INTER_LINEAR,
            dst=self._warped,
            borderMode=cv2.BORDER_REPLICATE,
        )
        out = cv2.blendLinear(self._warped, stylized, motion.weight, motion.weight_new)
        self._prev_out = out
        return out.copy()  # the caller may draw on what it gets; the state must not change

    def _restart(self, stylized: np.ndarray) -> np.ndarray:
        self._prev_out = np.ascontiguousarray(stylized).copy()
        self.confidence = 0.0
        return self._prev_out.copy()

    def _trust(self, gray: np.ndarray, prev_gray: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The trust map (float32, 0..1) and the flow current → previous, at the working size.

        Sets :attr:`confidence`, the matched fraction used to detect cuts.
        """
        back = self._dis.calc(gray, prev_gray, None)
        coords = cv2.add(back, self._grid_small)
        warped = cv2.remap(prev_gray, coords, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        shift = np.float32(cv2.mean(gray)[0] - cv2.mean(prev_gray)[0])
        self._shift = float(shift)
        err = _photo_error(gray, warped, shift)
        trust = (np.float32(self.photo_high) - err) * np.float32(1.0 / (self.photo_high - self.photo_low))
        np.clip(trust, 0.0, 1.0, out=trust)
        hs, ws = gray.shape
        x, y = coords[..., 0], coords[..., 1]
        valid = (x >= -0.5) & (x <= ws - 0.5) & (y >= -0.5) & (y <= hs - 0.5)
        trust *= valid
        # the share of textured pixels that match: flat areas (black bars, sky) match across a cut
        edges = cv2.morphologyEx(gray, cv2.MORPH_GRADIENT, self._kernel) >= 8
        matched = err <= np.float32(self.photo_low)
        n_edges = int(np.count_nonzero(edges))
        if n_edges >= 0.05 * edges.size:
            self.confidence = np.count_nonzero(matched & edges & valid) / n_edges
        else:
            self.confidence = np.count_nonzero(matched & valid) / matched.size
        if self.fb_check:
            fwd = self._dis_back.calc(prev_gray, gray, None)
            fwd_at = cv2.remap(fwd, coords, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            lhs = _norm2(cv2.add(back, fwd_at))
            rhs = cv2.add(_norm2(back), _norm2(fwd_at))
            trust *= lhs <= rhs * np.float32(self.FB_REL) + np.float32(self.FB_ABS)
        return cv2.erode(trust, self._kernel), back


def _photo_error(gray: np.ndarray, other: np.ndarray, shift: np.float32) -> np.ndarray:
    """Local mean absolute grey difference ``|gray - other - shift|`` over 3x3, float32."""
    diff = cv2.subtract(gray, other, dtype=cv2.CV_32F)
    diff -= shift
    return cv2.blur(cv2.absdiff(diff, 0.0), (3, 3))


def _norm2(flow: np.ndarray) -> np.ndarray:
    """Squared length of each flow vector, float32 ``(H, W)`` (cv2 is ~15x faster than numpy here)."""
    mag = cv2.magnitude(flow[..., 0], flow[..., 1])
    return cv2.multiply(mag, mag)


def _grid(width: int, height: int) -> np.ndarray:
    """Pixel coordinates ``(H, W, 2)`` float32, ``[..., 0] = x`` and ``[..., 1] = y``."""
    xs = np.arange(width, dtype=np.float32)
    ys = np.arange(height, dtype=np.float32)
    grid = np.empty((height, width, 2), np.float32)
    grid[..., 0] = xs[None, :]
    grid[..., 1] = ys[:, None]
    return grid
