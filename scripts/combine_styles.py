"""Put new styles fine-tuned from a painting network back into one network with it.

    python scripts/combine_styles.py models/paint.onnx NEW.onnx [NEW2.onnx ...] -o OUT.onnx

Each NEW.onnx is what `stylecam train --style PAINTING` writes when it starts from BASE (the default): the
base's styles plus its new one, only the norm parameters trained. The result holds the base's styles
followed by every new one, so all of them blend with each other in one run; the fp16 and int8 variants
are written beside it (`--calibration` photos for int8).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from stylecam.errors import StylecamError
from stylecam.models import read_metadata
from stylecam.training.base import combine_networks
from stylecam.training.export import export_net


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("base")
    p.add_argument("additions", nargs="+")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--calibration", help="photos for the int8 variant (default: no variants)")
    args = p.parse_args(argv)
    try:
        net, styles = combine_networks(args.base, args.additions)
        meta = dict(read_metadata(args.base))
        meta["styles"] = json.dumps(styles)
        meta["title"] = f"{len(styles)} paintings"
        training = json.loads(meta.get("training", "{}"))
        training["added"] = {
            s["name"]: json.loads(read_metadata(a).get("training", "{}"))
            for a in args.additions
            for s in json.loads(read_metadata(a)["styles"])[-1:]
        }
        meta["training"] = json.dumps(training, sort_keys=True)
        out = Path(args.output)
        err = export_net(net, out, meta)
        print(
            f"wrote {out}: {len(styles)} styles ({', '.join(s['name'] for s in styles)}); max error {err:g}"
        )
        if args.calibration:
            from stylecam.training.variants import build_variants

            for r in build_variants(out, ("fp16", "int8"), args.calibration):
                print(r)
    except StylecamError as exc:
        print(f"combine_styles: error: {exc.one_line()}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
