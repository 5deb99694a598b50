// Dev aid: hash quality of the tuple tables (mean and max probe distance) after a full pass.
import { readFileSync } from 'node:fs';
import { CaptureRun } from '../../worker/engine.js';
import { FlowTable } from '../../worker/analyzers/flow-table.js';
import { ConversationsAnalyzer } from '../../worker/analyzers/conversations.js';
import type { TupleTable } from '../../worker/analyzers/tuple-table.js';
const data = readFileSync(process.argv[2] ?? 'bench/out/mix-256MB.pcap');
const flows = new FlowTable();
const conv = new ConversationsAnalyzer(flows);
await new CaptureRun([{ onPacket: (v) => { flows.classify(v); conv.onPacket(v); } }]).run([data]);
function stats(name: string, t: TupleTable): void {
  const any = t as unknown as { slots: Int32Array; mask: number; key: Int32Array; a32: Int32Array; b32: Int32Array };
  let sum = 0, max = 0, n = 0;
  for (let slot = 0; slot < any.slots.length; slot++) {
    const idx = any.slots[slot];
    if (idx < 0) continue;
    const a = idx * 4;
    for (let i = 0; i < 4; i++) { any.key[i] = any.a32[a + i]; any.key[4 + i] = any.b32[a + i]; }
    any.key[8] = t.portA[idx]; any.key[9] = t.portB[idx];
    // Home slot: probe from the hash until the entry: count steps.
    let steps = 0;
    const r = t.lookup(t.version[idx], t.proto[idx]);
    // lookup does not expose steps: recompute by scanning back from slot to the first empty slot.
    let s = slot;
    while (any.slots[(s - 1) & any.mask] >= 0 && steps < any.slots.length) { s = (s - 1) & any.mask; steps++; }
    if (r !== idx) throw new Error('lookup mismatch');
    sum += steps; max = Math.max(max, steps); n++;
  }
  console.log(`${name}: ${n} entries in ${any.slots.length} slots; run length before entry: mean ${(sum / n).toFixed(1)}, max ${max}`);
}
stats('flows', flows.tuples);
stats('pairs', (conv as unknown as { pairs: TupleTable }).pairs);
stats('hosts', (conv as unknown as { hosts: TupleTable }).hosts);
