#!/usr/bin/env bash
# Ship the painting network as models/paint.onnx (with its fp16 and int8 variants).
#
#   scripts/ship_paint.sh base [CKPT]  export CKPT (default checkpoints/paint/weights.ckpt: the 8 paintings
#                                    it trains on)
#   scripts/ship_paint.sh held-out   add impression-sunrise and woman-with-a-hat, which the shared network
#                                    never saw, the way a user adds a painting: `stylecam train --style
#                                    PAINTING` from the shipped network (its norms only, the defaults),
#                                    each run timed; then all ten styles go into one models/paint.onnx
#
# Run from the repository root. Work files: $WORK (default /tmp/stylecam-ship); the held-out runs' logs
# and wall times are in $WORK/NAME.log. Environment: PY (.venv/bin/python), SHARED (../shared).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
SHARED=${SHARED:-../shared}
W=${WORK:-/tmp/stylecam-ship}
mkdir -p "$W"
case "${1:-}" in
  base)
    "$PY" -m stylecam.training export "${2:-checkpoints/paint/weights.ckpt}" -o models/paint.onnx \
      --calibration "$SHARED/data/content"
    ;;
  held-out)
    cp models/paint.onnx "$W/paint-base.onnx"
    for painting in monet_impression_sunrise_1872 matisse_woman_with_a_hat_1905; do
      name=$("$PY" -c "from stylecam.training.styles import PAINTINGS; print(PAINTINGS['$painting'][0])")
      rm -rf "$W/ck-$name"
      start=$(date +%s)
      # the user's command, with the shared photos minus the held-out ones and the offline VGG weights
      XDG_DATA_HOME="$W/xdg" "$PY" -m stylecam.training train --style "$SHARED/data/style/$painting.jpg" \
        --content "$SHARED/data/content" --exclude 'sunhays80_*' \
        --vgg-weights "$SHARED/weights/vgg16_features.pth" --checkpoint-dir "$W/ck-$name" -y \
        2>&1 | tr '\r' '\n' | grep --line-buffered -v '^\s*$' > "$W/$name.log"
      echo "$name: $(( $(date +%s) - start )) s wall, $(tail -n 4 "$W/$name.log" | head -n 1)"
    done
    "$PY" scripts/combine_styles.py "$W/paint-base.onnx" "$W/xdg/stylecam/models/impression-sunrise.onnx" \
      "$W/xdg/stylecam/models/woman-with-a-hat.onnx" -o models/paint.onnx --calibration "$SHARED/data/content"
    ;;
  *)
    echo "usage: scripts/ship_paint.sh base|held-out" >&2
    exit 2
    ;;
esac
