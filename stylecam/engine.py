"""The style engine: one ONNX Runtime session per model, honest about where it runs.

numpy in, numpy out: :class:`Stylizer` takes a ``uint8`` BGR frame of any size
and returns the stylized frame at the same size. It reads the model's
metadata (layout, dtype, value range, colour order, size multiple) so any
style network exported by ``stylecam export`` — or described by the same
metadata keys — runs without a side table.

Devices (``device=``; each one's record, options and fix line are in :mod:`stylecam.providers`, the
session that tries them in :mod:`stylecam.sessions`):

* ``"cpu"`` — ONNX Runtime's CPU provider, threads and graph optimisations set
  for throughput.
* ``"cuda"`` — the CUDA provider; if it cannot run (no driver, missing
  CUDA/cuDNN libraries) a :class:`~stylecam.errors.DeviceError` names what is
  missing. ONNX Runtime itself would silently fall back to the CPU, so the
  providers the session really got are read back after creating it.
* ``"tensorrt"`` — the TensorRT provider (fp16, engine cache in the user cache
  folder), with CUDA and then CPU for nodes TensorRT does not take.
* ``"auto"`` — TensorRT, then CUDA, then CPU: the first that really runs.

Precision (``precision=``): a style may have variants beside its float32 file
(``NAME.int8.onnx``, ``NAME.fp16.onnx``, made by ``stylecam variants``). ``"auto"``
runs int8 on the CPU and fp16 on CUDA when they exist, and float32 under
TensorRT, which builds its own fp16 engine.

On a GPU, frames go through IO binding: the input and output live in device
buffers bound once per frame size, so each frame crosses to the GPU once
(``uint8``, 3 bytes a pixel; casting, colour order and layout happen inside the
graph) and comes back once. Under CUDA the run is replayed as a CUDA graph
(one per frame size) when ONNX Runtime can put every node on the GPU (:mod:`stylecam.binding`).

Example:
    >>> from stylecam.engine import Stylizer  # doctest: +SKIP
    >>> stylize = Stylizer("starry-night", device="auto")  # doctest: +SKIP
    >>> out = stylize(frame)  # uint8 BGR, same shape as frame  # doctest: +SKIP
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np

from .binding import BoundRunner
from .errors import InputError, ModelError, first_line
from .models import ModelInfo, default_model, find_model
from .sessions import SessionReport, cpu_int8_kind, create_session

#: what is imported from here (sessions, devices and sizes have modules of their own; ``create_session``,
#: ``SessionReport`` and ``cpu_int8_kind`` are :mod:`stylecam.sessions`' names, kept importable from here)
__all__ = [
    "LIVE_NETWORKS",
    "MIN_SIDE",
    "SessionReport",
    "Stylizer",
    "cpu_int8_kind",
    "create_session",
    "live_stylizer",
    "processing_size",
]

#: Frames smaller than this (shorter side) are upscaled for the network and scaled back.
MIN_SIDE = 32


# --------------------------------------------------------------------------- sizes


def processing_size(
    width: int, height: int, size: tuple[int, int] | int | None = None, scale: float | None = None
) -> tuple[int, int]:
    """The (width, height) at which the network runs for a frame of ``width`` x ``height``.

    ``size`` is ``(w, h)`` or a height (the width then keeps the aspect ratio);
    ``scale`` multiplies the frame size. Frames whose shorter side is below
    :data:`MIN_SIDE` are enlarged so the network has something to work on.
    """
    if size is not None and scale is not None:
        raise InputError("--size and --scale both given", "use one of them")
    if isinstance(size, tuple):
        w, h = size
    elif isinstance(size, int):
        h = size
        w = round(width * size / height)
    elif scale is not None:
        if not 0 < scale <= 8:
            raise InputError(f"bad --scale {scale}", "use a factor between 0 and 8, such as 0.5")
        w, h = round(width * scale), round(height * scale)
    else:
        w, h = width, height
    w, h = max(1, int(w)), max(1, int(h))
    short = min(w, h)
    if short < MIN_SIDE:
        f = MIN_SIDE / short
        w, h = round(w * f), round(h * f)
    return w, h


# --------------------------------------------------------------------------- stylizer


class Stylizer:
    """Stylize ``uint8`` BGR frames with one style network.

    Args:
        model: a style name, a path to an ``.onnx`` file, or a :class:`ModelInfo`.
        device: ``"auto"``, ``"tensorrt"``, ``"cuda"`` or ``"cpu"``.
        size: processing size, ``(w, h)`` or a height (``720``); ``None`` for the frame's own size;
            ``"auto"``: on the CPU, frames of more than 1.5 times the model's recommended pixel count are
            stylized at that pixel count, aspect kept (640x360 for the fast styles: a 720p or 1080p camera
            runs at 640x360 and is scaled back up, a 640x480 one as it is); on a GPU, the frame's own size.
            The live command uses ``"auto"`` unless ``--size`` or ``--scale`` is given.
        scale: processing size as a factor of the frame size (instead of ``size``).
        threads: CPU threads for ONNX Runtime (default: all cores).
        precision: ``"auto"`` (int8 on the CPU, fp16 on CUDA, when the style has them), ``"fp32"``,
            ``"fp16"`` or ``"int8"``.
        io_binding: run through device buffers bound once per frame size (default: on a GPU).
        cuda_graph: replay each frame size as a CUDA graph under CUDA (default: with IO binding).

    The network runs at the processing size (padded to the model's size
    multiple, then cropped back) and the result is resized to the frame size.

    Raises:
        ModelError: unknown style, or a file that is not a usable style network.
        DeviceError: an explicit ``device`` that cannot run here.
    """

    def __init__(
        self,
        model: str | os.PathLike | ModelInfo | None = None,
        device: str = "auto",
        size: tuple[int, int] | int | str | None = None,
        scale: float | None = None,
        threads: int | None = None,
        precision: str = "auto",
        io_binding: bool | None = None,
        cuda_graph: bool | None = None,
    ) -> None:
        if isinstance(model, ModelInfo):
            self.info = model
        else:
            self.info = default_model() if model is None else find_model(model)
        self.size = size
        self.scale = scale
        if size is not None and scale is not None:
            raise InputError("--size and --scale both given", "use one of them")
        #: what the network takes and returns, from the file's metadata
        self.contract = self.info.contract
        self._multiple = self.contract.size_multiple
        # the stylecam contract, uint8 NHWC BGR in and out: output shape = input shape, so the buffers
        # can be bound once per size (IO binding), which a CUDA graph needs
        native = self.contract.native
        self.session, self.report = create_session(
            self.info,
            device,
            threads,
            precision,
            cuda_graph=native and cuda_graph is not False and io_binding is not False,
        )
        self.device = self.report.device
        self.precision = self.report.precision
        self._check_signature()
        self._style_feed: np.ndarray | None = None
        if self._style_input is not None:
            n = len(self.info.styles)
            self.set_style_weights(self.info.style_weights or (1.0,) + (0.0,) * (n - 1))
        #: seconds spent in pre-processing, inference and post-processing, and the number of frames
        self.timings = {"pre": 0.0, "infer": 0.0, "post": 0.0, "frames": 0}
        if io_binding is None:
            io_binding = self.device != "cpu"
        self._bound = (
            BoundRunner(
                self.session,
                self._input_name,
                self._output_name,
                self.device,
                self.report.cuda_graph,
                style_input=self.contract.style_input,
            )
            if native and (io_binding or self.report.cuda_graph)
            else None
        )

    @property
    def style_names(self) -> list[str]:
        """The styles this network can blend (``[]`` for a single-style network)."""
        return [st["name"] for st in self.info.styles] if self._style_input else []

    @property
    def style_weights(self) -> tuple[float, ...] | None:
        """The current weights over :attr:`style_names` (None for a single-style network)."""
        return None if self._style_feed is None else tuple(float(w) for w in self._style_feed)

    def set_style_weights(self, weights: dict[str, float] | tuple[float, ...] | list[float]) -> None:
        """Paint the next frames with these weights over the network's styles (a blend, or a crossfade
        step): by name, or one weight per :attr:`style_names`; normalised to sum to 1.

        Raises:
            ModelError: a single-style network, an unknown name, or weights that are not positive.
        """
        if self._style_input is None:
            raise ModelError(
                f"{self.info.path.name} holds one style; it cannot blend", "pick a multi-style network"
            )
        names = [st["name"] for st in self.info.styles]
        if isinstance(weights, dict):  # names checked and weights normalised as for --style a:0.7,b:0.3
            vec = np.array(self.info.with_weights(weights).style_weights, np.float32)
        else:
            vec = np.asarray(weights, np.float32).reshape(-1)
            if vec.size != len(names):
                raise ModelError(
                    f"{vec.size} style weights for the {len(names)} styles of {self.info.path.name}"
                )
        if (vec < 0).any() or vec.sum() <= 0:
            raise ModelError("style weights must be positive and not all zero")
        self._style_feed = np.ascontiguousarray(vec / vec.sum(), np.float32)

    @property
    def io_binding(self) -> bool:
        """True when frames run through bound device buffers."""
        return self._bound is not None

    @property
    def name(self) -> str:
        return self.info.name

    def _check_signature(self) -> None:
        inputs, outputs = self.session.get_inputs(), self.session.get_outputs()
        styles = self.info.styles
        self._style_input: str | None = None
        if styles and len(inputs) == 2 and inputs[1].name == self.contract.style_input:
            self._style_input = self.contract.style_input
            n = inputs[1].shape[0] if inputs[1].shape else None
            if isinstance(n, int) and n != len(styles):
                raise ModelError(
                    f"{self.info.path.name} takes {n} style weights but its metadata lists {len(styles)} styles",
                    "re-export it with 'stylecam export'",
                )
            inputs = inputs[:1]
        if len(inputs) != 1 or len(outputs) < 1:
            raise ModelError(
                f"{self.info.path.name} has {len(inputs)} inputs and {len(outputs)} outputs; "
                "a style network has one image input (and, for several styles, a 'style' input) and one "
                "image output",
                "use a model exported by 'stylecam export'",
            )
        inp = inputs[0]
        self._input_name = inp.name
        self._output_name = outputs[0].name
        shape = inp.shape
        layout = self.contract.input_layout.upper()
        channel_axis = 3 if self.contract.input_nhwc else 1
        if len(shape) != 4 or (isinstance(shape[channel_axis], int) and shape[channel_axis] != 3):
            raise ModelError(
                f"{self.info.path.name} takes input of shape {shape}; expected a {layout} image with 3 channels",
                "use a model exported by 'stylecam export' or fix its input_layout metadata",
            )
        dtype = {"tensor(uint8)": np.uint8, "tensor(float)": np.float32, "tensor(float16)": np.float16}
        if inp.type not in dtype:
            raise ModelError(
                f"{self.info.path.name} takes input of type {inp.type}", "expected uint8, float or float16"
            )
        self._in_dtype = dtype[inp.type]
        declared = self.info.meta.get("input_dtype")
        if declared and np.dtype(self._in_dtype).name != np.dtype(declared).name:
            raise ModelError(
                f"{self.info.path.name} takes {inp.type} but its metadata says input_dtype {declared}",
                "fix the input_dtype metadata or re-export the model",
            )
        self._fixed_hw = tuple(
            d if isinstance(d, int) and d > 0 else None
            for d in ((shape[1], shape[2]) if self.contract.input_nhwc else (shape[2], shape[3]))
        )

    def processing_size(self, width: int, height: int) -> tuple[int, int]:
        """The size the network runs at for a ``width`` x ``height`` frame."""
        if all(self._fixed_hw):
            h, w = self._fixed_hw
            return int(w), int(h)
        size = self.size
        if size == "auto":
            size = None
            recommended = self.info.recommended_size
            if recommended and self.device == "cpu":
                budget = recommended[0] * recommended[1]
                if width * height > 1.5 * budget:  # a 640x480 webcam stays as it is
                    f = (budget / (width * height)) ** 0.5
                    size = (max(1, round(width * f)), max(1, round(height * f)))
        return processing_size(width, height, size, self.scale)

    def time_network(self, width: int, height: int, runs: int = 3) -> float:
        """Median seconds of the network alone on a ``width`` x ``height`` frame, after one warm-up run
        (the timings of real frames are not touched)."""
        saved = dict(self.timings)
        frame = np.full((height, width, 3), 128, np.uint8)
        small = self.to_processing_size(frame)
        self.stylize_resized(small)
        times = []
        for _ in range(max(1, runs)):
            t0 = time.perf_counter()
            self.stylize_resized(small)
            times.append(time.perf_counter() - t0)
        self.timings = saved
        return float(np.median(times))

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        """Stylize one ``uint8`` BGR ``(H, W, 3)`` frame; returns the same shape."""
        small = self.to_processing_size(frame)
        return self.to_frame_size(self.stylize_resized(small), frame.shape[1], frame.shape[0])

    def to_processing_size(self, frame: np.ndarray) -> np.ndarray:
        """The frame as a BGR image at the processing size (itself when that is its own size).

        With :meth:`stylize_resized` and :meth:`to_frame_size` this is ``__call__`` in three steps, so a
        caller can work on the small picture in between (the video command smooths there: a 1080p file
        stylized at ``--size 640x360`` is smoothed at 640x360, then scaled up once).
        """
        if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8:
            raise TypeError(f"frame must be a uint8 numpy array, got {getattr(frame, 'dtype', type(frame))}")
        if frame.ndim == 2:
            frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
        elif frame.ndim == 3 and frame.shape[2] == 4:
            frame = cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR)
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.shape[0] == 0 or frame.shape[1] == 0:
            raise ValueError(f"frame must be (H, W, 3), got {frame.shape}")
        t0 = time.perf_counter()
        h, w = frame.shape[:2]
        pw, ph = self.processing_size(w, h)
        if (pw, ph) != (w, h):
            frame = cv2.resize(
                frame, (pw, ph), interpolation=cv2.INTER_AREA if pw * ph < w * h else cv2.INTER_LINEAR
            )
        self.timings["pre"] += time.perf_counter() - t0
        return frame

    def stylize_resized(self, x: np.ndarray) -> np.ndarray:
        """Stylize a BGR image that is already at the processing size (padded and cropped back here)."""
        t0 = time.perf_counter()
        ph, pw = x.shape[:2]
        m = self._multiple
        pad_h, pad_w = (-ph) % m, (-pw) % m
        if pad_h or pad_w:
            x = cv2.copyMakeBorder(
                x, 0, pad_h, 0, pad_w, cv2.BORDER_REFLECT_101 if min(ph, pw) > m else cv2.BORDER_REPLICATE
            )
        t1 = time.perf_counter()
        y = self.run_padded(x)
        t2 = time.perf_counter()
        if pad_h or pad_w:
            y = y[:ph, :pw]
        t = self.timings
        t["pre"] += t1 - t0
        t["infer"] += t2 - t1
        t["post"] += time.perf_counter() - t2
        t["frames"] += 1
        return y

    def to_frame_size(self, y: np.ndarray, width: int, height: int) -> np.ndarray:
        """Scale a stylized picture back to the frame's size (bicubic up, area down); a contiguous copy."""
        t0 = time.perf_counter()
        ph, pw = y.shape[:2]
        if (pw, ph) != (width, height):
            y = cv2.resize(
                y,
                (width, height),
                interpolation=cv2.INTER_CUBIC if pw * ph < width * height else cv2.INTER_AREA,
            )
        y = np.ascontiguousarray(y)
        self.timings["post"] += time.perf_counter() - t0
        return y

    def run_padded(self, x: np.ndarray) -> np.ndarray:
        """Run the network on a BGR ``uint8`` image whose sides are multiples of the size multiple."""
        c = self.contract
        if self._in_dtype == np.uint8 and c.input_nhwc and c.bgr:
            blob = x[None]
        else:
            img = x if c.bgr else cv2.cvtColor(x, cv2.COLOR_BGR2RGB)
            blob = img.astype(np.float32)
            if c.input_scale != 1.0:
                blob *= c.input_scale
            blob = blob[None] if c.input_nhwc else blob.transpose(2, 0, 1)[None]
            blob = np.ascontiguousarray(blob, dtype=self._in_dtype)
        try:
            feeds = {self._input_name: blob}
            if self._style_feed is not None:
                feeds[self._style_input] = self._style_feed
            if self._bound is not None:
                out = self._bound(blob, self._style_feed)
            else:
                out = self.session.run([self._output_name], feeds)[0]
        except Exception as exc:  # onnxruntime's own exception types
            raise ModelError(
                f"{self.info.path.name} failed on a {x.shape[1]}x{x.shape[0]} frame: {first_line(exc, 240)}",
                "the model does not fit the style-network contract; re-export it with 'stylecam export'",
            ) from None
        y = self._to_image(out)
        if y.shape[:2] != x.shape[:2]:
            raise ModelError(
                f"{self.info.path.name} returned a {y.shape[1]}x{y.shape[0]} image for a "
                f"{x.shape[1]}x{x.shape[0]} input",
                f"style networks must keep the size; check its size_multiple metadata ({self._multiple})",
            )
        return y

    def _to_image(self, out: np.ndarray) -> np.ndarray:
        c = self.contract
        y = out[0]
        if not c.output_nhwc:
            y = y.transpose(1, 2, 0)
        if y.dtype != np.uint8:
            y = y.astype(np.float32)
            if c.output_scale != 1.0:
                y *= c.output_scale
            y = np.clip(y + 0.5, 0, 255).astype(np.uint8)
        if y.ndim != 3 or y.shape[2] != 3:
            raise ModelError(
                f"{self.info.path.name} returned shape {out.shape}; expected one 3-channel image",
                "check the model's output_layout metadata",
            )
        if not c.bgr:
            y = cv2.cvtColor(y, cv2.COLOR_RGB2BGR)
        return y


