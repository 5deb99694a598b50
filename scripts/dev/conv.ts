// Dev aid: TCP/UDP conversation and endpoint counts vs the tshark reference, over the corpus.
import { CaptureRun } from '../../worker/engine.js';
import { FlowTable } from '../../worker/analyzers/flow-table.js';
import { ConversationsAnalyzer, tupleAddress } from '../../worker/analyzers/conversations.js';
import { defaultThresholds } from '../../worker/report/thresholds.js';
import { fileSource } from '../../server/file-source.js';
import { manifest, capturePath, reference } from '../../test/corpus/corpus.js';

let bad = 0;
for (const e of manifest()) {
  const r = reference(e);
  if (!r || r.status !== 'ok') continue;
  const flows = new FlowTable();
  const conv = new ConversationsAnalyzer(flows);
  const run = new CaptureRun([{ onPacket: (v) => flows.classify(v) }, conv]);
  const { source } = await fileSource(capturePath(e));
  await run.run(source);
  const summary = run.captureSummary();
  const s = conv.finish({
    thresholds: defaultThresholds(),
    flows,
    summary,
    endTime: 0,
    selectedFlows: [],
    flowAddress: (i, side) => tupleAddress(flows.tuples.version[i], side === 0 ? flows.tuples.addrA : flows.tuples.addrB, i * 4),
  });
  const d: string[] = [];
  if (s.totals.tcp !== r.conversations.tcp) d.push(`tcp ${s.totals.tcp} vs ${r.conversations.tcp}`);
  if (s.totals.udp !== r.conversations.udp) d.push(`udp ${s.totals.udp} vs ${r.conversations.udp}`);
  if (s.totals.ipv4Endpoints !== r.endpoints.ipv4) d.push(`ep4 ${s.totals.ipv4Endpoints} vs ${r.endpoints.ipv4}`);
  if (s.totals.ipv6Endpoints !== r.endpoints.ipv6) d.push(`ep6 ${s.totals.ipv6Endpoints} vs ${r.endpoints.ipv6}`);
  if (d.length) {
    bad++;
    console.log(e.path, d.join('; '));
  }
}
console.log('bad', bad);
