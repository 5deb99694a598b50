#!/bin/bash
# Dev aid: compares report hashes of this tree with a reference list made by report-hash.ts (see there).
# Usage: scripts/dev/check-reports.sh REF.txt [extra files…]
REF=$1; shift
npx tsx scripts/dev/report-hash.ts "$@" | sort -k2 > /tmp/hash-now.txt
if diff <(sort -k2 "$REF") /tmp/hash-now.txt; then echo "reports identical ($(wc -l < /tmp/hash-now.txt) files)"; else echo "REPORTS DIFFER"; exit 1; fi
