"""Screenshots of `stylecam live` for the docs, taken from a real window on a private Xvfb server.

Runs ``stylecam live CLIP --loop`` (a video file as the live source), presses keys through X
(``v`` split view, ``h`` help) and saves the window as JPEG files:

    docs/live-window.jpg   the stylized picture with the stats line
    docs/live-split.jpg    split view: original left, stylized right
    docs/live-help.jpg     the help overlay

Needs Xvfb and xdotool (Debian: ``apt-get install xvfb xdotool``) and at least one installed style.

Usage:
    .venv/bin/python scripts/live_screenshots.py [--clip FILE] [--style NAME] [--out docs] [--device cpu]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from xvfb_util import Xvfb, have_xdotool, have_xvfb, run_child  # noqa: E402

CHILD = r"""
import json, threading, time, cv2
from xvfb_util import screen, find_window, send_key
from stylecam.live import LiveOptions, run_live

rect = {}
def save(name):
    x, y, w, h = rect["r"]
    cv2.imwrite(f"{OUT}/{name}.jpg", screen()[y:y + h, x:x + w], [cv2.IMWRITE_JPEG_QUALITY, 85])
    print("saved", name, flush=True)

def driver():
    wid = find_window("stylecam", 60)
    out = __import__("subprocess").run(["xdotool", "getwindowgeometry", str(wid)], capture_output=True, text=True).stdout
    pos = [ln.split()[1] for ln in out.splitlines() if "Position" in ln][0].split(",")
    size = [ln.split()[1] for ln in out.splitlines() if "Geometry" in ln][0].split("x")
    rect["r"] = (int(pos[0]), int(pos[1]), int(size[0]), int(size[1]))
    time.sleep(WARMUP)
    save("live-window")
    send_key(wid, "v")
    time.sleep(3.0)  # past the key's message
    save("live-split")
    send_key(wid, "h")
    time.sleep(1.5)
    save("live-help")
    send_key(wid, "q")

threading.Thread(target=driver, daemon=True).start()
args = LiveOptions(source=CLIP, loop=True, style=STYLE, device=DEVICE, snapshots=OUT + "/snapshots")
rc = run_live(args)
print(json.dumps({"rc": rc}))
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--clip",
        default=str(REPO / ".." / "shared" / "data" / "video" / "chaplin_silent_film_clip_640x360_9s.mp4"),
    )
    ap.add_argument("--style", default=None, help="style name (default: the default style)")
    ap.add_argument("--out", default=str(REPO / "docs"))
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--warmup", type=float, default=4.0, help="seconds before the first screenshot")
    args = ap.parse_args()
    if not (have_xvfb() and have_xdotool()):
        print("needs Xvfb and xdotool: apt-get install xvfb xdotool", file=sys.stderr)
        return 2
    if not Path(args.clip).is_file():
        print(f"clip not found: {args.clip}", file=sys.stderr)
        return 2
    Path(args.out).mkdir(parents=True, exist_ok=True)
    code = (
        f"OUT = {str(Path(args.out).resolve())!r}\nCLIP = {str(Path(args.clip).resolve())!r}\n"
        f"STYLE = {args.style!r}\nDEVICE = {args.device!r}\nWARMUP = {args.warmup!r}\n" + CHILD
    )
    with Xvfb(1920, 1080) as xvfb:
        result = run_child(code, xvfb, timeout=300)
    print(result["stderr"].strip()[-2000:], file=sys.stderr)
    print(f"rc {result['rc']}; screenshots in {args.out}")
    return int(result["rc"])


if __name__ == "__main__":
    sys.exit(main())
