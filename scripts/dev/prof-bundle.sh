#!/bin/sh
# Dev aid: profiles a run of prof-warm.ts bundled by esbuild (as the app bundles the engine: real line
# numbers, no loader threads). Usage: scripts/dev/prof-bundle.sh FILE MODE WARM [top]
set -e
node_modules/.bin/esbuild scripts/dev/prof-warm.ts --bundle --platform=node --format=esm --log-level=error --outfile=/tmp/prof-bundle.mjs
node /tmp/prof-bundle.mjs "$1" /tmp/bundle.cpuprofile "$2" "$3"
npx tsx scripts/dev/prof-summary.ts /tmp/bundle.cpuprofile "${4:-50}" /tmp/prof-bundle.mjs
