"""The style engine: one ONNX Runtime session per model, honest about where it runs.

numpy in, numpy out: :class:`Stylizer` takes a ``uint8`` BGR frame of any size
and returns the stylized frame at the same size. It reads the model's
metadata (layout, dtype, value range, colour order, size multiple) so any
style network exported by ``stylecam export`` — or described by the same
metadata keys — runs without a side table.

Devices (``device=``):

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
(one per frame size) when ONNX Runtime can put every node on the GPU.

Example:
    >>> from stylecam.engine import Stylizer  # doctest: +SKIP
    >>> stylize = Stylizer("starry-night", device="auto")  # doctest: +SKIP
    >>> out = stylize(frame)  # uint8 BGR, same shape as frame  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from . import gpu_libraries
from .errors import DeviceError, InputError, ModelError
from .models import PRECISIONS, ModelInfo, default_model, find_model
from .sizes import NAMED_HEIGHTS, parse_size  # noqa: F401  (re-exported: the parser lives in sizes.py)

DEVICES = ("auto", "tensorrt", "cuda", "cpu")

_PROVIDER = {
    "tensorrt": "TensorrtExecutionProvider",
    "cuda": "CUDAExecutionProvider",
    "cpu": "CPUExecutionProvider",
}
_DEVICE_OF = {v: k for k, v in _PROVIDER.items()}

#: Frames smaller than this (shorter side) are upscaled for the network and scaled back.
MIN_SIDE = 32


#: the second input of a multi-style network: float32 weights over its styles
STYLE_INPUT = "style"


def _ort():
    import onnxruntime as ort

    return ort


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


# --------------------------------------------------------------------------- providers


def missing_cuda_libraries() -> list[str]:
    """What CUDA lacks in this process, in words (empty when CUDA should work; see :mod:`.gpu_libraries`)."""
    report = gpu_libraries.find_libraries("cuda")
    driver = [] if report.driver.found else [f"the NVIDIA driver ({report.driver.name})"]
    return driver + [f.library.label for f in report.missing]


def missing_tensorrt_libraries() -> list[str]:
    """What TensorRT lacks beyond CUDA's libraries, in words."""
    report = gpu_libraries.find_libraries("tensorrt")
    return [f.library.label for f in report.missing if f.library.device == "tensorrt"]


def trt_cache_dir() -> Path:
    """Where TensorRT keeps its built engines (see :mod:`stylecam.paths`)."""
    from .paths import user_cache_dir

    return user_cache_dir() / "tensorrt"


def _provider_list(device: str, cuda_graph: bool = False) -> list:
    """ONNX Runtime provider list (with options) for one concrete device."""
    cpu = "CPUExecutionProvider"
    cuda_options = {"cudnn_conv_algo_search": "EXHAUSTIVE", "do_copy_in_default_stream": "1"}
    if cuda_graph and device == "cuda":
        cuda_options["enable_cuda_graph"] = "1"
    cuda = ("CUDAExecutionProvider", cuda_options)
    if device == "cpu":
        return [cpu]
    if device == "cuda":
        return [cuda, cpu]
    if device == "tensorrt":
        cache = trt_cache_dir()
        with contextlib.suppress(OSError):
            cache.mkdir(parents=True, exist_ok=True)
        trt = (
            "TensorrtExecutionProvider",
            {
                "trt_fp16_enable": "1",
                "trt_engine_cache_enable": "1",
                "trt_engine_cache_path": str(cache),
                "trt_timing_cache_enable": "1",
                "trt_timing_cache_path": str(cache),
            },
        )
        return [trt, cuda, cpu]
    raise ValueError(device)


def _why_not(device: str, available: list[str]) -> str:
    """Why ``device`` cannot run here, in a few words."""
    ort = _ort()
    if _PROVIDER[device] not in available:
        pkg = getattr(ort, "__name__", "onnxruntime")
        return f"this onnxruntime build ({pkg} {ort.__version__}) has no {_PROVIDER[device]}"
    return (
        gpu_libraries.find_libraries(device).problem()
        or "ONNX Runtime could not start it (see its log above)"
    )


def _how_to_fix(device: str) -> str:
    other = "use --device cuda or --device cpu" if device == "tensorrt" else "use --device cpu"
    if _PROVIDER[device] not in _ort().get_available_providers():
        return f'install onnxruntime-gpu (Linux or Windows, x86_64): pip install "stylecam[{device}]", or {other}'
    fix = gpu_libraries.find_libraries(device).fix() or 'pip install --force-reinstall "stylecam[cuda]"'
    return f"{fix}, or {other}"


# --------------------------------------------------------------------------- sessions


