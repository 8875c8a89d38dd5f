"""``stylecam variants``: fp16 and int8 files beside a float32 style, checked against it before writing.

Runs ONNX Runtime's real float16 converter and static quantiser on a copy of a shipped network, with the
demo scene (no shared data) or the shared photos for calibration.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pytest
from conftest import synthetic_frame

from stylecam.errors import InputError, ModelError
from stylecam.models import read_metadata, shipped_models_dir

onnx = pytest.importorskip("onnx")


@pytest.fixture
def net(tmp_path):
    dst = tmp_path / "sn.onnx"
    shutil.copy(shipped_models_dir() / "starry-night.onnx", dst)
    return dst


def _conv_model(path):
    """NCHW float: 3x3 conv 3→8 (pad 1) then 3x3 conv 8→4 with stride 2: known FLOPs per pixel."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    w1 = numpy_helper.from_array(rng.normal(size=(8, 3, 3, 3)).astype(np.float32), "w1")
    w2 = numpy_helper.from_array(rng.normal(size=(4, 8, 3, 3)).astype(np.float32), "w2")
    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["h"], pads=[1, 1, 1, 1]),
        helper.make_node("Conv", ["h", "w2"], ["y"], pads=[1, 1, 1, 1], strides=[2, 2]),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, "H", "W"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4, "h", "w"])],
        initializer=[w1, w2],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    helper.set_model_props(model, {"input_layout": "NCHW", "size_multiple": "4"})
    onnx.save(model, str(path))
    return path


def test_flops_per_pixel_counts_every_convolution(tmp_path, net):
    from stylecam.training.variants import flops_per_pixel

    expected = 2 * 8 * 3 * 9 + 2 * 4 * 8 * 9 / 4  # the second conv runs at a quarter of the pixels
    assert flops_per_pixel(_conv_model(tmp_path / "c.onnx")) == pytest.approx(expected)
    assert flops_per_pixel(net) == pytest.approx(10_400)  # the fast net (scripts/arch_report.py)


def test_variants_are_written_checked_and_picked(tmp_path, net, monkeypatch):
    from stylecam.engine import Stylizer
    from stylecam.training.variants import build_variants

    monkeypatch.chdir(tmp_path)
    before = set(tmp_path.iterdir())
    reports = build_variants(net)  # no folder: calibrated on the demo scene
    assert [r.precision for r in reports] == ["fp16", "int8"]
    fp16, int8 = reports
    assert fp16.path == tmp_path / "sn.fp16.onnx" and int8.path == tmp_path / "sn.int8.onnx"
    assert fp16.mean_error < 0.1 and int8.mean_error < 4
    assert int8.size_bytes < fp16.size_bytes < net.stat().st_size
    # nothing else left in the working folder (the quantiser's scratch files go elsewhere)
    assert set(tmp_path.iterdir()) - before == {fp16.path, int8.path}
    for r in reports:
        meta = read_metadata(r.path)
        assert meta["precision"] == r.precision and meta["name"] == "starry-night"
        assert meta["flops_per_pixel"] == "10400"
    assert read_metadata(net)["precision"] == "fp32"
    ops = {n.op_type for n in onnx.load(str(int8.path)).graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops
    half = [i for i in onnx.load(str(fp16.path)).graph.initializer if i.data_type == onnx.TensorProto.FLOAT16]
    assert half  # the weights really are half precision
    st = Stylizer(net, device="cpu", precision="int8")
    assert st.precision == "int8" and st.report.path == int8.path
    frame = synthetic_frame(96, 64)
    ref = Stylizer(net, device="cpu", precision="fp32")(frame)
    assert np.abs(st(frame).astype(int) - ref).mean() < 6


def test_a_variant_that_strays_is_not_written(tmp_path, net):
    from stylecam.training.variants import build_variants

    with pytest.raises(ModelError) as err:
        build_variants(net, ("int8",), max_mean_error=0.0)
    assert "int8" in err.value.one_line() and "not written" in err.value.one_line()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sn.onnx"]
    # after an export the float32 model is usable: a stray variant is a note, the next one is still made
    reports = build_variants(net, ("int8", "fp16"), max_mean_error=0.5, strict=False)
    assert "not written" in reports[0].summary() and reports[0].skipped
    assert not reports[1].skipped
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sn.fp16.onnx", "sn.onnx"]


def test_bad_requests(tmp_path, net):
    from stylecam.training.variants import build_variants

    with pytest.raises(InputError):
        build_variants(net, ("int4",))
    with pytest.raises(InputError):
        build_variants(tmp_path / "missing.onnx")
    with pytest.raises(InputError):
        build_variants(net, calibration=tmp_path / "no-photos-here")
    build_variants(net, ("fp16",))
    with pytest.raises(ModelError):
        build_variants(tmp_path / "sn.fp16.onnx")  # a variant of a variant


def test_command_line(tmp_path, net):
    proc = subprocess.run(
        [sys.executable, "-m", "stylecam", "variants", str(net), "--precisions", "fp16"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "sn.fp16.onnx" in proc.stdout and "vs float32" in proc.stdout
    assert (tmp_path / "sn.fp16.onnx").is_file() and not (tmp_path / "sn.int8.onnx").exists()
    proc = subprocess.run(
        [sys.executable, "-m", "stylecam", "variants", str(tmp_path / "nope.onnx")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0 and proc.stderr.count("\n") == 1 and "nope.onnx" in proc.stderr
