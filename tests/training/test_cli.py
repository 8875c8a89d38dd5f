"""``stylecam train`` / ``stylecam export`` entry points: exit codes and one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from stylecam.training.cli import export_main, train_main

REPO = Path(__file__).resolve().parents[2]


def test_train_then_export(
    tiny_data: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    painting, content = tiny_data
    out = tmp_path / "my-style.onnx"
    rc = train_main(
        [
            "--style",
            str(painting),
            "--content",
            str(content),
            "--name",
            "my-style",
            "--size",
            "32",
            "--steps",
            "2",
            "--batch",
            "1",
            "--style-size",
            "48",
            "--vgg-weights",
            "random",
            "--threads",
            "1",
            "--sample-every",
            "0",
            "--checkpoint-dir",
            str(tmp_path / "ck"),
            "-o",
            str(out),
        ]
    )
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert out.is_file() and "max error" in captured.out
    again = tmp_path / "again.onnx"
    assert export_main([str(tmp_path / "ck" / "last.ckpt"), "-o", str(again)]) == 0
    assert again.is_file()


@pytest.mark.parametrize(
    "argv",
    [
        ["--style", "/nonexistent/painting.jpg", "--content", "."],
        ["--content", "."],
        ["--resume", "/nonexistent/last.ckpt"],
    ],
)
def test_train_bad_input_is_one_line(argv: list[str], capsys: pytest.CaptureFixture) -> None:
    assert train_main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("stylecam train: error:")


def test_train_empty_content_dir(
    tiny_data: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    painting, _ = tiny_data
    (tmp_path / "empty").mkdir()
    rc = train_main(
        [
            "--style",
            str(painting),
            "--content",
            str(tmp_path / "empty"),
            "--vgg-weights",
            "random",
            "--checkpoint-dir",
            str(tmp_path / "ck"),
        ]
    )
    assert rc == 2
    assert "no images" in capsys.readouterr().err


def test_export_bad_checkpoint(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bad = tmp_path / "bad.ckpt"
    bad.write_text("nope")
    assert export_main([str(bad), "-o", str(tmp_path / "x.onnx")]) == 2
    assert "not a readable checkpoint" in capsys.readouterr().err


def test_without_torch_says_what_to_install() -> None:
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from stylecam.training.cli import train_main, export_main\n"
        "sys.exit(train_main([]) * 10 + export_main([]))"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 22
    assert proc.stderr.count('pip install "stylecam[train]"') == 2
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("weights", ["1,x,1,1", "1,1"])
def test_bad_style_layer_weights(
    weights: str, tiny_data: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    painting, content = tiny_data
    argv = ["--style", str(painting), "--content", str(content), "--vgg-weights", "random"]
    argv += ["--style-layer-weights", weights, "--checkpoint-dir", str(tmp_path / "ck")]
    assert train_main(argv) == 2
    assert "--style-layer-weights" in capsys.readouterr().err


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM is not a catchable signal on Windows")
def test_sigterm_saves_a_checkpoint_that_resumes(tiny_data: tuple[Path, Path], tmp_path: Path) -> None:
    """A background run (``nohup ... &`` ignores SIGINT) stopped with ``kill`` keeps what it learnt."""
    import signal
    import time

    import torch

    painting, content = tiny_data
    ck = tmp_path / "ck"
    cmd = [sys.executable, "-m", "stylecam.training", "train", "--style", str(painting),
           "--content", str(content), "--name", "killed", "--arch", "fast", "--size", "32",
           "--steps", "100000", "--batch", "1", "--style-size", "48", "--vgg-weights", "random",
           "--threads", "1", "--sample-every", "0", "--log-every", "1", "--checkpoint-every", "100000",
           "--checkpoint-dir", str(ck), "-o", str(tmp_path / "killed.onnx")]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=REPO, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    deadline = time.monotonic() + 120
    for line in proc.stderr:  # wait until it is really training (a few steps done), then stop it
        if "step 3/" in line or time.monotonic() > deadline:
            break
    proc.send_signal(signal.SIGTERM)
    rest = proc.stderr.read()
    assert proc.wait(timeout=60) == 130, rest
    assert "continue with --resume" in rest and "Traceback" not in rest
    saved = torch.load(ck / "last.ckpt", map_location="cpu", weights_only=False)
    assert saved["step"] >= 3  # saved at the stop, not at a checkpoint interval (none was reached)
    assert (ck / "weights.ckpt").is_file()
