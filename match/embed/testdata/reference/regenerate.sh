#!/bin/sh
# Regenerates golden.json from the JavaScript reference: installs the pinned
# npm packages (package-lock.json) into node_modules and runs reference.js.
#
#   match/embed/testdata/reference/regenerate.sh         # golden.json
#   match/embed/testdata/reference/regenerate.sh --all   # also out/all-vectors.json
#
# CI can check the committed golden file still matches the reference with
#   match/embed/testdata/reference/regenerate.sh && git diff --exit-code -- match/embed/testdata/reference/golden.json
#
# --all also writes every sentence's vector at full precision into
# out/all-vectors.json (not committed), which the quantisation study in
# match/embed reads (go test ./match/embed -run Quantisation -v). The
# installed float32 model lets the tests compare the float32 forward pass too.
set -eu
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --loglevel=error
if [ "${1:-}" = "--all" ]; then
	mkdir -p out
	node reference.js sentences.json golden.json out/all-vectors.json
else
	node reference.js sentences.json golden.json
fi
