// Dev aid: time per STEP packets (default 100) over the first N packets of a cold full analysis (the
// interpreter and baseline-code phase). Usage: node bundle.mjs FILE [N=3000] [STEP=100]
import { readFileSync } from 'node:fs';
import { CaptureRun } from '../../worker/engine.js';
import { analyzeCapture } from '../../worker/index.js';
const data = readFileSync(process.argv[2] ?? 'bench/out/mix-256MB.pcap');
const n = Number(process.argv[3] ?? 3000);
const STEP = Number(process.argv[4] ?? 100);
const times: number[] = [];
let count = 0;
let last = 0;
// Wrap CaptureRun.onRecord to time every 100 packets (the wrapper costs the same in every phase).
const orig = CaptureRun.prototype.onRecord;
CaptureRun.prototype.onRecord = function (rec) {
  if (count === 0) last = performance.now();
  orig.call(this, rec);
  if (++count % STEP === 0 && count <= n) {
    const now = performance.now();
    times.push(now - last);
    last = now;
  }
};
const t0 = performance.now();
await analyzeCapture([new Uint8Array(data.buffer, data.byteOffset, data.byteLength)]);
console.log(`total ${(performance.now() - t0).toFixed(0)} ms; ms per ${STEP} packets: ${times.map((t) => t.toFixed(1)).join(' ')}`);
