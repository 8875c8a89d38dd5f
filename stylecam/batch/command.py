"""``stylecam batch``: its own arguments, and the run with its summary (``cli.py`` adds the shared
model, smoothing, video-file and overwrite options and builds the :class:`~stylecam.api.VideoOptions`)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from ..api import VideoOptions
from .run import BatchOptions, run_batch


def add_batch_arguments(p: argparse.ArgumentParser) -> None:
    """INPUTS, ``-o OUTDIR`` and the options only ``batch`` has."""
    p.add_argument(
        "inputs",
        nargs="+",
        metavar="IN",
        help="video or image files, folders, or glob patterns",
    )
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUTDIR",
        help="folder for the outputs (made if missing)",
    )
    p.add_argument(
        "--ray",
        nargs="?",
        const="",
        metavar="ADDRESS",
        help="run on a Ray cluster: 'auto' (the one this machine joined), HOST:PORT or ray://HOST:PORT; "
        "without ADDRESS, RAY_ADDRESS or a Ray started here (needs the 'ray' extra)",
    )
    p.add_argument(
        "--workers",
        type=int,
        help="local worker processes (default: one per GPU, or measured for the CPU)",
    )
    p.add_argument(
        "--shared",
        action="store_true",
        help="with --ray: the inputs and OUTDIR are on a file system every node sees (tasks read and write "
        "there; otherwise the files travel through Ray's object store)",
    )
    p.add_argument(
        "--chunk-seconds",
        type=float,
        default=BatchOptions.chunk_seconds,
        help=f"with --ray, split videos at least twice this long into chunks of about it (default {BatchOptions.chunk_seconds:g})",
    )


def run_batch_command(
    inputs: Sequence[str],
    outdir: str,
    options: VideoOptions,
    *,
    ray: str | None,
    workers: int | None,
    chunk_seconds: float,
    json_summary: bool,
    say: Callable[[str], None],
    shared: bool = False,
) -> int:
    """Run a batch with its progress display on stderr and print its summary (``--json``: on stdout,
    and no progress, no log lines); exit code 0 when every input succeeded, 2 otherwise (128 + the
    signal when interrupted)."""
    inputs = list(inputs)
    if ray and Path(ray).exists():  # `--ray clip.mp4 ...`: the path is an input, not an address
        inputs.insert(0, ray)
        ray = ""
    batch = BatchOptions(
        video=options,
        ray=ray,
        workers=workers,
        chunk_seconds=chunk_seconds,
        shared=shared,
    )
    report = run_batch(inputs, outdir, batch, log=None if json_summary else say, progress=not json_summary)
    if json_summary:
        print(json.dumps(report.as_dict(), indent=2, default=str))
    else:
        for line in report.lines():
            say(line)
    sys.stdout.flush()
    if report.interrupted:
        from ..interrupts import INTERRUPTS

        say(f"interrupted ({INTERRUPTS.name}): a re-run goes on where this one stopped")
        return INTERRUPTS.exit_code
    return 0 if report.ok else 2
