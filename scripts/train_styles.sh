#!/usr/bin/env bash
# Train the shipped styles one after another (fast architecture), exporting each to models/NAME.onnx.
#
# Resumable: a style whose OUT/NAME.onnx exists is skipped; one with a checkpoint continues from it.
# Run in the background from the repository root:
#   nohup scripts/train_styles.sh > checkpoints/queue.log 2>&1 &
# Environment: STEPS (default 1200), SIZE (128), BATCH (4), THREADS (2), OUT (models),
# STYLES (space-separated subset).
set -u
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
SHARED=${SHARED:-../shared}
STEPS=${STEPS:-1200}
SIZE=${SIZE:-128}
BATCH=${BATCH:-4}
THREADS=${THREADS:-2}
OUT=${OUT:-models}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}  # the CPU is shared: do not spin-wait

# name  painting-file-stem  extra-args (per-style loss weights)
QUEUE=(
  "starry-night van_gogh_starry_night_1889"
  "the-scream munch_the_scream_1893"
  "great-wave hokusai_great_wave_off_kanagawa_c1831"
  "udnie picabia_udnie_1913"
  "composition-vii kandinsky_composition_vii_1913"
  "the-kiss klimt_the_kiss_1908"
  "minotaur turner_shipwreck_of_the_minotaur_c1810"
  "woman-with-a-hat matisse_woman_with_a_hat_1905"
  "water-lilies monet_water_lilies_1919"
  # trained, not shipped: a faint blue-grey texture with weak content (see docs/styles.md)
  "impression-sunrise monet_impression_sunrise_1872 --style-weight 10 --colour-weight 10"
)

for entry in "${QUEUE[@]}"; do
  read -r name stem extra <<<"$entry"
  if [ -n "${STYLES:-}" ] && [[ " $STYLES " != *" $name "* ]]; then continue; fi
  if [ -f "$OUT/$name.onnx" ]; then echo "skip $name ($OUT/$name.onnx exists)"; continue; fi
  dir="checkpoints/$name"
  mkdir -p "$dir"
  args=(--steps "$STEPS" --threads "$THREADS" --checkpoint-dir "$dir" -o "$OUT/$name.onnx"
        --checkpoint-every 50 --sample-every 100 --log-every 10)
  if [ -f "$dir/last.ckpt" ]; then
    args+=(--resume "$dir/last.ckpt")
  elif [ -f "$dir/weights.ckpt" ]; then  # committed weights: continue with a fresh optimizer
    args+=(--resume "$dir/weights.ckpt")
  else
    # shellcheck disable=SC2206
    args+=(--style "$SHARED/data/style/$stem.jpg" --content "$SHARED/data/content" --name "$name"
           --arch fast --size "$SIZE" --batch "$BATCH" --lr 2e-3
           --vgg-weights "$SHARED/weights/vgg16_features.pth" --exclude 'sunhays80_*' $extra)
  fi
  echo "$(date +%T) start $name"
  "$PY" -m stylecam.training train "${args[@]}" >>"$dir/train.log" 2>&1
  echo "$(date +%T) done $name rc=$? $(tail -n 1 "$dir/train.log")"
done