#: ``--network`` values: which network of a style the live command runs
LIVE_NETWORKS = ("auto", "paint", "fast")
#: the live command's frame budget for the painting network on a CPU (seconds; 24 fps)
LIVE_BUDGET_S = 1 / 24


def live_stylizer(
    model: str | os.PathLike | ModelInfo | None,
    network: str = "auto",
    budget_s: float = LIVE_BUDGET_S,
    log: Callable[[str], None] | None = None,
    **options: Any,
) -> Stylizer:
    """The stylizer the live command runs for a style: its painting network, or its fast network.

    ``network``: ``'paint'`` keeps the style's first network (the painting network where there is one),
    ``'fast'`` takes its fast network when it has one, and ``'auto'`` takes the fast one only on a CPU
    where the painting network takes longer than ``budget_s`` on a frame of the style's recommended size
    (median of three runs after a warm-up), and says so through ``log``. ``options`` go to
    :class:`Stylizer`.

    Raises:
        InputError: an unknown ``network``.
        ModelError, DeviceError: as :class:`Stylizer`.
    """
    if network not in LIVE_NETWORKS:
        raise InputError(f"unknown --network '{network}'", f"use one of: {', '.join(LIVE_NETWORKS)}")
    info = (
        model if isinstance(model, ModelInfo) else (default_model() if model is None else find_model(model))
    )
    fast = next((a for a in info.alternatives if a.arch == "fast"), None)
    if network == "fast" and fast is not None:
        return Stylizer(fast, **options)
    st = Stylizer(info, **options)
    if network != "auto" or fast is None or st.device != "cpu" or info.arch == "fast":
        return st
    w, h = info.recommended_size or (640, 360)
    seconds = st.time_network(w, h)
    if seconds <= budget_s:
        return st
    if log is not None:
        log(
            f"{info.name}: the painting network takes {seconds * 1000:.0f} ms a frame at {w}x{h} on this CPU; "
            f"live uses its fast network ('--network paint' keeps the painting network)"
        )
    return Stylizer(fast, **options)
