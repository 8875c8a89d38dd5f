"""Engine: sizes, padding, layouts, devices, and malformed models — with tiny ONNX graphs."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_model, synthetic_frame

from stylecam.engine import Stylizer, create_session, processing_size
from stylecam.errors import InputError, ModelError
from stylecam.sizes import parse_size


@pytest.mark.parametrize(
    "size",
    [(640, 360), (641, 359), (333, 501), (7, 5), (1, 1), (4, 4), (1919, 1081)],
)
def test_output_has_the_input_size_for_any_frame(tmp_path, size):
    st = Stylizer(make_model(tmp_path / "inv.onnx", "invert"), device="cpu")
    w, h = size
    frame = synthetic_frame(w, h)
    out = st(frame)
    assert out.shape == frame.shape and out.dtype == np.uint8
    if min(w, h) >= 32:  # no resampling: the invert network is exact
        np.testing.assert_array_equal(out, 255 - frame)


def test_8k_frame(tmp_path):
    st = Stylizer(make_model(tmp_path / "id.onnx", "identity"), device="cpu")
    frame = np.zeros((4320, 7680, 3), np.uint8)
    frame[::7, ::5] = 200
    out = st(frame)
    np.testing.assert_array_equal(out, frame)


def test_padding_to_the_size_multiple(tmp_path):
    # pool4 only keeps the size when H and W are multiples of 4: the engine pads and crops back
    st = Stylizer(make_model(tmp_path / "p.onnx", "pool4"), device="cpu")
    frame = synthetic_frame(101, 67)
    out = st(frame)
    assert out.shape == frame.shape
    # a 4x4 block fully inside the frame is its mean
    block = frame[4:8, 8:12].reshape(-1, 3).astype(np.float32).mean(0)
    assert np.abs(out[5, 9].astype(np.float32) - block).max() <= 1.0


@pytest.mark.parametrize(
    "layout,dtype,value_range,color",
    [
        ("NCHW", "float32", "0-1", "RGB"),
        ("NCHW", "float32", "0-255", "BGR"),
        ("NHWC", "float32", "0-1", "RGB"),
    ],
)
def test_float_models_are_adapted_from_metadata(tmp_path, layout, dtype, value_range, color):
    path = make_model(
        tmp_path / "c.onnx", "constant", layout=layout, dtype=dtype, value_range=value_range, color=color
    )
    out = Stylizer(path, device="cpu")(synthetic_frame(64, 48))
    # constant kind paints BGR (10, 200, 60) whatever the conventions
    assert np.abs(out.reshape(-1, 3).astype(int) - [10, 200, 60]).max() <= 1


def test_processing_size_and_resize_back(tmp_path):
    st = Stylizer(make_model(tmp_path / "c.onnx", "constant"), device="cpu", size=(320, 180))
    assert st.processing_size(1280, 720) == (320, 180)
    out = st(synthetic_frame(1280, 720))
    assert out.shape == (720, 1280, 3)
    assert np.abs(out.reshape(-1, 3).astype(int) - [10, 200, 60]).max() <= 1


def test_size_parsing():
    assert parse_size("640x360") == (640, 360)
    assert parse_size("720p") == 720
    assert parse_size("480") == 480
    assert parse_size(None) is None
    with pytest.raises(InputError):
        parse_size("big")
    assert processing_size(1920, 1080, 720) == (1280, 720)
    assert processing_size(1280, 720, scale=0.5) == (640, 360)
    assert processing_size(10, 5) == (64, 32)  # tiny frames are enlarged for the network
    with pytest.raises(InputError):
        processing_size(100, 100, scale=-1)


def test_corrupt_onnx_is_a_model_error(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"this is not a protobuf" * 10)
    with pytest.raises(ModelError) as err:
        Stylizer(bad, device="cpu")
    assert "bad.onnx" in err.value.one_line()


def test_wrong_shaped_models_are_model_errors(tmp_path):
    with pytest.raises(ModelError):  # output loses a row
        Stylizer(make_model(tmp_path / "s.onnx", "shrink"), device="cpu")(synthetic_frame(64, 64))
    import onnx
    from onnx import TensorProto, helper

    # two inputs: not a style network
    a = helper.make_tensor_value_info("a", TensorProto.FLOAT, [1, 3, 8, 8])
    b = helper.make_tensor_value_info("b", TensorProto.FLOAT, [1, 3, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 8, 8])
    g = helper.make_graph([helper.make_node("Add", ["a", "b"], ["y"])], "g", [a, b], [y])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, str(tmp_path / "two.onnx"))
    with pytest.raises(ModelError) as err:
        Stylizer(tmp_path / "two.onnx", device="cpu")
    assert "inputs" in str(err.value)
    # one input with 1 channel
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, "H", "W"])
    g = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g", [x], [y])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, str(tmp_path / "gray.onnx"))
    with pytest.raises(ModelError):
        Stylizer(tmp_path / "gray.onnx", device="cpu")


def test_non_uint8_frame_is_rejected(tmp_path):
    st = Stylizer(make_model(tmp_path / "inv.onnx", "invert"), device="cpu")
    with pytest.raises(TypeError):
        st(np.zeros((8, 8, 3), np.float32))


# --------------------------------------------------------------------------- precision variants


def _with_variants(folder, *precisions):
    """A float32 'pool4' style whose variants are marked by what they do: fp16 inverts, int8 is constant."""
    base = make_model(folder / "sty.onnx", "pool4", name="sty")
    kinds = {"fp16": "invert", "int8": "constant"}
    for p in precisions:
        make_model(folder / f"sty.{p}.onnx", kinds[p], name="sty", extra_meta={"precision": p})
    return base


@pytest.fixture
def int8_cpu(monkeypatch):
    """Pretend the CPU has (or lacks) integer dot products: ``int8_cpu(True)``."""
    from stylecam.models import cpu_has_int8_dot

    def set_(fast: bool) -> None:
        monkeypatch.setenv("STYLECAM_INT8", "1" if fast else "0")
        cpu_has_int8_dot.cache_clear()

    yield set_
    monkeypatch.delenv("STYLECAM_INT8", raising=False)
    cpu_has_int8_dot.cache_clear()


def test_auto_precision_takes_int8_on_the_cpu_and_fp16_on_cuda(models_dir, int8_cpu):
    from stylecam.models import find_model

    int8_cpu(True)
    _with_variants(models_dir, "fp16", "int8")
    info = find_model("sty")
    assert set(info.variants) == {"fp16", "int8"}
    assert info.path_for("cpu") == (models_dir / "sty.int8.onnx", "int8")
    assert info.path_for("cuda") == (models_dir / "sty.fp16.onnx", "fp16")
    assert info.path_for("tensorrt") == (models_dir / "sty.onnx", "fp32")  # TensorRT builds its own fp16
    assert info.path_for("cpu", "fp32") == (models_dir / "sty.onnx", "fp32")
    frame = synthetic_frame(64, 48)
    auto = Stylizer("sty", device="cpu")
    assert auto.precision == "int8" and "int8" in auto.report.summary()
    assert (auto(frame) == (10, 200, 60)).all()  # the int8 file really ran
    assert (Stylizer("sty", device="cpu", precision="fp16")(frame) == 255 - frame).all()
    fp32 = Stylizer("sty", device="cpu", precision="fp32")
    assert fp32.report.path == models_dir / "sty.onnx"
    # the variants are not styles of their own
    from stylecam.models import list_models

    assert [m.name for m in list_models()].count("sty") == 1
    # a CPU without integer dot products (no VNNI) keeps float32 unless int8 is asked for
    int8_cpu(False)
    assert info.path_for("cpu") == (models_dir / "sty.onnx", "fp32")
    assert Stylizer("sty", device="cpu").precision == "fp32"
    assert Stylizer("sty", device="cpu", precision="int8").precision == "int8"


def test_missing_variant_falls_back_to_float32_unless_asked_for(models_dir):
    _with_variants(models_dir, "fp16")
    assert Stylizer("sty", device="cpu").precision == "fp32"
    with pytest.raises(ModelError) as err:
        Stylizer("sty", device="cpu", precision="int8")
    text = err.value.one_line()
    assert "no int8 variant" in text and "stylecam variants" in text
    with pytest.raises(InputError):
        create_session(models_dir / "sty.onnx", "cpu", precision="int8")  # a bare path has no variants


def test_a_variant_file_given_by_path_runs_as_it_is(models_dir):
    _with_variants(models_dir, "int8")
    st = Stylizer(models_dir / "sty.int8.onnx", device="cpu", precision="auto")
    assert st.precision == "int8" and st.report.path == models_dir / "sty.int8.onnx"


ARGS = ["--style", "sty", "--device", "cpu", "--precision", "int8"]


def test_missing_variant_on_the_command_line_is_one_line(models_dir, tmp_path):
    import subprocess
    import sys

    _with_variants(models_dir, "fp16")
    img = tmp_path / "in.png"
    import cv2

    cv2.imwrite(str(img), synthetic_frame(40, 30))
    proc = subprocess.run(
        [sys.executable, "-m", "stylecam", "image", str(img), "-o", str(tmp_path / "o.png"), *ARGS],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert proc.stderr.count("\n") == 1 and "no int8 variant" in proc.stderr
    assert not (tmp_path / "o.png").exists()


# --------------------------------------------------------------------------- IO binding


def test_io_binding_gives_the_same_frames_and_never_hands_out_its_buffer(tmp_path):
    path = make_model(tmp_path / "pool.onnx", "pool4")
    plain = Stylizer(path, device="cpu", io_binding=False)
    bound = Stylizer(path, device="cpu", io_binding=True)
    assert bound.io_binding and not plain.io_binding
    assert not bound.report.cuda_graph  # CUDA graphs only under CUDA
    outs = []
    for i, (w, h) in enumerate([(64, 48), (64, 48), (50, 30), (64, 48)]):  # sizes change and come back
        frame = synthetic_frame(w, h, t=i)
        out = bound(frame)
        assert np.array_equal(out, plain(frame))
        outs.append((out, out.copy()))
    for out, snapshot in outs:  # later frames did not overwrite earlier results
        assert np.array_equal(out, snapshot)


def test_io_binding_is_used_only_for_the_uint8_nhwc_contract(tmp_path):
    path = make_model(tmp_path / "f.onnx", "invert", layout="NCHW", dtype="float32", color="RGB")
    st = Stylizer(path, device="cpu", io_binding=True)
    assert not st.io_binding  # output shape differs from the input's: plain runs
    frame = synthetic_frame(32, 32)
    assert np.abs(st(frame).astype(int) - (255 - frame)).max() <= 1


def test_auto_size_caps_large_frames_at_the_recommended_pixel_count_on_the_cpu(tmp_path):
    path = make_model(tmp_path / "p.onnx", "pool4", extra_meta={"recommended_size": "640x360"})
    st = Stylizer(path, device="cpu", size=parse_size("auto"))
    assert st.processing_size(1280, 720) == (640, 360)
    assert st.processing_size(1920, 1080) == (640, 360)
    assert st.processing_size(640, 480) == (640, 480)  # a 640x480 webcam stays as it is
    assert st.processing_size(1440, 1080) == (554, 416)  # 4:3 at about 640x360's pixel count
    assert st.processing_size(320, 240) == (320, 240)  # small frames keep their size
    out = st(synthetic_frame(1280, 720))
    assert out.shape == (720, 1280, 3)
    assert parse_size("full") is None
    # without a recommended size in the metadata, or on a GPU, auto is the frame's own size
    plain = Stylizer(make_model(tmp_path / "q.onnx", "pool4"), device="cpu", size="auto")
    assert plain.processing_size(1280, 720) == (1280, 720)