@dataclass
class SessionReport:
    """What was asked for, what runs, and why the others did not."""

    requested: str
    device: str
    providers: list[str]
    tried: list[tuple[str, str]]  # (device, reason it was not used)
    path: Path | None = None  # the file that runs
    precision: str = "fp32"
    cuda_graph: bool = False

    def summary(self) -> str:
        text = (
            f"running on {self.device.upper()} ({self.precision}{', CUDA graph' if self.cuda_graph else ''})"
        )
        if self.tried:
            text += " (" + "; ".join(f"{d}: {why}" for d, why in self.tried) + ")"
        return text


def create_session(
    model_path: str | Path | ModelInfo,
    device: str = "auto",
    threads: int | None = None,
    precision: str = "auto",
    cuda_graph: bool = False,
):
    """Create an ONNX Runtime session on the best available device.

    Args:
        model_path: an ``.onnx`` file, or a :class:`ModelInfo` whose precision variant is picked per
            device (see :meth:`ModelInfo.path_for`).
        device: ``"auto"``, ``"tensorrt"``, ``"cuda"`` or ``"cpu"``.
        threads: CPU threads (default: all cores, or ``STYLECAM_THREADS``).
        precision: ``"auto"``, ``"fp32"``, ``"fp16"`` or ``"int8"`` (only with a :class:`ModelInfo`).
        cuda_graph: under CUDA, ask for CUDA-graph replay (needs IO binding); when ONNX Runtime refuses
            it (a node it cannot put on the GPU), the session is made without it.

    Returns:
        ``(session, SessionReport)``.

    Raises:
        DeviceError: an explicitly requested device cannot run; the message
            lists what was missing and how to fix it.
        ModelError: the file is not a valid ONNX model.
    """
    if device not in DEVICES:
        raise InputError(f"unknown device '{device}'", f"use one of: {', '.join(DEVICES)}")
    if precision not in PRECISIONS:
        raise InputError(f"unknown precision '{precision}'", f"use one of: {', '.join(PRECISIONS)}")
    info = model_path if isinstance(model_path, ModelInfo) else None
    if info is None and precision not in ("auto", "fp32"):
        raise InputError(f"--precision {precision} needs a style name", "or give the variant's .onnx file")
    ort = _ort()
    available = ort.get_available_providers()
    wanted = ["tensorrt", "cuda", "cpu"] if device == "auto" else [device]
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.intra_op_num_threads = threads or _default_threads()
    options.inter_op_num_threads = 1
    # no spin-waiting: decode, smoothing and encode threads share the cores
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3

    tried: list[tuple[str, str]] = []
    for dev in wanted:
        if dev != "cpu":
            if _PROVIDER[dev] not in available:
                tried.append((dev, _why_not(dev, available)))
                continue
            # CUDA/cuDNN/TensorRT from NVIDIA's wheels, loaded before the session so ONNX Runtime finds them
            libs = gpu_libraries.preload(dev)
            if not libs.ok:
                # ONNX Runtime would log an ERROR and quietly run on the CPU: do not even try.
                tried.append((dev, libs.problem() or "missing libraries"))
                continue
        asked = precision
        if info is not None and dev == "cpu" and precision == "auto":
            asked = "int8" if _int8_runs_well_here(info) else "fp32"
        path, prec = info.path_for(dev, asked) if info is not None else (Path(model_path), "fp32")
        graph = cuda_graph and dev == "cuda"
        try:
            try:
                session = ort.InferenceSession(str(path), options, providers=_provider_list(dev, graph))
            except Exception as exc:
                if not graph or _looks_like_model_error(exc):
                    raise
                tried.append(("cuda graph", _first_line(exc)))
                graph = False
                session = ort.InferenceSession(str(path), options, providers=_provider_list(dev))
        except Exception as exc:
            if dev == "cpu" or _looks_like_model_error(exc):
                raise ModelError(
                    f"cannot load {path}: {_first_line(exc)}",
                    "the file is not a valid ONNX model; re-export it or pick another style",
                ) from None
            tried.append((dev, _first_line(exc)))
            continue
        got = session.get_providers()
        if got and got[0] == _PROVIDER[dev]:
            return session, SessionReport(device, dev, got, tried, path, prec, graph)
        tried.append((dev, f"ONNX Runtime fell back to {got[0] if got else 'nothing'}"))

    if device != "auto":
        reasons = "; ".join(f"{d}: {why}" for d, why in tried)
        raise DeviceError(f"--device {device} is not available ({reasons})", _how_to_fix(device))
    raise DeviceError("no ONNX Runtime device could run the model", "reinstall onnxruntime")


