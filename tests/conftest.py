"""Shared test fixtures: tiny ONNX style networks built with onnx.helper, and the shared data folder."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO / ".." / "shared").resolve()


def shared_path(*parts: str) -> Path:
    """A path inside ../shared, or skip the test when the shared data is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs ../shared ({path} not found)")
    return path


def make_model(
    path: Path,
    kind: str = "invert",
    *,
    name: str | None = None,
    layout: str = "NHWC",
    dtype: str = "uint8",
    value_range: str = "0-255",
    color: str = "BGR",
    multiple: int = 4,
    extra_meta: dict[str, str] | None = None,
) -> Path:
    """Write a tiny style network that follows (or, with other arguments, varies) the model contract.

    kinds:
      * ``invert``: 255 - x (exact, colour-order independent);
      * ``identity``: x;
      * ``constant``: every pixel (B, G, R) = (10, 200, 60) in BGR order;
      * ``pool4``: 4x4 average pooling followed by 4x nearest upsampling, so the output is only the
        input's size when H and W are multiples of 4 (tests the engine's padding);
      * ``shrink``: drops the last row (a malformed network whose output is not the input's size).
    """
    import onnx
    from onnx import TensorProto, helper

    tdtype = {"uint8": TensorProto.UINT8, "float32": TensorProto.FLOAT, "float16": TensorProto.FLOAT16}[dtype]
    shape = ["N", "H", "W", 3] if layout == "NHWC" else ["N", 3, "H", "W"]
    inp = helper.make_tensor_value_info("frame", tdtype, shape)
    out = helper.make_tensor_value_info("stylized", tdtype, shape)
    full = 255.0 if value_range == "0-255" else 1.0
    nodes = [helper.make_node("Cast", ["frame"], ["x"], to=TensorProto.FLOAT)]
    inits = [helper.make_tensor("full", TensorProto.FLOAT, [], [full])]
    if kind == "invert":
        nodes.append(helper.make_node("Sub", ["full", "x"], ["y"]))
    elif kind == "identity":
        nodes.append(helper.make_node("Identity", ["x"], ["y"]))
    elif kind == "constant":
        bgr = np.array([10, 200, 60], np.float32) / (255.0 / full)
        c = bgr if color == "BGR" else bgr[::-1]
        cshape = [1, 1, 1, 3] if layout == "NHWC" else [1, 3, 1, 1]
        inits.append(helper.make_tensor("c", TensorProto.FLOAT, cshape, c.tolist()))
        inits.append(helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0]))
        nodes += [helper.make_node("Mul", ["x", "zero"], ["z"]), helper.make_node("Add", ["z", "c"], ["y"])]
    elif kind in ("pool4", "shrink"):
        if layout == "NHWC":
            nodes.append(helper.make_node("Transpose", ["x"], ["xc"], perm=[0, 3, 1, 2]))
        else:
            nodes.append(helper.make_node("Identity", ["x"], ["xc"]))
        if kind == "pool4":
            nodes.append(helper.make_node("AveragePool", ["xc"], ["p"], kernel_shape=[4, 4], strides=[4, 4]))
            inits.append(helper.make_tensor("scales", TensorProto.FLOAT, [4], [1, 1, 4, 4]))
            nodes.append(helper.make_node("Resize", ["p", "", "scales"], ["yc"], mode="nearest"))
        else:
            inits += [
                helper.make_tensor("st", TensorProto.INT64, [1], [0]),
                helper.make_tensor("en", TensorProto.INT64, [1], [-1]),
                helper.make_tensor("ax", TensorProto.INT64, [1], [2]),
            ]
            nodes.append(helper.make_node("Slice", ["xc", "st", "en", "ax"], ["yc"]))
        if layout == "NHWC":
            nodes.append(helper.make_node("Transpose", ["yc"], ["y"], perm=[0, 2, 3, 1]))
        else:
            nodes.append(helper.make_node("Identity", ["yc"], ["y"]))
    else:
        raise ValueError(kind)
    nodes.append(helper.make_node("Cast", ["y"], ["stylized"], to=tdtype))
    graph = helper.make_graph(nodes, "tiny_style", [inp], [out], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    meta = {
        "stylecam.format": "1",
        "name": name or path.stem,
        "title": f"Test {kind}",
        "artist": "stylecam tests",
        "arch": "test",
        "input_layout": layout,
        "input_dtype": dtype,
        "input_range": value_range,
        "output_layout": layout,
        "output_range": value_range,
        "color_order": color,
        "size_multiple": str(multiple),
        "license": "MIT",
        "training": "{}",
    }
    meta.update(extra_meta or {})
    helper.set_model_props(model, meta)
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


#: BGR colour each test style paints
COLOURS = {"red": (0, 0, 250), "green": (0, 250, 0), "blue": (250, 0, 0)}


def make_multi_style_model(path: Path, names: list[str], arch: str = "paint") -> Path:
    """A contract network whose ``style`` weights mix flat colours: output = sum_k w_k * colour_k."""
    import json

    import onnx
    from onnx import TensorProto, helper

    n = len(names)
    table = np.array([COLOURS[k] for k in names], np.float32)  # (n, 3) BGR
    nodes = [
        helper.make_node("Cast", ["frame"], ["x"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["x", "zero"], ["z"]),
        helper.make_node("Unsqueeze", ["style", "ax0"], ["s2"]),  # (1, n)
        helper.make_node("MatMul", ["s2", "table"], ["c"]),  # (1, 3)
        helper.make_node("Add", ["z", "c"], ["y"]),
        helper.make_node("Add", ["y", "half"], ["yr"]),
        helper.make_node("Cast", ["yr"], ["stylized"], to=TensorProto.UINT8),
    ]
    inits = [
        helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0]),
        helper.make_tensor("half", TensorProto.FLOAT, [], [0.5]),
        helper.make_tensor("ax0", TensorProto.INT64, [1], [0]),
        helper.make_tensor("table", TensorProto.FLOAT, [n, 3], table.flatten().tolist()),
    ]
    graph = helper.make_graph(
        nodes,
        "multi",
        [
            helper.make_tensor_value_info("frame", TensorProto.UINT8, [1, "H", "W", 3]),
            helper.make_tensor_value_info("style", TensorProto.FLOAT, [n]),
        ],
        [helper.make_tensor_value_info("stylized", TensorProto.UINT8, [1, "H", "W", 3])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    styles = [{"name": k, "title": f"The {k.title()}", "artist": "Tester", "year": "2026"} for k in names]
    meta = {
        "stylecam.format": "1",
        "name": path.stem,
        "arch": arch,
        "input_layout": "NHWC",
        "input_dtype": "uint8",
        "input_range": "0-255",
        "output_layout": "NHWC",
        "output_range": "0-255",
        "color_order": "BGR",
        "size_multiple": "4",
        "styles": json.dumps(styles),
    }
    helper.set_model_props(model, meta)
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


@pytest.fixture
def models_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A STYLECAM_MODELS folder with tiny 'invert', 'identity', 'constant' and 'pool4' styles; the user folder
    is redirected into tmp_path so the developer's own models do not leak in."""
    folder = tmp_path / "models"
    for kind in ("invert", "identity", "constant", "pool4"):
        make_model(folder / f"{kind}.onnx", kind)
    monkeypatch.setenv("STYLECAM_MODELS", str(folder))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    return folder


def synthetic_frame(width: int, height: int, t: int = 0, seed: int = 0) -> np.ndarray:
    """A textured BGR frame with a square that moves with ``t``."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    img = np.stack(
        [(xx * 3 + t * 5) % 256, (yy * 2 + t * 3) % 256, ((xx + yy) + t * 7) % 256], axis=-1
    ).astype(np.uint8)
    img = (img.astype(np.int16) + rng.integers(-8, 8, img.shape)).clip(0, 255).astype(np.uint8)
    s = max(2, min(width, height) // 4)
    x0 = (t * 4) % max(1, width - s)
    img[height // 3 : height // 3 + s, x0 : x0 + s] = (40, 220, 250)
    return img


os.environ.setdefault("STYLECAM_THREADS", "2")


# --- media helpers ---
# Synthetic clips for tests/test_media.py, written with PyAV into tmp_path. Each frame carries its
# index as an 8-bit code in a strip of black/white cells at the top (readable after lossy coding).

CODE_BITS = 8
AUDIO_RATE = 48000


def photo_like(width: int, height: int) -> np.ndarray:
    """A photo-like picture: smooth colour gradients, a few solid shapes, sensor noise."""
    import cv2

    rng = np.random.default_rng(7)
    small = rng.integers(0, 256, (3, 4, 3), dtype=np.uint8)
    img = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    cv2.rectangle(img, (width // 5, height // 4), (width // 2, height * 3 // 4), (30, 60, 200), -1)
    cv2.circle(img, (width * 3 // 4, height // 2), height // 4, (230, 230, 240), -1)
    noise = rng.normal(0, 3, img.shape)
    return np.clip(img + noise, 0, 255).astype(np.uint8)


def clip_image(index: int, width: int, height: int, flash: bool = False) -> np.ndarray:
    """A BGR test picture: moving diagonal stripes, with ``index`` coded in the top strip."""
    if flash:
        return np.full((height, width, 3), 255, np.uint8)
    y, x = np.mgrid[0:height, 0:width]
    stripes = (((x + y + 4 * index) // 8) % 2 * 96 + 64).astype(np.uint8)
    image = np.stack([stripes, np.full_like(stripes, 40 + index % 50), 255 - stripes], axis=2)
    strip = max(8, height // 6)
    cell = width // CODE_BITS
    for bit in range(CODE_BITS):
        image[:strip, bit * cell : (bit + 1) * cell] = 255 if (index >> bit) & 1 else 0
    return np.ascontiguousarray(image)


def frame_code(image: np.ndarray) -> int:
    """Read back the index written by :func:`clip_image`."""
    height, width = image.shape[:2]
    strip = max(8, height // 6)
    cell = width // CODE_BITS
    value = 0
    for bit in range(CODE_BITS):
        patch = image[2 : strip - 2, bit * cell + 2 : (bit + 1) * cell - 2]
        if patch.mean() > 128:
            value |= 1 << bit
    return value


def make_clip(
    path: Path,
    n_frames: int,
    size: tuple[int, int] = (96, 64),
    fps: float | Fraction = 25,
    audio: bool = True,
    rotation: int = 0,
    *,
    flash_at: int | None = None,
    audio_codec: str = "aac",
    audio_seconds: float | None = None,
) -> Path:
    """Write a test clip: moving coded pattern, and a 440 Hz tone (or, with ``flash_at=k``, a white
    frame ``k`` and silence with a 1 kHz beep starting at ``k / fps``).

    ``rotation`` (clockwise degrees) is stored as a display matrix: the coded picture is
    ``size``, a player shows it turned. MP4 files are written with the index first (faststart).
    """
    import av

    path = Path(path)
    width, height = size
    rate = fps if isinstance(fps, Fraction) else Fraction(fps).limit_denominator(1001)
    options = {"movflags": "+faststart"} if path.suffix in (".mp4", ".mov") else {}
    container = av.open(str(path), "w", options=options)
    video = container.add_stream("libx264", rate=rate)
    video.width, video.height = width, height
    video.pix_fmt = "yuv420p"
    video.options = {"crf": "12", "preset": "ultrafast"}
    if rotation:
        video.set_display_rotation(-rotation)
    stream_audio = None
    if audio:
        stream_audio = container.add_stream(audio_codec, rate=AUDIO_RATE, layout="mono")
    for i in range(n_frames):
        frame = av.VideoFrame.from_ndarray(clip_image(i, width, height, flash=i == flash_at), format="bgr24")
        frame.pts = i
        frame.time_base = 1 / rate
        container.mux(video.encode(frame))
    if stream_audio is not None:
        seconds = audio_seconds if audio_seconds is not None else n_frames / float(rate)
        t = np.arange(round(seconds * AUDIO_RATE)) / AUDIO_RATE
        if flash_at is None:
            samples = 0.3 * np.sin(2 * np.pi * 440 * t)
        else:
            onset = flash_at / float(rate)
            samples = np.where((t >= onset) & (t < onset + 0.2), 0.5 * np.sin(2 * np.pi * 1000 * t), 0.0)
        samples = samples.astype(np.float32)
        fmt = stream_audio.codec_context.format.name
        for k in range(0, len(samples), 1024):
            chunk = samples[None, k : k + 1024]
            if fmt == "s16":
                chunk = (chunk * 32767).astype(np.int16)
            frame = av.AudioFrame.from_ndarray(chunk, format="flt" if fmt != "s16" else "s16", layout="mono")
            frame.sample_rate = AUDIO_RATE
            frame.pts = k
            frame.time_base = Fraction(1, AUDIO_RATE)
            container.mux(stream_audio.encode(frame))
        container.mux(stream_audio.encode(None))
    container.mux(video.encode(None))
    container.close()
    return path


def decode_video(path: Path) -> tuple[list[np.ndarray], list[float]]:
    """All frames of ``path`` as BGR arrays (no rotation applied) and their times in seconds."""
    import av

    images, times = [], []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            images.append(frame.to_ndarray(format="bgr24"))
            times.append(float(frame.time))
    return images, times


def decode_audio(path: Path) -> tuple[np.ndarray, int, float]:
    """The first audio stream of ``path`` as mono float samples, its rate and its start time (s)."""
    import av

    chunks, start = [], None
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=stream.codec_context.sample_rate)
        for frame in container.decode(stream):
            if start is None:
                start = float(frame.time) if frame.time is not None else 0.0
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
        rate = stream.codec_context.sample_rate
    samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    return samples, rate, start or 0.0
