"""The command line as a user runs it: one line on stderr and an exit code for every bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import REPO, make_model, synthetic_frame

from stylecam.cli import main


def run_cli(*args: str, env: dict | None = None, cwd: Path | None = None, timeout: float = 120):
    """Run ``python -m stylecam`` in a subprocess; returns the CompletedProcess."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("DISPLAY", None)
    return subprocess.run(
        [sys.executable, "-m", "stylecam", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd or REPO,
        timeout=timeout,
    )


def assert_one_line_error(proc, *needles: str, code: int | None = None) -> str:
    assert proc.returncode != 0, proc.stderr
    if code is not None:
        assert proc.returncode == code, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("stylecam: error:")]
    assert len(errors) == 1, proc.stderr
    # besides the error, at most the one informational line saying which device runs
    assert len(lines) <= 2 and all(ln in errors or "running on" in ln for ln in lines), proc.stderr
    assert "Traceback" not in proc.stderr
    line = errors[0]
    assert line.startswith("stylecam: error:"), line
    for n in needles:
        assert n.lower() in line.lower(), line
    return line


def test_import_and_runtime_commands_never_import_torch(models_dir, tmp_path):
    code = (
        "import sys, numpy as np\n"
        "import stylecam, stylecam.cli, stylecam.engine, stylecam.pipeline, stylecam.sources, stylecam.sinks\n"
        "import stylecam.models, stylecam.demo\n"
        "from stylecam.cli import main\n"
        "main(['styles'])\n"
        "st = stylecam.Stylizer('invert', device='cpu')\n"
        "st(np.zeros((16, 16, 3), np.uint8))\n"
        "mods = [m for m in ('torch', 'torchvision') if m in sys.modules]\n"
        "print('TORCH' if mods else 'CLEAN', mods)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ), timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert "CLEAN" in proc.stdout


def test_styles_lists_models_with_size_and_origin(models_dir, capsys):
    assert main(["styles"]) == 0
    out = capsys.readouterr().out
    assert "invert" in out and "pool4" in out and "MB" in out and "env" in out
    assert main(["styles", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {d["name"] for d in data} >= {"invert", "identity", "constant", "pool4"}


def test_image_single_file_and_folder(models_dir, tmp_path, capsys):
    a, b = tmp_path / "a.png", tmp_path / "b.jpg"
    cv2.imwrite(str(a), synthetic_frame(97, 61))
    cv2.imwrite(str(b), synthetic_frame(64, 128))
    out = tmp_path / "out.png"
    assert main(["image", str(a), "-o", str(out), "--style", "invert", "--device", "cpu", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["frames_out"] == 1 and summary["device"] == "cpu" and summary["style"] == "invert"
    np.testing.assert_array_equal(cv2.imread(str(out)), 255 - cv2.imread(str(a)))
    folder = tmp_path / "outdir"
    assert main(["image", str(a), str(b), "-o", str(folder), "--style", "identity", "--scale", "0.5"]) == 0
    assert sorted(p.name for p in folder.iterdir()) == ["a.png", "b.png"]
    assert cv2.imread(str(folder / "b.png")).shape == (128, 64, 3)


def test_image_folder_input(models_dir, tmp_path):
    src = tmp_path / "photos"
    src.mkdir()
    for i in range(3):
        cv2.imwrite(str(src / f"p{i}.jpg"), synthetic_frame(40 + i, 30))
    assert (
        main(["image", str(src), "-o", str(tmp_path / "styled"), "--style", "invert", "--format", ".jpg"])
        == 0
    )
    assert len(list((tmp_path / "styled").glob("*.jpg"))) == 3


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "not_image",
        "unknown_style",
        "corrupt_onnx",
        "out_dir_missing",
        "out_is_input",
        "cuda",
        "bad_size",
    ],
)
def test_bad_input_gives_one_line_and_nonzero_exit(models_dir, tmp_path, case):
    img = tmp_path / "in.png"
    cv2.imwrite(str(img), synthetic_frame(32, 32))
    before = img.read_bytes()
    env = {"STYLECAM_MODELS": str(models_dir), "XDG_DATA_HOME": str(tmp_path / "xdg")}
    args = ["image", str(img), "-o", str(tmp_path / "o.png"), "--style", "invert"]
    needles: tuple[str, ...] = ()
    if case == "missing":
        args[1] = str(tmp_path / "nope.png")
        needles = ("not found", "nope.png")
    elif case == "not_image":
        txt = tmp_path / "notes.png"
        txt.write_text("hello")
        args[1] = str(txt)
        needles = ("not an image",)
    elif case == "unknown_style":
        args[-1] = "van-gogh-9000"
        needles = ("unknown style", "van-gogh-9000", "invert")
    elif case == "corrupt_onnx":
        bad = tmp_path / "bad.onnx"
        bad.write_bytes(b"\x00garbage" * 50)
        args[-1] = str(bad)
        needles = ("bad.onnx", "not a valid onnx")
    elif case == "out_dir_missing":
        args[3] = str(tmp_path / "no" / "such" / "dir" / "o.png")
        needles = ("does not exist",)
    elif case == "out_is_input":
        args[3] = str(img)
        needles = ("overwrite",)
    elif case == "cuda":
        args += ["--device", "cuda"]
        needles = ("cuda", "--device cpu")
    elif case == "bad_size":
        args += ["--size", "huge"]
        needles = ("--size",)
    proc = run_cli(*args, env=env)
    assert_one_line_error(proc, *needles)
    assert img.read_bytes() == before


def test_wrong_shaped_onnx_is_one_line(models_dir, tmp_path):
    make_model(tmp_path / "shrink.onnx", "shrink")
    img = tmp_path / "in.png"
    cv2.imwrite(str(img), synthetic_frame(32, 32))
    proc = run_cli("image", str(img), "-o", str(tmp_path / "o.png"), "--style", str(tmp_path / "shrink.onnx"))
    assert_one_line_error(proc, "shrink.onnx", code=2)


def test_no_command_prints_help_and_fails():
    proc = run_cli()
    assert proc.returncode == 2 and "usage" in proc.stderr.lower()


@pytest.mark.parametrize("delay", [0.15, 0.3])
def test_ctrl_c_while_the_command_starts_is_exit_130_without_a_traceback(delay: float) -> None:
    import signal
    import time

    proc = subprocess.Popen(
        [sys.executable, "-m", "stylecam", "styles"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    # on a loaded machine the signal can come while the interpreter itself still starts, before any of
    # stylecam runs (a kill by SIGINT), or after the command has finished (0)
    assert proc.returncode in (130, -signal.SIGINT, 0), err
    if proc.returncode == 130:
        assert "Traceback" not in err and "interrupted" in err


def test_import_stylecam_is_light() -> None:
    code = (
        "import sys, stylecam; print(sorted(m for m in ('cv2', 'onnxruntime', 'torch') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    assert out.strip() == "[]"