def cpu_int8_kind() -> str:
    """How ONNX Runtime's CPU provider multiplies int8 here: ``"dot"``, ``"avx2"`` or ``"none"``.

    ``"dot"``: integer dot products (x86 VNNI or AMX, Arm dot product), exact for any int8 file.
    ``"avx2"``: an x86 CPU with AVX2 but no VNNI (Zen 3, Skylake), whose u8 x s8 kernels add pairs of
    products in 16 bits and saturate unless the weights use 7 bits (``int8_weight_bits`` = ``7`` in the
    variant's metadata, as ``stylecam variants`` writes them). ``"none"``: anything else.
    ``STYLECAM_INT8=1`` or ``0`` overrides it (``"dot"`` or ``"none"``).

    numpy's CPUID-based feature list decides; ``/proc/cpuinfo`` adds AVX-VNNI and AMX, which numpy does
    not list, but only when it agrees with numpy about AVX-512 (under an emulator such as
    ``qemu-x86_64 -cpu Haswell`` it describes the host, not the CPU the program sees).
    """
    env = os.environ.get("STYLECAM_INT8", "").strip()
    if env in ("0", "1"):
        return "dot" if env == "1" else "none"
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:  # numpy 1.x
        try:
            from numpy.core._multiarray_umath import __cpu_features__ as features
        except ImportError:
            features = {}
    if any(features.get(k) for k in ("AVX512VNNI", "AVXVNNI", "AVX512_CLX", "ASIMDDP")):
        return "dot"
    try:
        flags = Path("/proc/cpuinfo").read_text().split("\n\n")[0]
    except OSError:
        flags = ""
    same_cpu = (" avx512f" in flags) == bool(features.get("AVX512F"))
    if same_cpu and any(f in flags for f in (" avx_vnni", " avx512_vnni", " amx_int8")):
        return "dot"
    return "avx2" if features.get("AVX2") else "none"


def _int8_runs_well_here(info: ModelInfo) -> bool:
    """``--precision auto`` on the CPU: int8 where it runs exactly, and faster than float32.

    Measured on a Zen 3 (AVX2, no VNNI), 640x360: int8 31 ms, float32 44 ms; with 7-bit weights the
    int8 output there equals the one on a VNNI CPU (docs/speed.md). Files with 8-bit weights stay on
    float32 there: they saturate (up to 5 grey levels more error).
    """
    int8 = info.variants.get("int8")
    if int8 is None:
        return False
    kind = cpu_int8_kind()
    if kind == "dot":
        return True
    from .models import read_metadata

    return kind == "avx2" and read_metadata(int8).get("int8_weight_bits") == "7"


def _looks_like_model_error(exc: BaseException) -> bool:
    text = str(exc)
    return any(k in text for k in ("INVALID_PROTOBUF", "INVALID_GRAPH", "Load model", "NO_SUCHFILE"))


def _first_line(exc: BaseException) -> str:
    lines = [ln for ln in str(exc).strip().splitlines() if ln.strip()]
    line = lines[0] if lines else type(exc).__name__
    return line[:240]


