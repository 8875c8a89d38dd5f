"""Precision variants of a style network: ``NAME.fp16.onnx`` for GPUs, ``NAME.int8.onnx`` for CPUs.

The float32 model (``NAME.onnx``) stays the reference. Beside it:

* **fp16**: every float tensor inside the graph in half precision, the ``uint8`` input and output kept
  (ONNX Runtime's float16 converter, ``keep_io_types``). For the CUDA provider, whose convolutions then
  run on the tensor cores; the TensorRT provider builds its own fp16 engine from the float32 model.
* **int8**: static QDQ quantisation of the convolutions (per-channel weights, uint8 activations,
  percentile calibration on real photos). The weights use 7 of their 8 bits (ONNX Runtime's
  ``reduce_range``): on an x86 CPU without VNNI (AVX2 only, such as Zen 3 or Skylake) ONNX Runtime's
  u8 x s8 kernels add pairs of products in 16 bits (``vpmaddubsw``), which saturates with 8-bit weights
  (255 x 127 x 2 > 32767) and does not with 7-bit ones (255 x 64 x 2 < 32767). With 7-bit weights the
  output is the same on both kinds of CPU, and within 0.1 grey levels of what 8-bit weights give on a
  VNNI CPU. About 1.8x faster than float32 on the 2-core VNNI build machine at 720p, within 1.7 grey
  levels on average; ``int8_weight_bits`` = ``7`` in the metadata says a file was made so.

Each variant is checked against the float32 model on photos it was not calibrated on before it is
written, and refused if it strays (:data:`MAX_MEAN_ERROR`). ``flops_per_pixel`` (multiply-adds x 2 of the
convolutions, per input pixel) is written into the metadata of all three, for the benchmark's GFLOP/s.

Needs the ``onnx`` package (the ``train`` or ``dev`` extra); no torch. The runtime picks a variant with
``--precision`` (default ``auto``: int8 on the CPU, fp16 on CUDA, float32 for TensorRT).
"""

from __future__ import annotations

import os
import random
import tempfile
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..contract import IOContract
from ..errors import InputError, ModelError, OutputError
from ..formats import TRAINING_IMAGE_SUFFIXES
from ..models import VARIANT_PRECISIONS, read_metadata, variant_path
from ..sessions import create_session

#: A variant whose output differs from the float32 model by more than this, on average over the check
#: photos (grey levels of 255), is not written.
MAX_MEAN_ERROR = 4.0

#: Bits of the int8 weights (``reduce_range``: saturation-free on CPUs without VNNI); in the metadata.
INT8_WEIGHT_BITS = 7

#: (width, height) of the calibration and check frames; a multiple of 8 like every stylecam net.
CALIBRATION_SIZE = (384, 216)


@dataclass
class VariantReport:
    """One variant written (or refused), and how far it is from the float32 model."""

    precision: str
    path: Path
    mean_error: float  # grey levels, mean over pixels and check frames
    p99_error: float
    max_error: int
    size_bytes: int
    skipped: str = ""  # why the variant was not written (non-strict builds only)

    def summary(self) -> str:
        if self.skipped:
            return f"{self.path.name}: not written ({self.skipped})"
        return (
            f"{self.path.name}: {self.size_bytes / 1e6:.2f} MB, vs float32 mean {self.mean_error:.2f} "
            f"p99 {self.p99_error:.1f} max {self.max_error} levels"
        )


# --------------------------------------------------------------------------- frames


