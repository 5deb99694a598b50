// Dev aid: prints our per-frame protocol set next to tshark's, for frames that differ.
import { execFileSync } from 'node:child_process';
import { CaptureRun } from '../../worker/engine.js';
import { PROTOCOL_NAMES } from '../../worker/decode/protocols.js';
import type { PacketView } from '../../worker/decode/packet.js';
import { fileSource } from '../../server/file-source.js';

const file = process.argv[2];
const ours: string[][] = [];
const run = new CaptureRun([
  {
    onPacket(v: PacketView) {
      const names: string[] = [];
      for (let i = 0; i < PROTOCOL_NAMES.length; i++) if (v.has(i)) names.push(PROTOCOL_NAMES[i]);
      ours[v.frame] = names;
    },
  },
]);
const { source } = await fileSource(file);
await run.run(source);
const out = execFileSync('tshark', ['-n', '-r', file, '-T', 'fields', '-e', 'frame.number', '-e', 'frame.protocols'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
const watch = new Set(['eth', 'ip', 'ipv6', 'tcp', 'udp', 'icmp', 'icmpv6', 'dns']);
for (const line of out.trim().split('\n')) {
  const [n, protos] = line.split('\t');
  const theirs = [...new Set((protos ?? '').split(':').filter((p) => watch.has(p)))].sort();
  const mine = (ours[Number(n)] ?? []).filter((p) => watch.has(p)).sort();
  if (theirs.join() !== mine.join()) console.log(n, 'tshark:', protos, ' ours:', (ours[Number(n)] ?? []).join(':'));
}
