import { summarizeCapture } from '../../worker/index.js';
import { fileSource } from '../../server/file-source.js';
import { manifest, capturePath, reference } from '../../test/corpus/corpus.js';
const KEYS = ['eth','ip','ipv6','tcp','udp','icmp','icmpv6','dns'];
let bad = 0;
for (const e of manifest()) {
  const { source } = await fileSource(capturePath(e));
  const s = await summarizeCapture(source);
  const r = reference(e);
  const errs = s.warnings.filter(w => w.severity === 'error').map(w => w.message);
  if (!r || r.status !== 'ok') { console.log('SKIP', e.path, errs.join(' | ').slice(0,200)); continue; }
  const diffs: string[] = [];
  if (s.packets !== r.capinfos!.packets) diffs.push(`packets ${s.packets} vs ${r.capinfos!.packets}`);
  if (s.wireBytes !== r.capinfos!.data_size_bytes) diffs.push(`wire ${s.wireBytes} vs ${r.capinfos!.data_size_bytes}`);
  const fb = r.protocol_hierarchy.frames_by_protocol;
  for (const k of KEYS) if ((s.protocols[k] ?? 0) !== (fb[k] ?? 0)) diffs.push(`${k} ${s.protocols[k] ?? 0} vs ${fb[k] ?? 0}`);
  if (r.capinfos!.first_packet_time_epoch && s.firstEpoch && Math.abs(Number(s.firstEpoch) - Number(r.capinfos!.first_packet_time_epoch)) > 0.01) diffs.push(`first ${s.firstEpoch} vs ${r.capinfos!.first_packet_time_epoch}`);
  if (diffs.length || errs.length) { bad++; console.log('DIFF', e.path, diffs.join('; '), errs.join(' | ').slice(0, 200)); }
}
console.log('bad', bad);
