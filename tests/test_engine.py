"""Engine: sizes, padding, layouts, devices, and malformed models — with tiny ONNX graphs."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_model, synthetic_frame

from stylecam.engine import Stylizer, create_session, parse_size, processing_size
from stylecam.errors import DeviceError, InputError, ModelError


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


def test_explicit_cuda_without_cuda_fails_with_what_is_missing(tmp_path):
    path = make_model(tmp_path / "inv.onnx", "invert")
    with pytest.raises(DeviceError) as err:
        create_session(path, "cuda")
    text = err.value.one_line()
    assert ("--device cuda" in text and "missing" in text.lower()) or "no CUDAExecutionProvider" in text
    assert "--device cpu" in text
    assert "\n" not in text


def test_auto_falls_back_to_cpu_and_says_why(tmp_path):
    st = Stylizer(make_model(tmp_path / "inv.onnx", "invert"), device="auto")
    assert st.device == "cpu"  # no GPU on the test machine
    assert st.session.get_providers()[0] == "CPUExecutionProvider"
    assert [d for d, _ in st.report.tried] == ["tensorrt", "cuda"]
    assert "CPU" in st.report.summary()


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