def _default_threads() -> int:
    env = os.environ.get("STYLECAM_THREADS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, os.cpu_count() or 1)


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
        get = self.info.get
        self._multiple = self.info.size_multiple
        self._nhwc = get("input_layout").upper() == "NHWC"
        self._out_nhwc = get("output_layout").upper() == "NHWC"
        self._bgr = get("color_order").upper() == "BGR"
        self._in_scale = 1.0 if get("input_range") == "0-255" else 1 / 255.0
        self._out_scale = 1.0 if get("output_range") == "0-255" else 255.0
        # the stylecam contract, uint8 NHWC BGR in and out: output shape = input shape, so the buffers
        # can be bound once per size (IO binding), which a CUDA graph needs
        contract = get("input_dtype") == "uint8" and self._nhwc and self._out_nhwc and self._bgr
        self.session, self.report = create_session(
            self.info,
            device,
            threads,
            precision,
            cuda_graph=contract and cuda_graph is not False and io_binding is not False,
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
            _BoundRunner(
                self.session, self._input_name, self._output_name, self.device, self.report.cuda_graph
            )
            if contract and (io_binding or self.report.cuda_graph)
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
        if styles and len(inputs) == 2 and inputs[1].name == STYLE_INPUT:
            self._style_input = STYLE_INPUT
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
        layout = self.info.get("input_layout").upper()
        channel_axis = 3 if layout == "NHWC" else 1
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
            for d in ((shape[1], shape[2]) if layout == "NHWC" else (shape[2], shape[3]))
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
        if self._in_dtype == np.uint8 and self._nhwc and self._bgr:
            blob = x[None]
        else:
            img = x if self._bgr else cv2.cvtColor(x, cv2.COLOR_BGR2RGB)
            blob = img.astype(np.float32)
            if self._in_scale != 1.0:
                blob *= self._in_scale
            blob = blob[None] if self._nhwc else blob.transpose(2, 0, 1)[None]
            blob = np.ascontiguousarray(blob, dtype=self._in_dtype)
        try:
            feeds = {self._input_name: blob}
            if self._style_feed is not None:
                feeds[STYLE_INPUT] = self._style_feed
            if self._bound is not None:
                out = self._bound(blob, self._style_feed)
            else:
                out = self.session.run([self._output_name], feeds)[0]
        except Exception as exc:  # onnxruntime's own exception types
            raise ModelError(
                f"{self.info.path.name} failed on a {x.shape[1]}x{x.shape[0]} frame: {_first_line(exc)}",
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
        y = out[0]
        if not self._out_nhwc:
            y = y.transpose(1, 2, 0)
        if y.dtype != np.uint8:
            y = y.astype(np.float32)
            if self._out_scale != 1.0:
                y *= self._out_scale
            y = np.clip(y + 0.5, 0, 255).astype(np.uint8)
        if y.ndim != 3 or y.shape[2] != 3:
            raise ModelError(
                f"{self.info.path.name} returned shape {out.shape}; expected one 3-channel image",
                "check the model's output_layout metadata",
            )
        if not self._bgr:
            y = cv2.cvtColor(y, cv2.COLOR_RGB2BGR)
        return y


class _BoundRunner:
    """IO binding: one input and one output buffer on the device per frame size, bound once.

    Each frame is copied into the bound input (host to device, ``uint8``), the session runs, and the
    output is copied back. With ``cuda_graph`` the first :data:`MAX_SIZES` frame sizes each get their own
    graph id, so ONNX Runtime captures one CUDA graph per size and replays it; those buffers must never
    move, so they are kept for the life of the runner. Further sizes (a folder of photos of every size)
    run without a graph (id -1) in buffers that are dropped oldest first, so memory stays bounded. Only
    for models whose output has the input's shape and type (the stylecam contract: ``uint8`` NHWC BGR in
    and out).
    """

    MAX_SIZES = 8  # frame sizes with a captured CUDA graph, and frame sizes kept bound without one

    def __init__(self, session, input_name: str, output_name: str, device: str, cuda_graph: bool) -> None:
        ort = _ort()
        self._ort = ort
        self._session = session
        self._input_name, self._output_name = input_name, output_name
        self._device = "cpu" if device == "cpu" else "cuda"
        self._cuda_graph = cuda_graph
        self._graphs: dict[tuple[int, ...], tuple] = {}  # sizes replayed as CUDA graphs: kept
        self._plain: dict[tuple[int, ...], tuple] = {}  # other sizes: dropped oldest first

    def graph_id(self, shape: tuple[int, ...]) -> int | None:
        """The CUDA graph id of a bound frame shape, -1 for one bound without a graph, None if unbound."""
        entry = self._graphs.get(shape) or self._plain.get(shape)
        return None if entry is None else entry[4]

    def _bind(self, shape: tuple[int, ...]) -> tuple:
        ort = self._ort
        graph_id = len(self._graphs) if self._cuda_graph and len(self._graphs) < self.MAX_SIZES else -1
        if graph_id < 0 and len(self._plain) >= self.MAX_SIZES:
            self._plain.pop(next(iter(self._plain)))
        x = ort.OrtValue.ortvalue_from_shape_and_type(list(shape), np.uint8, self._device, 0)
        y = ort.OrtValue.ortvalue_from_shape_and_type(list(shape), np.uint8, self._device, 0)
        binding = self._session.io_binding()
        binding.bind_ortvalue_input(self._input_name, x)
        binding.bind_ortvalue_output(self._output_name, y)
        options = ort.RunOptions()
        if self._cuda_graph:  # -1: this run neither captures nor replays a graph
            options.add_run_config_entry("gpu_graph_id", str(graph_id))
        entry = (x, y, binding, options, graph_id)
        (self._graphs if graph_id >= 0 else self._plain)[shape] = entry
        return entry

    def __call__(self, blob: np.ndarray, style: np.ndarray | None = None) -> np.ndarray:
        shape = blob.shape
        entry = self._graphs.get(shape) or self._plain.get(shape) or self._bind(shape)
        x, y, binding, options, _ = entry
        x.update_inplace(np.ascontiguousarray(blob))
        if style is not None:  # a few floats: copied with each run (a crossfade changes them per frame)
            binding.bind_cpu_input(STYLE_INPUT, style)
        self._session.run_with_iobinding(binding, options)
        out = y.numpy()
        # a CPU OrtValue's numpy() shares the buffer that the next frame overwrites
        return out.copy() if self._device == "cpu" else out


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
