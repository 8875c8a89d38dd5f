"""``stylecam bench``: model-only and end-to-end rows for each precision, and the measured ceiling.

A real run (tiny sizes and clips) on a copy of a shipped network and its int8 variant. Speed itself is
not asserted: only that every measurement is made, labelled and consistent.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from stylecam.models import shipped_models_dir

pytest.importorskip("onnx")


ARGS = ["--devices", "cpu", "--sizes", "96x64", "--runs", "3", "--frames", "5", "--json"]


def test_bench_measures_each_precision_against_its_ceiling(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    for name in ("starry-night.onnx", "starry-night.int8.onnx", "starry-night.fp16.onnx"):
        shutil.copy(shipped_models_dir() / name, models / name)
    out = tmp_path / "bench.json"
    env = {**os.environ, "STYLECAM_MODELS": str(models), "TMPDIR": str(tmp_path)}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "stylecam",
            "bench",
            "--styles",
            str(models / "starry-night.onnx"),
            *ARGS,
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    assert data["machine"]["cores"] >= 1 and data["machine"]["onnxruntime"]
    # on the CPU: float32 and the int8 variant (fp16 is a GPU file), each against its own ceiling
    assert set(data["peak"]) == {"cpu/fp32", "cpu/int8"}
    assert all(p["gflops_per_s"] > 0 for p in data["peak"].values())
    rows = {r["precision"]: r for r in data["model_only"]}
    assert set(rows) == {"fp32", "int8"}
    for r in rows.values():
        assert r["size"] == "96x64" and r["device"] == "cpu" and not r["cuda_graph"]
        assert r["runs"] == 3 and 0 < r["ms_median"] <= r["ms_p90"]
        # 10,400 FLOP a pixel (the fast net's metadata) over the measured time
        assert r["gflops_per_s"] == pytest.approx(10_400 * 96 * 64 / r["ms_median"] / 1e6, rel=0.02)
        assert r["percent_of_peak"] > 0
    e2e = {(r["precision"], r["sink"]): r for r in data["end_to_end"]}
    assert set(e2e) == {("fp32", "null"), ("fp32", "mp4"), ("int8", "null"), ("int8", "mp4")}
    for (precision, _), r in e2e.items():
        assert "error" not in r, r
        assert r["precision_run"] == precision
        assert r["frames"] == 5 and r["fps"] > 0 and r["device"] == "cpu"
        assert {"read", "inference", "smoothing", "write"} <= set(r["ms_per_frame"])
    assert "int8" in proc.stdout and "% of peak" in proc.stdout