def calibration_frames(
    folder: str | os.PathLike | None, count: int = 40, seed: int = 0
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``(calibration, check)`` BGR frames at :data:`CALIBRATION_SIZE` from a folder of photos.

    Three quarters of ``count`` photos calibrate, the rest check. Without a folder (or with fewer than 8
    readable photos in it) the demo scene's frames are used, which is worse for int8: pass the photos the
    style was trained on.
    """
    frames: list[np.ndarray] = []
    if folder is not None:
        root = Path(folder)
        if not root.is_dir():
            raise InputError(f"calibration folder not found: {root}", "give a folder of photos")
        files = sorted(p for p in root.rglob("*") if p.suffix.lower() in TRAINING_IMAGE_SUFFIXES)
        random.Random(seed).shuffle(files)
        for path in files:
            img = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if img is not None:
                frames.append(cv2.resize(img, CALIBRATION_SIZE, interpolation=cv2.INTER_AREA))
            if len(frames) >= count:
                break
    if len(frames) < 8:
        from ..demo import DEMO_FPS, render_demo_frame

        w, h = CALIBRATION_SIZE
        frames = [render_demo_frame(i * 7 / DEMO_FPS, w, h) for i in range(count)]
    split = max(1, len(frames) * 3 // 4)
    return frames[:split], frames[split:]


# --------------------------------------------------------------------------- onnx helpers


def _load(path: Path):
    import onnx

    try:
        return onnx.load(str(path))
    except Exception as exc:  # protobuf's own errors
        raise ModelError(
            f"cannot read {path}: {exc}", "give an .onnx file written by 'stylecam export'"
        ) from None


def _save(model, path: Path, metadata: dict[str, str]) -> None:
    import onnx

    del model.metadata_props[:]
    for key, value in metadata.items():
        prop = model.metadata_props.add()
        prop.key, prop.value = key, str(value)
    model.producer_name = "stylecam"
    tmp = path.with_name(path.name + ".part")
    try:
        onnx.save(model, str(tmp))
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"cannot write {path} ({exc.strerror})", "check the folder's permissions") from None


def _input_shape(meta: dict[str, str], side: int) -> tuple[int, int, int, int]:
    return (1, side, side, 3) if IOContract.from_metadata(meta).input_nhwc else (1, 3, side, side)


def flops_per_pixel(path: str | os.PathLike) -> float:
    """Floating-point operations (2 x multiply-adds of every convolution) per input pixel.

    The graph is fixed to a 64x64 input and constant-folded by ONNX Runtime so that ONNX shape inference
    sees every convolution's output size.
    """
    import onnx
    import onnxruntime as ort

    path = Path(path)
    meta = read_metadata(path)
    multiple = IOContract.from_metadata(meta).size_multiple
    side = 64 + (-64) % multiple
    model = _load(path)
    for dim, value in zip(
        model.graph.input[0].type.tensor_type.shape.dim, _input_shape(meta, side), strict=True
    ):
        dim.ClearField("dim_param")
        dim.dim_value = value
    with tempfile.TemporaryDirectory() as tmp:
        options = ort.SessionOptions()
        options.log_severity_level = 3
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        options.optimized_model_filepath = str(Path(tmp) / "folded.onnx")
        ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
        folded = onnx.shape_inference.infer_shapes(onnx.load(options.optimized_model_filepath))
    shapes = {
        vi.name: [d.dim_value for d in vi.type.tensor_type.shape.dim]
        for vi in [*folded.graph.value_info, *folded.graph.output]
    }
    weights = {init.name: list(init.dims) for init in folded.graph.initializer}
    total = 0
    for node in folded.graph.node:
        if node.op_type not in ("Conv", "ConvTranspose"):
            continue
        w = weights.get(node.input[1])
        if node.op_type == "Conv":
            out = shapes.get(node.output[0])
            if not w or not out or 0 in out:
                raise ModelError(f"cannot size convolution {node.name} of {path.name}", "re-export the model")
            total += 2 * int(np.prod(out)) * int(np.prod(w[1:]))
        else:  # ConvTranspose: every input pixel scatters a (Cout/g, kh, kw) kernel
            inp = shapes.get(node.input[0])
            if not w or not inp or 0 in inp:
                raise ModelError(f"cannot size convolution {node.name} of {path.name}", "re-export the model")
            total += 2 * int(np.prod(inp)) * int(np.prod(w[1:]))
    return total / (side * side)


# --------------------------------------------------------------------------- variants


def _session(path: Path):
    return create_session(path, "cpu")[0]


def _feeds(inputs: list, frames: list[np.ndarray]) -> list[dict[str, np.ndarray]]:
    """One feed per frame; a multi-style network (a second input, the style weights) paints frame ``i``
    in style ``i mod n``, so calibration and check cover every style."""
    name = inputs[0].name
    if len(inputs) < 2:
        return [{name: f[None]} for f in frames]
    n = int(inputs[1].shape[0])
    eye = np.eye(n, dtype=np.float32)
    return [{name: f[None], inputs[1].name: eye[i % n]} for i, f in enumerate(frames)]


def run_on_frames(path: Path, frames: list[np.ndarray]) -> list[np.ndarray]:
    """The outputs of the network in ``path`` for each of ``frames`` (``uint8`` BGR), on the CPU."""
    session = _session(path)
    return [session.run(None, feed)[0][0] for feed in _feeds(session.get_inputs(), frames)]


def compare(reference: list[np.ndarray], other: list[np.ndarray]) -> tuple[float, float, int]:
    """(mean, p99, max) absolute difference in grey levels between two lists of ``uint8`` images."""
    diffs = [np.abs(a.astype(np.int16) - b.astype(np.int16)) for a, b in zip(reference, other, strict=True)]
    return (
        float(np.mean([d.mean() for d in diffs])),
        float(np.mean([np.percentile(d, 99) for d in diffs])),
        int(max(int(d.max()) for d in diffs)),
    )


def _convert_fp16(src: Path, dst: Path) -> None:
    from onnxruntime.transformers.float16 import convert_float_to_float16

    model = convert_float_to_float16(_load(src), keep_io_types=True)
    _save(model, dst, {})


class _Reader:
    """ONNX Runtime calibration reader over a list of frames."""

    def __init__(self, inputs: list, frames: list[np.ndarray]) -> None:
        self._items = iter(_feeds(inputs, frames))

    def get_next(self):
        return next(self._items, None)

    def rewind(self) -> None:  # pragma: no cover - not used by the percentile calibrator
        pass


#: convolutions of the painting network kept in float32 in its int8 variant: the input convolution and the
#: two strided ones after it (they see the pixels, at full and half resolution) and the output one. Measured
#: on the shipped network (40 photos, 8 styles): all 14 in int8 strayed 2.16 levels from float32 on real
#: photos (p99 12.1, max 111) and 6.5 on the tests' generated photo; with these four in float32, 1.19
#: (p99 5.7, max 31) and 2.65, at the same speed within the noise (about 100 ms against 140-170 ms in
#: float32 at 640x360 on two AVX-512 cores).
PAINT_FLOAT_LAYERS = ("/net/down.", "/net/out/")


def float_layers(src: Path) -> list[str]:
    """The convolutions of ``src`` that its int8 variant keeps in float32 (see :data:`PAINT_FLOAT_LAYERS`;
    none for the other architectures)."""
    if read_metadata(src).get("arch") != "paint":
        return []
    model = _load(src)
    return [n.name for n in model.graph.node if n.op_type == "Conv" and n.name.startswith(PAINT_FLOAT_LAYERS)]


def convert_int8(src: Path, dst: Path, frames: list[np.ndarray], reduce_range: bool = True) -> None:
    """Static QDQ int8 of ``src``'s convolutions into ``dst`` (but :func:`float_layers`); 7-bit weights
    unless ``reduce_range=False``."""
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    inputs = _session(src).get_inputs()
    src, dst = src.resolve(), dst.resolve()
    keep = float_layers(src)
    # The calibrator prints its progress on stdout, and ONNX Runtime's symbolic shape inference leaves
    # debugging files in the working folder when it gives up: both go to a scratch folder.
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp, open(os.devnull, "w") as devnull, redirect_stdout(devnull):
        os.chdir(tmp)
        try:
            pre = Path(tmp) / "pre.onnx"
            quant_pre_process(str(src), str(pre), skip_symbolic_shape=True)
            quantize_static(
                str(pre),
                str(dst),
                _Reader(inputs, frames),
                quant_format=QuantFormat.QDQ,
                per_channel=True,
                calibrate_method=CalibrationMethod.Percentile,
                activation_type=QuantType.QUInt8,
                weight_type=QuantType.QInt8,
                op_types_to_quantize=["Conv"],
                reduce_range=reduce_range,
                nodes_to_exclude=keep,
            )
        finally:
            os.chdir(cwd)


def build_variants(
    model: str | os.PathLike,
    precisions: tuple[str, ...] = VARIANT_PRECISIONS,
    calibration: str | os.PathLike | None = None,
    max_mean_error: float = MAX_MEAN_ERROR,
    strict: bool = True,
) -> list[VariantReport]:
    """Write ``NAME.fp16.onnx`` and/or ``NAME.int8.onnx`` beside the float32 ``model``.

    Also records ``flops_per_pixel`` and ``precision`` in the float32 model's metadata (its graph and
    weights are not touched).

    Args:
        model: the float32 ``.onnx`` written by ``stylecam export``.
        precisions: which variants to write.
        calibration: a folder of photos for int8 calibration and for the check (the training photos).
        max_mean_error: refuse a variant whose mean difference to float32 exceeds this (grey levels).
        strict: raise when a variant cannot be made or strays; otherwise skip it (reported with
            ``skipped`` set) and go on with the next.

    Raises:
        ModelError: the model is not a float32 stylecam model, or (``strict``) a variant strays too far
            or cannot be made.
        InputError: an unknown precision or a missing calibration folder.
    """
    src = Path(model)
    if not src.is_file():
        raise InputError(f"model not found: {src}", "give the .onnx written by 'stylecam export'")
    bad = [p for p in precisions if p not in VARIANT_PRECISIONS]
    if bad:
        raise InputError(f"unknown precision {bad[0]!r}", f"use {' or '.join(VARIANT_PRECISIONS)}")
    meta = read_metadata(src)
    if meta.get("precision", "fp32") != "fp32":
        raise ModelError(f"{src.name} is itself a {meta['precision']} variant", "give the float32 model")
    cal, check = calibration_frames(calibration)
    meta["precision"] = "fp32"
    meta["flops_per_pixel"] = str(round(flops_per_pixel(src)))
    _save(_load(src), src, meta)
    reference = run_on_frames(src, check)

    reports = []
    for precision in precisions:
        dst = variant_path(src, precision)
        try:
            reports.append(_build_one(src, dst, precision, meta, cal, check, reference, max_mean_error))
        except Exception as exc:
            if strict:
                if isinstance(exc, ModelError | OutputError):
                    raise
                raise ModelError(f"cannot make the {precision} variant of {src.name}: {exc}") from None
            why = exc.one_line() if isinstance(exc, ModelError | OutputError) else str(exc).splitlines()[0]
            reports.append(VariantReport(precision, dst, float("nan"), float("nan"), -1, 0, skipped=why))
    return reports


def _build_one(src, dst, precision, meta, cal, check, reference, max_mean_error) -> VariantReport:
    tmp = dst.with_name(dst.stem + ".tmp.onnx")
    try:
        if precision == "fp16":
            _convert_fp16(src, tmp)
        else:
            convert_int8(src, tmp, cal)
        mean, p99, worst = compare(reference, run_on_frames(tmp, check))
        if mean > max_mean_error:
            raise ModelError(
                f"the {precision} variant of {src.name} differs from float32 by {mean:.1f} levels on average",
                "not written; the float32 model is used on every device",
            )
        extra = (
            {"int8_weight_bits": str(INT8_WEIGHT_BITS), "int8_float_layers": str(len(float_layers(src)))}
            if precision == "int8"
            else {}
        )
        _save(_load(tmp), dst, {**meta, "precision": precision, **extra})
    finally:
        tmp.unlink(missing_ok=True)
    return VariantReport(precision, dst, mean, p99, worst, dst.stat().st_size)
