"""Parameters, FLOPs and ONNX Runtime latency of the two style architectures.

Exports a randomly initialised network of each architecture (the contract's uint8 NHWC graph), then
times ONNX Runtime on the CPU at 640x360, 1280x720 and 1920x1080: the median of ``--runs`` runs after
a warm-up, with ``--threads`` intra-op threads. Timings of the network alone are what matters here;
the weights do not change them.

With ``--export DIR`` the networks are kept as ``DIR/ARCH.onnx`` (full stylecam metadata) with their
fp16 and int8 variants, so that ``stylecam bench --styles DIR/quality.onnx`` can time an architecture
that has no trained style yet (on a GPU machine, say).

Usage::

    .venv/bin/python scripts/arch_report.py [--threads 2] [--runs 7] [--arch fast quality] [--export DIR]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SIZES = ((640, 360), (1280, 720), (1920, 1080))


def main(argv: list[str] | None = None) -> int:
    """Print a Markdown table of the report."""
    import onnxruntime as ort
    import torch

    from stylecam.training.export import contract_metadata, export_net
    from stylecam.training.nets import ARCHS, build_net, count_macs, count_params
    from stylecam.training.variants import build_variants

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--arch", nargs="+", default=list(ARCHS), choices=ARCHS)
    p.add_argument("--export", type=Path, help="keep the networks (and their variants) in this folder")
    args = p.parse_args(argv)

    torch.manual_seed(0)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for arch in args.arch:
            net = build_net(arch)
            path = (args.export or Path(tmp)) / f"{arch}.onnx"
            export_net(net, path, contract_metadata(f"untrained-{arch}", arch))
            if args.export:
                for r in build_variants(path, strict=False):
                    print(f"variant {r.summary()}", file=sys.stderr)
            options = ort.SessionOptions()
            options.intra_op_num_threads = args.threads
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            sess = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            params = sum(p.numel() for p in net.parameters())
            assert params == count_params(net)
            cells = []
            for w, h in SIZES:
                flops_px = 2 * count_macs(net, h, w) / (w * h)
                frame = np.random.default_rng(0).integers(0, 256, (1, h, w, 3), dtype=np.uint8)
                sess.run(None, {"frame": frame})
                times = []
                for _ in range(args.runs):
                    t0 = time.perf_counter()
                    sess.run(None, {"frame": frame})
                    times.append(time.perf_counter() - t0)
                ms = 1000 * statistics.median(times)
                gflops = flops_px * w * h / (ms / 1000) / 1e9
                cells.append(f"{ms:.1f} ms ({gflops:.0f} GFLOP/s)")
                print(f"{arch} {w}x{h}: {ms:.1f} ms", file=sys.stderr)
            rows.append((arch, params, flops_px, path.stat().st_size, cells))
    print(f"ONNX Runtime {ort.__version__}, CPU, {args.threads} threads, median of {args.runs} runs\n")
    head = " | ".join(f"{w}x{h}" for w, h in SIZES)
    print(f"| arch | parameters | kFLOP / pixel | ONNX size | {head} |")
    print("|---|---:|---:|---:|" + "---:|" * len(SIZES))
    for arch, params, flops_px, size, cells in rows:
        print(
            f"| {arch} | {params:,} | {flops_px / 1e3:.1f} | {size / 1e6:.2f} MB | "
            + " | ".join(cells)
            + " |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
