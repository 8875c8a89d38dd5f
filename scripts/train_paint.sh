#!/usr/bin/env bash
# Train the shared 'paint' network: one network, eight paintings (conditional instance norm), in the
# background, resumable. Two of the ten shared paintings (impression-sunrise, woman-with-a-hat) are held
# out of it, to be added as new styles by fine-tuning only their own norm parameters (`stylecam train
# --style PAINTING` from the shipped network), which is how a user's own painting is added.
#
# Run from the repository root:   nohup scripts/train_paint.sh > checkpoints/paint/queue.log 2>&1 &
# It continues from checkpoints/paint/last.ckpt (exact) or the committed weights.ckpt (fresh optimizer).
# Environment: STEPS (default 40000), SIZE (192), BATCH (4), THREADS (2), NICE (10), PY (.venv/bin/python).
set -u
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
SHARED=${SHARED:-../shared}
STEPS=${STEPS:-40000}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}  # the CPU is shared: do not spin-wait
dir=checkpoints/paint
mkdir -p "$dir"
S="$SHARED/data/style"
args=(--steps "$STEPS" --threads "${THREADS:-2}" --checkpoint-dir "$dir" -o "$dir/paint.onnx"
      --checkpoint-every 100 --sample-every 500 --log-every 10 --no-variants)
if [ -f "$dir/last.ckpt" ]; then
  args+=(--resume "$dir/last.ckpt")
elif [ -f "$dir/weights.ckpt" ]; then
  args+=(--resume "$dir/weights.ckpt")
else
  args+=(--style "$S/van_gogh_starry_night_1889.jpg" "$S/munch_the_scream_1893.jpg"
         "$S/hokusai_great_wave_off_kanagawa_c1831.jpg" "$S/picabia_udnie_1913.jpg"
         "$S/kandinsky_composition_vii_1913.jpg" "$S/klimt_the_kiss_1908.jpg"
         "$S/turner_shipwreck_of_the_minotaur_c1810.jpg" "$S/monet_water_lilies_1919.jpg"
         --name paint --arch paint --content "$SHARED/data/content" --size "${SIZE:-192}" --batch "${BATCH:-4}"
         --vgg-weights "$SHARED/weights/vgg16_features.pth" --exclude 'sunhays80_*')
fi
echo "$(date +%T) start paint ${args[*]}"
nice -n ${NICE:-10} "$PY" -m stylecam.training train "${args[@]}" "$@" >>"$dir/train.log" 2>&1
rc=$?
echo "$(date +%T) done rc=$rc $(tail -n 1 "$dir/train.log")"
