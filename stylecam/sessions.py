"""ONNX Runtime sessions on the best device that really runs: :func:`create_session`.

The devices and what each needs are :mod:`stylecam.providers`' records; this module walks them in
order, preloads NVIDIA's libraries for a GPU provider, reads back the providers a session really got
(ONNX Runtime itself would quietly fall back to the CPU) and reports what runs and why the others did
not (:class:`SessionReport`). On the CPU, ``--precision auto`` takes a style's int8 variant where this
CPU runs it exactly (:func:`cpu_int8_kind`).

Example:
    >>> from stylecam.sessions import create_session  # doctest: +SKIP
    >>> session, report = create_session("starry-night.onnx", "auto")  # doctest: +SKIP
    >>> report.summary()  # doctest: +SKIP
    'running on CPU (fp32) (tensorrt: ...; cuda: ...)'
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from . import gpu_libraries
from .errors import DeviceError, InputError, ModelError, first_line
from .models import PRECISIONS, ModelInfo, read_metadata
from .providers import AUTO_ORDER, DEVICES, PROVIDERS, load_onnxruntime

__all__ = ["SessionReport", "cpu_int8_kind", "create_session"]


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
    ort = load_onnxruntime()
    available = ort.get_available_providers()
    wanted = list(AUTO_ORDER) if device == "auto" else [device]
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
        provider = PROVIDERS[dev]
        if provider.gpu:
            if provider.ort_name not in available:
                tried.append((dev, provider.why_not(available)))
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
        graph = cuda_graph and provider.cuda_graph
        try:
            try:
                session = ort.InferenceSession(str(path), options, providers=provider.provider_list(graph))
            except Exception as exc:
                if not graph or _looks_like_model_error(exc):
                    raise
                tried.append(("cuda graph", first_line(exc, 240)))
                graph = False
                session = ort.InferenceSession(str(path), options, providers=provider.provider_list())
        except Exception as exc:
            if dev == "cpu" or _looks_like_model_error(exc):
                raise ModelError(
                    f"cannot load {path}: {first_line(exc, 240)}",
                    "the file is not a valid ONNX model; re-export it or pick another style",
                ) from None
            tried.append((dev, first_line(exc, 240)))
            continue
        got = session.get_providers()
        if got and got[0] == provider.ort_name:
            return session, SessionReport(device, dev, got, tried, path, prec, graph)
        tried.append((dev, f"ONNX Runtime fell back to {got[0] if got else 'nothing'}"))

    if device != "auto":
        reasons = "; ".join(f"{d}: {why}" for d, why in tried)
        raise DeviceError(f"--device {device} is not available ({reasons})", PROVIDERS[device].how_to_fix())
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
    return kind == "avx2" and read_metadata(int8).get("int8_weight_bits") == "7"


def _looks_like_model_error(exc: BaseException) -> bool:
    text = str(exc)
    return any(k in text for k in ("INVALID_PROTOBUF", "INVALID_GRAPH", "Load model", "NO_SUCHFILE"))


def _default_threads() -> int:
    env = os.environ.get("STYLECAM_THREADS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, os.cpu_count() or 1)
