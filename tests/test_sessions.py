"""ONNX Runtime sessions (stylecam.sessions): the devices tried in order, and what was tried and why."""

from __future__ import annotations

import pytest
from conftest import make_model

from stylecam.engine import Stylizer
from stylecam.errors import DeviceError
from stylecam.sessions import create_session


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
