#!/bin/sh
# Dev aid: instruction count (callgrind, whole process, node --single-threaded so compilation and GC
# are counted deterministically on one thread) of one in-memory pass over FILE, for TREE's engine.
# Usage: [KEEP=out.cg] scripts/dev/icount.sh TREE MODE FILE   (MODE: analyze-mem | info-mem | none-mem)
set -e
TREE=$(cd "$1" && pwd); MODE=$2; FILE=$3
OUT=$(mktemp -d)
"$TREE/node_modules/.bin/esbuild" "$TREE/scripts/dev/measure-one.ts" --bundle --platform=node --format=esm --log-level=error --outfile="$OUT/m.mjs"
valgrind --tool=callgrind --callgrind-out-file="$OUT/cg" node --single-threaded "$OUT/m.mjs" "$MODE" "$FILE" > "$OUT/stdout" 2> "$OUT/stderr"
IR=$(grep -m1 '^summary:' "$OUT/cg" | awk '{print $2}')
echo "$IR $(tail -1 "$OUT/stdout")"
[ -n "$KEEP" ] && cp "$OUT/cg" "$KEEP"
rm -rf "$OUT"
