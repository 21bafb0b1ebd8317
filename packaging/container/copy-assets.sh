#!/bin/sh
# Copies the runtime files tsc does not emit (dashboard HTML/JS/CSS and other non-TypeScript
# files under the runtime source folders) into a build output folder, keeping their paths, so
# `node <outDir>/cli/main.js` finds them beside the compiled modules.
# Usage: packaging/container/copy-assets.sh <outDir>   (run from the repository root)
set -eu
out="${1:?usage: copy-assets.sh <outDir>}"
for dir in core protocol probes agent collector cli checkpoint-lib sim; do
  [ -d "$dir" ] || continue
  find "$dir" -type f ! -name '*.ts' ! -name '*.md' ! -name '*.test.*' | while read -r f; do
    mkdir -p "$out/$(dirname "$f")"
    cp "$f" "$out/$f"
  done
done
